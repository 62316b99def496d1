// The gRPC-Web listener on its own: unary and server-streaming calls from
// the generated client, grpc-web-text, a malformed frame, an oversize
// message and a missing token each with their status, the gRPC port's own
// limits and wire rules, CORS only for configured origins, and the
// Content-Security-Policy on the console's files.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { Code, ConnectError } from "@connectrpc/connect";
import { execFile, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { startServer } from "./harness.mjs";

const run = promisify(execFile);

const MAX = 8192;
const ALLOWED = "https://desk.example.gov.cn";
let srv;
let pkiDir = null;

/** The test PKI of tests/integration/certs.sh, made once for this file. */
async function pki() {
  if (!pkiDir) {
    pkiDir = mkdtempSync(join(tmpdir(), "inspectd-web-pki-"));
    await run("bash", [process.env.CERTS_SH, pkiDir], { timeout: 120000 });
  }
  return pkiDir;
}

before(async () => {
  srv = await startServer(["--max-message-bytes", String(MAX), "--web-origin", ALLOWED]);
  await srv.seed();
});
after(async () => {
  if (pkiDir) rmSync(pkiDir, { recursive: true, force: true });
  assert.equal(await srv.stop(), 0, "inspectd exits cleanly");
});

/** The status of a call made by `fn`, or 0. */
async function statusOf(fn) {
  try {
    await fn();
    return { code: 0, message: "" };
  } catch (err) {
    assert.ok(err instanceof ConnectError, String(err));
    return { code: err.code, message: err.rawMessage };
  }
}

function frame(flag, body) {
  const out = new Uint8Array(5 + body.length);
  out[0] = flag;
  new DataView(out.buffer).setUint32(1, body.length);
  out.set(body, 5);
  return out;
}

/** Reads the trailer frame of a binary gRPC-Web response. */
function trailers(bytes) {
  let at = 0;
  const messages = [];
  while (at + 5 <= bytes.length) {
    const flag = bytes[at];
    const len = new DataView(bytes.buffer, bytes.byteOffset + at + 1, 4).getUint32(0);
    const body = bytes.subarray(at + 5, at + 5 + len);
    at += 5 + len;
    if (flag & 0x80) {
      const text = new TextDecoder().decode(body);
      const get = (k) => (text.match(new RegExp(`^${k}: (.*)\\r$`, "m")) ?? [])[1];
      return { messages, status: Number(get("grpc-status")), message: decodeURIComponent(get("grpc-message") ?? "") };
    }
    messages.push(body);
  }
  throw new Error("no trailer frame");
}

/** The bytes of a grpc-web-text response: padded base64 pieces, one per frame. */
function textBytes(text) {
  return new Uint8Array(Buffer.concat((text.match(/[^=]+=*/g) ?? []).map((p) => Buffer.from(p, "base64"))));
}

async function raw(path, body, headers = {}) {
  const r = await fetch(srv.url + path, {
    method: "POST",
    headers: { "content-type": "application/grpc-web+proto", "x-grpc-web": "1", ...headers },
    body,
  });
  return { http: r.status, headers: r.headers, bytes: new Uint8Array(await r.arrayBuffer()) };
}

describe("gRPC-Web listener", () => {
  test("test_web_unary_from_generated_client", async () => {
    const c = await srv.clients(await srv.token("dispatcher", "bureau-desk"));
    const me = await c.session.whoAmI({});
    assert.equal(me.principal, "bureau-desk");
    assert.equal(me.authMethod, "bearer");
    const apps = await c.licensing.listApplications({ pageSize: 5 });
    assert.equal(apps.applications.length, 5);
  });

  test("test_web_server_stream_from_generated_client", async () => {
    const c = await srv.clients(await srv.token("auditor", "audit-li"));
    const events = [];
    for await (const e of c.audit.listEvents({ limit: 25 })) events.push(e);
    assert.equal(events.length, 25);
    for (let i = 1; i < events.length; i++) assert.ok(events[i].seq > events[i - 1].seq);
    const d = await srv.clients(await srv.token("department", "fire-desk", "fire"));
    const batches = [];
    for await (const b of d.departments.pullChanges({ cursor: 0n, follow: false })) batches.push(b);
    assert.ok(batches.length >= 1);
  });

  test("test_web_missing_token_is_unauthenticated", async () => {
    const c = await srv.clients(null);
    const s = await statusOf(() => c.licensing.listApplications({}));
    assert.equal(s.code, Code.Unauthenticated);
    assert.match(s.message, /needs credentials/);
    const same = await srv.grpcCall("/inspect.v1.Licensing/ListApplications", "licensing_pb2.ListApplicationsRequest", "licensing_pb2.ListApplicationsResponse", {});
    assert.deepEqual([same.code, same.details], [s.code, s.message], "the gRPC port says the same");
  });

  test("test_web_wrong_token_is_unauthenticated", async () => {
    const c = await srv.clients("not-a-token");
    const s = await statusOf(() => c.session.whoAmI({}));
    assert.equal(s.code, Code.Unauthenticated);
  });

  test("test_web_role_is_the_servers", async () => {
    const c = await srv.clients(await srv.token("department", "fire-desk", "fire"));
    const s = await statusOf(() => c.dispatch.createTask({ requestId: "x1", applicationId: "XD-2026-001226" }));
    assert.equal(s.code, Code.PermissionDenied);
  });

  test("test_web_malformed_frame_is_invalid_argument", async () => {
    const tok = await srv.token("dispatcher", "bureau-desk");
    const auth = { authorization: `Bearer ${tok}` };
    for (const body of [new Uint8Array([0, 0, 0]), new Uint8Array([0, 0, 0, 0, 9, 1, 2]), frame(0x01, new Uint8Array(2)), new Uint8Array([...frame(0, new Uint8Array(0)), 7])]) {
      const r = await raw("/inspect.v1.Session/WhoAmI", body, auth);
      assert.equal(r.http, 200);
      const t = trailers(r.bytes);
      assert.equal(t.status, Code.InvalidArgument, t.message);
      assert.match(t.message, /gRPC-Web request/);
    }
    const undecodable = await raw("/inspect.v1.Licensing/GetApplication", frame(0, new Uint8Array([0x0a, 0x20, 1])), auth);
    assert.equal(trailers(undecodable.bytes).status, Code.InvalidArgument, "a protobuf that does not decode: the server's own check");
  });

  test("test_web_oversize_message_is_resource_exhausted", async () => {
    const c = await srv.clients(await srv.token("dispatcher", "bureau-desk"));
    const big = { requestId: "big-1", application: { id: "XD-2026-999999", applicantName: "x".repeat(MAX + 10) } };
    const s = await statusOf(() => c.licensing.upsertApplication(big));
    assert.equal(s.code, Code.ResourceExhausted);
    assert.match(s.message, /larger than max/);
    const viaGrpc = await srv.grpcCall("/inspect.v1.Licensing/UpsertApplication", "licensing_pb2.UpsertApplicationRequest", "licensing_pb2.UpsertApplicationResponse", { requestId: "big-1", application: { id: "XD-2026-999999", applicantName: "x".repeat(MAX + 10) } }, await srv.token("dispatcher", "bureau-desk"));
    assert.deepEqual([viaGrpc.code, viaGrpc.details], [s.code, s.message], "the gRPC port refuses it alike");
  });

  test("test_web_shares_grpc_limits_and_rules", async () => {
    // Under --max-message-bytes but over a field's length: the wire
    // boundary (common/ins_limits.h) answers, word for word as on the gRPC port.
    const tok = await srv.token("dispatcher", "bureau-desk");
    const c = await srv.clients(tok);
    const req = { requestId: "long-1", application: { id: "XD-2026-999998", applicantName: "名".repeat(1500) } };
    const s = await statusOf(() => c.licensing.upsertApplication(req));
    assert.equal(s.code, Code.InvalidArgument);
    const viaGrpc = await srv.grpcCall("/inspect.v1.Licensing/UpsertApplication", "licensing_pb2.UpsertApplicationRequest", "licensing_pb2.UpsertApplicationResponse", req, tok);
    assert.deepEqual([viaGrpc.code, viaGrpc.details], [s.code, s.message]);
  });

  test("test_web_text_variant", async () => {
    const tok = await srv.token("dispatcher", "bureau-desk");
    const r = await fetch(srv.url + "/inspect.v1.Session/WhoAmI", {
      method: "POST",
      headers: { "content-type": "application/grpc-web-text", authorization: `Bearer ${tok}` },
      body: Buffer.from(frame(0, new Uint8Array(0))).toString("base64"),
    });
    assert.equal(r.headers.get("content-type"), "application/grpc-web-text+proto");
    const t = trailers(textBytes(await r.text()));
    assert.equal(t.status, 0);
    assert.equal(t.messages.length, 1);
    assert.ok(new TextDecoder().decode(t.messages[0]).includes("bureau-desk"));
    const bad = await fetch(srv.url + "/inspect.v1.Session/WhoAmI", { method: "POST", headers: { "content-type": "application/grpc-web-text" }, body: "@@@@" });
    const tb = trailers(textBytes(await bad.text()));
    assert.equal(tb.status, Code.InvalidArgument);
  });

  test("test_web_unknown_method_is_unimplemented", async () => {
    const r = await raw("/inspect.v1.Session/NoSuchMethod", frame(0, new Uint8Array(0)));
    assert.equal(trailers(r.bytes).status, Code.Unimplemented);
  });

  test("test_web_other_content_type_is_415", async () => {
    const r = await raw("/inspect.v1.Session/WhoAmI", frame(0, new Uint8Array(0)), { "content-type": "application/grpc-web+json" });
    assert.equal(r.http, 415);
  });

  test("test_web_cors_only_for_configured_origins", async () => {
    const pre = await fetch(srv.url + "/inspect.v1.Session/WhoAmI", { method: "OPTIONS", headers: { origin: ALLOWED, "access-control-request-method": "POST" } });
    assert.equal(pre.status, 204);
    assert.equal(pre.headers.get("access-control-allow-origin"), ALLOWED);
    assert.match(pre.headers.get("access-control-allow-headers"), /authorization/);
    const call = await raw("/inspect.v1.Session/WhoAmI", frame(0, new Uint8Array(0)), { origin: ALLOWED });
    assert.equal(call.headers.get("access-control-allow-origin"), ALLOWED);
    const evil = await fetch(srv.url + "/inspect.v1.Session/WhoAmI", { method: "OPTIONS", headers: { origin: "https://evil.example", "access-control-request-method": "POST" } });
    assert.equal(evil.status, 403);
    const evilCall = await raw("/inspect.v1.Session/WhoAmI", frame(0, new Uint8Array(0)), { origin: "https://evil.example" });
    assert.equal(evilCall.http, 403);
    assert.equal(evilCall.headers.get("access-control-allow-origin"), null);
    const same = await raw("/inspect.v1.Session/WhoAmI", frame(0, new Uint8Array(0)), { origin: srv.url });
    assert.equal(same.http, 200, "the listener's own origin may call");
  });

  test("test_web_console_files_with_csp", async () => {
    const r = await fetch(srv.url + "/");
    assert.equal(r.status, 200);
    assert.match(r.headers.get("content-type"), /text\/html/);
    const csp = r.headers.get("content-security-policy");
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    assert.equal(r.headers.get("x-content-type-options"), "nosniff");
    const html = await r.text();
    assert.doesNotMatch(html, /<script>(?!<\/script>)|<script(?![^>]*src=)[^>]*>[^<]/, "no inline script");
    const asset = html.match(/src="(\/assets\/[^"]+\.js)"/)[1];
    const js = await fetch(srv.url + asset);
    assert.equal(js.status, 200);
    assert.match(js.headers.get("content-type"), /javascript/);
    for (const p of ["/../etc/passwd", "/.hidden", "/assets/../../x", "/nope.js"]) {
      const n = await fetch(srv.url + p);
      assert.equal(n.status, 404, p);
    }
  });

  test("test_web_plaintext_only_on_loopback", () => {
    const dir = mkdtempSync(join(tmpdir(), "inspectd-web-"));
    const r = spawnSync(process.env.INSPECTD, ["--listen", "127.0.0.1:0", "--data-dir", join(dir, "d"), "--metrics-listen", "off", "--web-listen", "0.0.0.0:0"], { encoding: "utf8", timeout: 30000 });
    rmSync(dir, { recursive: true, force: true });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /refusing to serve the web console on 0\.0\.0\.0:0 without TLS/);
  });

  test("test_web_tls_with_the_servers_certificate", async () => {
    const dir = await pki();
    const tls = await startServer(["--tls-cert", join(dir, "server.pem"), "--tls-key", join(dir, "server.key")]);
    try {
      const url = tls.url.replace("http:", "https:");
      const page = await run("curl", ["-sS", "-D", "-", "-o", "/dev/null", "--cacert", join(dir, "ca.pem"), `${url}/`]);
      assert.match(page.stdout, /^HTTP\/1\.1 200/);
      assert.match(page.stdout, /strict-transport-security: max-age=/i);
      const call = await run("curl", ["-sS", "--cacert", join(dir, "ca.pem"), "-X", "POST", "-H", "content-type: application/grpc-web-text", "--data", "AAAAAAA=", `${url}/inspect.v1.Session/WhoAmI`]);
      const t = trailers(textBytes(call.stdout));
      assert.equal(t.status, Code.Unauthenticated);
      const plain = spawnSync("curl", ["-sS", "-m", "5", `${tls.url}/`], { encoding: "utf8" });
      assert.notEqual(plain.status, 0, "no plaintext on a TLS listener");
    } finally {
      assert.equal(await tls.stop(), 0);
    }
  });

  test("test_web_client_certificate_sign_in", async () => {
    const dir = await pki();
    const tls = await startServer(["--tls-cert", join(dir, "server.pem"), "--tls-key", join(dir, "server.key"), "--tls-client-ca", join(dir, "ca.pem")]);
    const url = tls.url.replace("http:", "https:");
    const curl = async (...args) => (await run("curl", ["-sS", "--cacert", join(dir, "ca.pem"), ...args])).stdout;
    const whoami = ["-X", "POST", "-H", "content-type: application/grpc-web-text", "--data", "AAAAAAA=", `${url}/inspect.v1.Session/WhoAmI`];
    try {
      const answer = await curl("--cert", join(dir, "admin.pem"), "--key", join(dir, "admin.key"), ...whoami);
      const t = trailers(textBytes(answer));
      assert.equal(t.status, 0, t.message);
      const body = new TextDecoder().decode(t.messages[0]);
      assert.ok(body.includes("root") && body.includes("mtls"), "the certificate's principal, by mTLS");
      assert.match(await curl(`${url}/`), /requires a client certificate/);
      assert.match(await curl("--cert", join(dir, "rogue.pem"), "--key", join(dir, "rogue.key"), `${url}/`), /does not verify/);
    } finally {
      assert.equal(await tls.stop(), 0);
    }
  });

  test("test_web_relay_headers_cannot_be_forged", async () => {
    const pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
    // through the listener: the header is dropped, the call stays anonymous
    const r = await raw("/inspect.v1.Session/WhoAmI", frame(0, new Uint8Array(0)), { "x-inspect-relay-cert-bin": Buffer.from(pem).toString("base64"), "x-inspect-relay-mac-bin": Buffer.alloc(32).toString("base64") });
    assert.equal(trailers(r.bytes).status, Code.Unauthenticated);
    // on the gRPC port: refused, saying who may set it
    const g = await srv.grpcCall("/inspect.v1.Session/WhoAmI", "session_pb2.WhoAmIRequest", "session_pb2.WhoAmIResponse", {}, "", { "x-inspect-relay-cert-bin": pem, "x-inspect-relay-mac-bin": "x".repeat(32) });
    assert.equal(g.code, Code.Unauthenticated);
    assert.match(g.details, /set only by this server's web listener/);
  });
});
