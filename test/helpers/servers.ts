/**
 * Loopback HTTP(S) servers that record every request. The protocol servers in
 * test/servers/ (controller, portal, backupd) are built on this.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface RecordedRequest {
  method: string;
  url: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  text: string;
  json(): unknown;
  at: number;
}

export type Handler = (req: RecordedRequest, res: ServerResponse, raw: IncomingMessage) => void | Promise<void>;

export interface TestServer {
  url: string;
  port: number;
  requests: RecordedRequest[];
  /** Resolve when a recorded request matches (rejects after timeoutMs). */
  waitFor(pred: (r: RecordedRequest) => boolean, timeoutMs?: number): Promise<RecordedRequest>;
  close(): Promise<void>;
}

export interface ServerOptions {
  tls?: { key: string; cert: string };
  host?: string;
  /** Do not buffer bodies (large uploads): the handler reads `raw` itself. */
  streaming?: boolean;
}

export async function startServer(handler: Handler, opts: ServerOptions = {}): Promise<TestServer> {
  const requests: RecordedRequest[] = [];
  const waiters: Array<() => void> = [];
  const listener = (raw: IncomingMessage, res: ServerResponse) => {
    const finish = (body: Buffer) => {
      const text = body.toString("utf8");
      const rec: RecordedRequest = {
        method: raw.method ?? "",
        url: raw.url ?? "",
        path: (raw.url ?? "").split("?")[0]!,
        headers: raw.headers,
        body,
        text,
        json: () => JSON.parse(text),
        at: Date.now(),
      };
      requests.push(rec);
      waiters.splice(0).forEach((w) => w());
      Promise.resolve(handler(rec, res, raw)).catch((e) => {
        if (!res.headersSent) res.writeHead(500);
        res.end(String(e));
      });
    };
    if (opts.streaming) return finish(Buffer.alloc(0));
    const chunks: Buffer[] = [];
    raw.on("data", (c: Buffer) => chunks.push(c));
    raw.on("end", () => finish(Buffer.concat(chunks)));
  };
  const server = opts.tls ? createHttpsServer({ key: opts.tls.key, cert: opts.tls.cert }, listener) : createHttpServer(listener);
  const host = opts.host ?? "127.0.0.1";
  await new Promise<void>((r) => server.listen(0, host, r));
  const port = (server.address() as AddressInfo).port;
  const hostPart = host.includes(":") ? `[${host}]` : host;
  return {
    url: `${opts.tls ? "https" : "http"}://${hostPart}:${port}`,
    port,
    requests,
    waitFor(pred, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no matching request within ${timeoutMs} ms`)), timeoutMs);
        const check = () => {
          const hit = requests.find(pred);
          if (hit) {
            clearTimeout(timer);
            resolve(hit);
          } else waiters.push(check);
        };
        check();
      });
    },
    close: () =>
      new Promise((r) => {
        server.closeAllConnections?.();
        server.close(() => r());
      }),
  };
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

export interface Cert {
  key: string;
  cert: string;
  keyPath: string;
  certPath: string;
}

/** A self-signed certificate made with openssl at test time (EC: fast). */
export function makeCert(cn = "localhost", san = "DNS:localhost,IP:127.0.0.1,IP:::1"): Cert {
  const dir = mkdtempSync(join(tmpdir(), "nsplug-cert-"));
  const keyPath = join(dir, "key.pem");
  const certPath = join(dir, "cert.pem");
  execFileSync(
    "openssl",
    ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
      "-subj", `/CN=${cn}`, "-addext", `subjectAltName=${san}`, "-keyout", keyPath, "-out", certPath],
    { stdio: "ignore" },
  );
  return { key: readFileSync(keyPath, "utf8"), cert: readFileSync(certPath, "utf8"), keyPath, certPath };
}

/** A loopback port free at the moment of asking (for programs that take --port, not 0). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createHttpServer();
    s.on("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}
