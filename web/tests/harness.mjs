// The console tests' harness: a real inspectd on 127.0.0.1 with ephemeral
// ports (gRPC and gRPC-Web) and a temporary data folder, the demo district
// loaded through the API, tokens from `inspectctl token issue`, and
// Debian's Chromium driven by playwright-core.
//
// Environment (tests/console/CMakeLists.txt): INSPECTD, INSPECTCTL, SEEDS,
// CONSOLE_DIST (the built console), CONSOLE_OUT (screenshots), PYTHONPATH
// (the interop tests' message classes), TESTS_CONSOLE (tests/console).
import { execFile, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, mkdirSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { createClient } from "@connectrpc/connect";
import { createGrpcWebTransport } from "@connectrpc/connect-web";

const run = promisify(execFile);
const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set (run the console tests through ctest)`);
  return v;
};

export const CHROMIUM_FLAGS = [
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
];

async function waitFile(path, proc, what) {
  for (let i = 0; i < 2000; i++) {
    if (existsSync(path)) {
      const text = readFileSync(path, "utf8");
      if (text.endsWith("\n")) return Number(text.trim());
    }
    if (proc.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`inspectd did not open its ${what} port`);
}

/** Starts inspectd with `args` (extra flags); returns the server handle. */
export async function startServer(args = []) {
  const dir = mkdtempSync(join(tmpdir(), "inspectd-console-"));
  const data = join(dir, "data");
  const log = join(dir, "stderr.log");
  const { openSync } = await import("node:fs");
  const fd = openSync(log, "w");
  const proc = spawn(env("INSPECTD"), [
    "--listen", "127.0.0.1:0", "--port-file", join(dir, "port"),
    "--web-listen", "127.0.0.1:0", "--web-port-file", join(dir, "wport"),
    "--metrics-listen", "127.0.0.1:0", // many servers at once: never the default port
    "--web-root", env("CONSOLE_DIST"), "--data-dir", data, ...args,
  ], { stdio: ["ignore", fd, fd] });
  const exited = new Promise((r) => proc.on("exit", (code, sig) => r(code ?? sig)));
  const port = await waitFile(join(dir, "port"), proc, "gRPC");
  const webPort = await waitFile(join(dir, "wport"), proc, "gRPC-Web");
  const srv = {
    dir, data, port, webPort, proc,
    addr: `127.0.0.1:${port}`,
    url: `http://127.0.0.1:${webPort}`,
    log: () => readFileSync(log, "utf8"),
    async token(role, principal, department) {
      const argv = ["token", "issue", "--data-dir", data, "--role", role, "--principal", principal, "--ttl", "2h"];
      if (department) argv.push("--department", department);
      return (await run(env("INSPECTCTL"), argv)).stdout.trim();
    },
    async seed() {
      await run(env("INSPECTCTL"), ["seed", "load", env("SEEDS"), "--data-dir", data, "--server", this.addr], { timeout: 120000 });
    },
    /** Clients of every service through the gRPC-Web listener. */
    clients(token) {
      return webClients(this.url, token);
    },
    /** Works APP through the field flow to its report (field_work.py). */
    async fieldWork(app) {
      const out = await run("/usr/bin/python3", [join(env("TESTS_CONSOLE"), "field_work.py"), this.addr, data, app], { timeout: 120000 });
      return JSON.parse(out.stdout);
    },
    /** The same unary call on the gRPC port (grpc_call.py): {code, details}. */
    async grpcCall(method, reqType, respType, json, token, metadata) {
      const argv = [join(env("TESTS_CONSOLE"), "grpc_call.py"), this.addr, method, reqType, respType, JSON.stringify(json), token ?? ""];
      if (metadata) argv.push(JSON.stringify(metadata));
      return JSON.parse((await run("/usr/bin/python3", argv)).stdout);
    },
    /** SIGTERM, wait, clean up; the exit code (sanitizer reports make it non-zero). */
    async stop() {
      if (proc.exitCode === null) proc.kill("SIGTERM");
      const code = await exited;
      if (code !== 0) process.stderr.write(`---- inspectd exited ${code} ----\n${this.log()}\n`);
      rmSync(dir, { recursive: true, force: true });
      return code;
    },
  };
  return srv;
}

/** Generated clients over the gRPC-Web transport, with a bearer token. */
export async function webClients(baseUrl, token) {
  const gen = "./gen/inspect/v1";
  const mods = {
    session: (await import(`${gen}/session_pb.js`)).Session,
    licensing: (await import(`${gen}/licensing_pb.js`)).Licensing,
    dispatch: (await import(`${gen}/dispatch_pb.js`)).Dispatch,
    departments: (await import(`${gen}/departments_pb.js`)).Departments,
    audit: (await import(`${gen}/audit_pb.js`)).Audit,
    directory: (await import(`${gen}/directory_pb.js`)).Directory,
  };
  const interceptors = token
    ? [(next) => async (req) => { req.header.set("authorization", `Bearer ${token}`); return next(req); }]
    : [];
  const transport = createGrpcWebTransport({ baseUrl, useBinaryFormat: true, interceptors });
  const out = {};
  for (const [k, svc] of Object.entries(mods)) out[k] = createClient(svc, transport);
  return out;
}

/** Debian's Chromium, headless, with a fresh profile. */
export async function launchBrowser() {
  const { chromium } = await import("playwright-core");
  const profile = mkdtempSync(join(tmpdir(), "inspectd-chromium-"));
  const ctx = await chromium.launchPersistentContext(profile, {
    executablePath: "/usr/bin/chromium",
    headless: true,
    args: CHROMIUM_FLAGS,
    viewport: { width: 1280, height: 900 },
  });
  return {
    ctx,
    async close() {
      await ctx.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Saves a screenshot of `page` as NAME.png under CONSOLE_OUT. */
export async function screenshot(page, name) {
  const dir = env("CONSOLE_OUT");
  mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: join(dir, `${name}.png`), fullPage: true });
}

const axeSource = readFileSync(new URL("../node_modules/axe-core/axe.min.js", import.meta.url), "utf8");

/** Runs axe-core in `page` (evaluated over the DevTools protocol, which the
 * page's Content-Security-Policy does not govern); the serious and critical
 * violations, as "id: help (n nodes)". */
export async function seriousViolations(page) {
  await page.evaluate(axeSource);
  const res = await page.evaluate(async () => await globalThis.axe.run(document, { resultTypes: ["violations"] }));
  return res.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id}: ${v.help} (${v.nodes.length} nodes: ${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(", ")})`);
}

/** Signs in on the console's page with `token`. */
export async function signIn(page, url, token) {
  await page.goto(`${url}/#/signin`);
  await page.fill("#token", token);
  await page.click("form.signin button[type=submit]");
}
