// Generates the messages and service descriptors of proto/ with protoc
// (Debian's) and protoc-gen-es (from npm): TypeScript into src/gen for the
// console, JavaScript into tests/gen for the Node tests of the listener.
// Run by `npm run build`; neither folder is edited or committed.
import { execFileSync } from "node:child_process";
import { mkdirSync, readdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const web = join(dirname(fileURLToPath(import.meta.url)), "..");
const proto = join(web, "..", "proto");
const outputs = [
  [join(web, "src", "gen"), "target=ts"],
  [join(web, "tests", "gen"), "target=js"],
];
const files = readdirSync(join(proto, "inspect", "v1"))
  .filter((f) => f.endsWith(".proto"))
  .map((f) => `inspect/v1/${f}`);
for (const [out, target] of outputs) {
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
execFileSync(
  "protoc",
  [
    `--plugin=protoc-gen-es=${join(web, "node_modules", ".bin", "protoc-gen-es")}`,
    `--es_out=${out}`,
    `--es_opt=${target},import_extension=${target === "target=js" ? "js" : "none"}`,
    `-I${proto}`,
    "grpc/health/v1/health.proto",
    ...files,
  ],
  { stdio: "inherit" },
);
}
