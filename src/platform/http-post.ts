/**
 * A lean JSON POST client on node:http/https, for the resident alert proxy.
 *
 * Why not http.ts (undici): undici parses HTTP with llhttp compiled to
 * WebAssembly; in a process that lives forever on a router that costs about
 * 35 MiB of RSS under load (measured: node:http client +6 MiB, undici +42 MiB
 * over the same 4 s of requests). The one-shot commands keep undici; the
 * daemon only ever needs "POST this JSON, what was the status".
 */
import { Agent as HttpAgent, request as httpRequest, type ClientRequest, type IncomingMessage, type RequestOptions } from "node:http";
import type { Agent as HttpsAgent } from "node:https";

export interface JsonPostRequest {
  url: string;
  json: unknown;
  /** `Authorization: token <secret>` (the portal's scheme). */
  token?: string;
  /** Whole exchange, answer body included. */
  timeoutMs: number;
  signal?: AbortSignal;
}

export interface JsonPoster {
  /** Resolves with the HTTP status (the body is read and dropped); rejects on a transport failure. */
  post(req: JsonPostRequest): Promise<number>;
  close(): void;
}

type Send = (url: URL, opts: RequestOptions, cb: (res: IncomingMessage) => void) => ClientRequest;

export function createJsonPoster(): JsonPoster {
  // Keep-alive: a burst of alerts reuses a few connections instead of one handshake each.
  // At most 16 at once: the queue sends one request per alert id, so this bounds
  // what a flood of distinct ids can open towards the portal.
  const http = { agent: new HttpAgent({ keepAlive: true, maxSockets: 16, maxFreeSockets: 4, timeout: 30_000 }), send: httpRequest as Send };
  // node:https (TLS, OpenSSL state) is loaded on the first https URL only: an http-only proxy never pays for it.
  let https: { agent: HttpsAgent; send: Send } | undefined;
  const client = (protocol: string) => {
    if (protocol === "http:") return http;
    if (protocol !== "https:") return undefined;
    if (!https) {
      const mod = require("node:https") as typeof import("node:https");
      https = { agent: new mod.Agent({ keepAlive: true, maxSockets: 16, maxFreeSockets: 4, timeout: 30_000 }), send: mod.request as Send };
    }
    return https;
  };
  return {
    post(req) {
      return new Promise<number>((resolve, reject) => {
        const url = new URL(req.url);
        const c = client(url.protocol);
        if (!c) return reject(new Error(`unsupported URL scheme ${url.protocol}`));
        const body = JSON.stringify(req.json);
        const headers: Record<string, string | number> = {
          "content-type": "application/json",
          "content-length": Buffer.byteLength(body),
          "user-agent": "ns-plug",
        };
        if (req.token !== undefined) headers.authorization = `token ${req.token}`;
        const r = c.send(url, { method: "POST", headers, agent: c.agent, signal: req.signal }, (res) => {
          res.resume();
          res.on("end", () => resolve(res.statusCode ?? 0));
          res.on("error", reject);
        });
        // A portal that accepts the connection and then stalls must not hold the alert forever.
        const timer = setTimeout(() => r.destroy(Object.assign(new Error("timed out"), { name: "TimeoutError" })), req.timeoutMs);
        r.on("close", () => clearTimeout(timer));
        r.on("error", reject);
        r.end(body);
      });
    },
    close() {
      http.agent.destroy();
      https?.agent.destroy();
    },
  };
}
