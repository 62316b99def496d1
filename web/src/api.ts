// The console's one way to the server: gRPC-Web on the page's own origin
// (the listener inspectd serves it from), the clients generated from
// proto/, and the session's bearer token added to every call. The token
// lives in sessionStorage only: it leaves with the tab.
import { Code, ConnectError, createClient, type Interceptor } from "@connectrpc/connect";
import { createGrpcWebTransport } from "@connectrpc/connect-web";
import { Audit } from "./gen/inspect/v1/audit_pb";
import { Departments } from "./gen/inspect/v1/departments_pb";
import { Dispatch } from "./gen/inspect/v1/dispatch_pb";
import { Directory } from "./gen/inspect/v1/directory_pb";
import { Licensing } from "./gen/inspect/v1/licensing_pb";
import { Session } from "./gen/inspect/v1/session_pb";

const TOKEN_KEY = "inspect.token";
const CERT_KEY = "inspect.cert";

export function token(): string | null {
  return sessionStorage.getItem(TOKEN_KEY);
}

/** Signs in with a bearer token (null: the browser's client certificate). */
export function setToken(value: string | null): void {
  if (value === null) {
    sessionStorage.removeItem(TOKEN_KEY);
    sessionStorage.setItem(CERT_KEY, "1");
  } else {
    sessionStorage.setItem(TOKEN_KEY, value);
    sessionStorage.removeItem(CERT_KEY);
  }
}

export function signedIn(): boolean {
  return token() !== null || sessionStorage.getItem(CERT_KEY) === "1";
}

export function signOut(): void {
  sessionStorage.removeItem(TOKEN_KEY);
  sessionStorage.removeItem(CERT_KEY);
}

const auth: Interceptor = (next) => async (req) => {
  const tok = token();
  if (tok) req.header.set("authorization", `Bearer ${tok}`);
  return next(req);
};

const transport = createGrpcWebTransport({
  baseUrl: location.origin,
  useBinaryFormat: true,
  interceptors: [auth],
});

export const session = createClient(Session, transport);
export const licensing = createClient(Licensing, transport);
export const dispatch = createClient(Dispatch, transport);
export const departments = createClient(Departments, transport);
export const directory = createClient(Directory, transport);
export const audit = createClient(Audit, transport);

/** A sentence for a person: the status name and the server's own message. */
export function explain(err: unknown): string {
  if (err instanceof ConnectError) {
    const name = Code[err.code] ?? String(err.code);
    return `${name}: ${err.rawMessage}`;
  }
  return err instanceof Error ? err.message : String(err);
}

export function isUnauthenticated(err: unknown): boolean {
  return err instanceof ConnectError && err.code === Code.Unauthenticated;
}

/** A fresh idempotency key for one mutating request. */
export function requestId(): string {
  return crypto.randomUUID();
}
