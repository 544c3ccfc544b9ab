/**
 * A stand-in for ns-api-server, the backend of NethSecurity's web UI (the UI
 * reaches every `ns.*` object through it, never through rpcd). It reproduces
 * `UBusCallAction` of NethServer/nethsecurity-api `methods/ubus.go` for `ns.*`
 * paths, step by step:
 *
 *   1. run `<rpcdDir>/<path> call <method>` (no shell, no rpcd, no ACL, no
 *      timeout), the payload as compact JSON on stdin;
 *   2. read stdout and stderr COMBINED: Go's CombinedOutput gives the child one
 *      pipe for both, done here with `sh -c 'exec "$@" 2>&1'`;
 *   3. non-zero exit (or a signal) → HTTP 500 {message: "ubus call action failed", data: "exit status N"};
 *   4. parse the whole output as ONE JSON document (gabs.ParseJSON =
 *      json.Unmarshal: surrounding whitespace is fine, anything else → nil);
 *   5. a string `error` key → HTTP 500 {message: <error>, data: <the object>};
 *   6. a `validation` key → HTTP 400 {message: "validation_failed", data: <the object>}
 *      (the UI reads `data.validation.errors`);
 *   7. else HTTP 200 {message: "ubus call action success", data: <parsed or null>}.
 *
 * API (reused by other tests; keep it this small):
 *
 *   const r = await ubusCall("ns.plug", "status", {}, { dir });
 *   r.status          // HTTP status: 200 | 400 | 500
 *   r.body.message    // what the UI shows or translates
 *   r.body.data       // what the UI reads (null when the output was not one JSON document)
 *   r.output, r.exit  // the plugin's combined output and exit code, for assertion messages
 *
 *   const api = await startNsApiServer({ dir });   // optional HTTP face: POST <api.url>/api/ubus/call
 *   // body {"path": "ns.plug", "method": "status", "payload": {}}, as UI/lib/standalone/ubus.ts sends it
 *   await api.close();
 *
 * Options: `dir` (test root: NS_PLUG_ROOT and its stand-ins first in PATH, as
 * test/helpers/bundle.ts does), `env` (added), `rpcdDir` (default: the build
 * tree's dist/rpcd, the generated sh fronts; give `<root>/usr/libexec/rpcd`
 * for an installed layout), `timeoutMs` (the stand-in's own safety net, not
 * ns-api-server's: it has none; default 10 min), `prefix` (a wrapper such as
 * ["ip", "netns", "exec", ns]: the router's network namespace, for a demo
 * whose unit lives in one).
 */
import { spawn } from "node:child_process";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { bundleEnv, REPO } from "../helpers/bundle";
import type { TestDir } from "../helpers/testdir";

export interface ApiOptions {
  dir?: TestDir;
  env?: Record<string, string | undefined>;
  rpcdDir?: string;
  timeoutMs?: number;
  prefix?: string[];
}

export interface ApiBody {
  code: number;
  message: string;
  data: unknown;
}

export interface ApiAnswer {
  status: number;
  body: ApiBody;
  /** The plugin's stdout and stderr as ns-api-server read them (one pipe). */
  output: string;
  /** Exit code (null when killed by a signal). */
  exit: number | null;
  /** Wall time of the plugin run, ms. */
  ms: number;
}

/** gabs.ParseJSON: the whole output must be one JSON document; otherwise nil (→ null). */
function parseOne(out: string): unknown {
  try {
    return JSON.parse(out);
  } catch {
    return null;
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Pure: the plugin's exit and combined output → what ns-api-server answers. */
export function mapOutput(exit: { code: number | null; signal: string | null }, output: string): { status: number; body: ApiBody } {
  if (exit.code !== 0) {
    // Go's (*ExitError).Error(): "exit status N", or "signal: killed" for a signal.
    const data = exit.code === null ? `signal: ${exit.signal === "SIGKILL" ? "killed" : exit.signal}` : `exit status ${exit.code}`;
    return { status: 500, body: { code: 500, message: "ubus call action failed", data } };
  }
  const parsed = parseOne(output);
  if (isObject(parsed) && typeof parsed.error === "string") {
    return { status: 500, body: { code: 500, message: parsed.error, data: parsed } };
  }
  if (isObject(parsed) && "validation" in parsed) {
    return { status: 400, body: { code: 400, message: "validation_failed", data: parsed } };
  }
  return { status: 200, body: { code: 200, message: "ubus call action success", data: parsed } };
}

/** One `POST /api/ubus/call` for an `ns.*` path, as ns-api-server handles it. */
export function ubusCall(path: string, method: string, payload: unknown = {}, opts: ApiOptions = {}): Promise<ApiAnswer> {
  if (!path.startsWith("ns.")) throw new Error(`ns-api-server stand-in: only ns.* paths run plugins directly (got ${path})`);
  const file = join(opts.rpcdDir ?? join(REPO, "dist", "rpcd"), path);
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const [cmd, ...argv] = [...(opts.prefix ?? []), "/bin/sh", "-c", 'exec "$@" 2>&1', "sh", file, "call", method];
    const child = spawn(cmd!, argv, {
      env: bundleEnv({ dir: opts.dir, env: opts.env }),
      stdio: ["pipe", "pipe", "ignore"],
    });
    const chunks: Buffer[] = [];
    child.stdout.on("data", (b: Buffer) => chunks.push(b));
    const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 600_000);
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      const output = Buffer.concat(chunks).toString("utf8");
      resolve({ ...mapOutput({ code, signal }, output), output, exit: code, ms: Date.now() - t0 });
    });
    child.stdin.on("error", () => {});
    // json.Marshal of the payload: compact.
    child.stdin.end(JSON.stringify(payload ?? {}));
  });
}

export interface NsApiServer {
  url: string;
  close(): Promise<void>;
}

/** The HTTP face: `POST /api/ubus/call` (or `/ubus/call`) with `{path, method, payload}`. No authentication. */
export async function startNsApiServer(opts: ApiOptions = {}): Promise<NsApiServer> {
  const server = createServer((req, res) => {
    const send = (status: number, body: unknown) => {
      const text = JSON.stringify(body);
      res.writeHead(status, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(text) });
      res.end(text);
    };
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const url = (req.url ?? "").split("?")[0];
      if (req.method !== "POST" || (url !== "/api/ubus/call" && url !== "/ubus/call")) return send(404, { code: 404, message: "not found", data: null });
      let body: unknown;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
      } catch (e) {
        return send(400, { code: 400, message: "request fields malformed", data: String(e) });
      }
      if (!isObject(body) || typeof body.path !== "string" || typeof body.method !== "string" || !body.path.startsWith("ns.")) {
        return send(400, { code: 400, message: "request fields malformed", data: "path and method are required (ns.* only here)" });
      }
      ubusCall(body.path, body.method, body.payload ?? {}, opts).then(
        (r) => send(r.status, r.body),
        (e) => send(500, { code: 500, message: "ubus call action failed", data: String(e) }),
      );
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections?.();
        server.close(() => r());
      }),
  };
}
