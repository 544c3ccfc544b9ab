/**
 * The HTTP boundary. undici is imported only when the first request is made,
 * so commands that never talk to the network (and `--help`, and rpcd `list`)
 * never pay for loading it.
 */
import type { Readable } from "node:stream";
import type { Dispatcher } from "undici";
import { RemoteError } from "./errors";
import { DEFAULT_MIN_SPEED, guardBody, type MinSpeed } from "./http-body";

export type { MinSpeed } from "./http-body";

export type Auth =
  | { token: string } // Authorization: token <secret> (portal)
  | { basic: { user: string; password: string } } // built in-process, never in argv
  | { header: string; value: string }; // e.g. RegistrationToken

export interface HttpRequest {
  method?: "GET" | "POST" | "PUT" | "DELETE";
  url: string;
  headers?: Record<string, string>;
  /** Serialized with JSON.stringify (never string concatenation); sets Content-Type. */
  json?: unknown;
  /** Raw body; a factory when it is a stream, so a redirect can send it again. */
  body?: string | Uint8Array | (() => Readable);
  auth?: Auth;
  /** Verify the server certificate (default true). */
  tlsVerify?: boolean;
  /** Connect + answer-headers timeout (default 30 s). */
  timeoutMs?: number;
  /** Longest silence while a body streams (default 60 s). */
  bodyTimeoutMs?: number;
  /** Hard limit for one attempt: its redirects and the answer body included (default none). */
  deadlineMs?: number;
  /**
   * Hard limit for the whole call: every attempt, redirect and backoff wait, and
   * the answer body (default none). When it fires no further attempt is made.
   */
  overallMs?: number;
  /**
   * Abandon an answer body that trickles in: fewer than `bytes` within `windowMs`
   * (default 1 KiB per 60 s, like curl --speed-limit 1024 --speed-time 60; false: off).
   */
  minSpeed?: MinSpeed | false;
  /** Follow redirects (default 5, credentials only to the same origin); keepAuth = curl --location-trusted. */
  redirects?: { max: number; keepAuth: boolean };
  /** Extra attempts on transient faults (no answer, 5xx, 429) with exponential backoff and full jitter. */
  retries?: number;
  /** Name used in error messages: "controller", "portal", "backupd". */
  remote?: string;
}

export interface HttpResponse {
  status: number;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body: Readable;
  text(): Promise<string>;
  /** Discard the body: drained when it comes within 2 s, else the connection is closed. */
  dump(): Promise<void>;
}

export interface Http {
  request(req: HttpRequest): Promise<HttpResponse>;
  /** End of the process: drop idle connections and abort requests still in flight. */
  close(): Promise<void>;
}

export interface HttpDeps {
  sleep(ms: number): Promise<void>;
  random(): number;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
/** Longest wait for the rest of an answer body that is being discarded. */
const DUMP_WAIT_MS = 2_000;

/** A URL fit for messages: no credentials, no query. */
export function displayUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return "<invalid url>";
  }
}

/** OpenSSL / Node verification codes: the certificate is wrong, and trying again will not change it. */
const CERT_FAULTS = new Set([
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "CERT_HAS_EXPIRED",
  "CERT_NOT_YET_VALID",
  "CERT_REVOKED",
  "CERT_UNTRUSTED",
  "CERT_REJECTED",
  "CERT_SIGNATURE_FAILURE",
  "INVALID_CA",
  "HOSTNAME_MISMATCH",
  "ERR_TLS_CERT_ALTNAME_INVALID",
]);

/** A certificate verification failure: final, never retried. */
export function isCertFault(e: unknown): boolean {
  const err = e as { code?: unknown; cause?: { code?: unknown } };
  const code = typeof err?.code === "string" ? err.code : err?.cause?.code;
  return typeof code === "string" && CERT_FAULTS.has(code);
}

/** Turn a transport failure into words an admin can act on. */
export function describeFault(e: unknown): string {
  const err = e as { code?: unknown; cause?: { code?: unknown }; name?: string; message?: string };
  // DOMException (AbortSignal.timeout) carries a numeric legacy code: its name says what happened.
  const str = (v: unknown) => (typeof v === "string" ? v : undefined);
  const code = str(err?.code) ?? str(err?.cause?.code) ?? err?.name;
  if (code && CERT_FAULTS.has(code)) return `TLS certificate verification failed (${code})`;
  switch (code) {
    case "ECONNREFUSED":
      return "connection refused";
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return "host not found";
    case "EHOSTUNREACH":
    case "ENETUNREACH":
      return "host unreachable";
    case "UND_ERR_CONNECT_TIMEOUT":
      return "connect timed out";
    case "UND_ERR_HEADERS_TIMEOUT":
      return "no answer (timed out)";
    case "UND_ERR_BODY_TIMEOUT":
      return "answer body stalled (timed out)";
    case "TimeoutError":
    case "AbortError":
      return "timed out";
    case "UND_ERR_RES_CONTENT_LENGTH_MISMATCH":
      return "answer cut short (shorter than its Content-Length)";
    case "UND_ERR_SOCKET":
    case "ECONNRESET":
    case "EPIPE":
      return "connection closed by the server";
    case "ERR_SSL_WRONG_VERSION_NUMBER":
    case "EPROTO":
      return "TLS handshake failed";
    default:
      return err?.message ? err.message.split("\n")[0]! : String(e);
  }
}

function authHeaders(auth: Auth | undefined): Record<string, string> {
  if (!auth) return {};
  if ("token" in auth) return { authorization: `token ${auth.token}` };
  if ("basic" in auth) {
    const raw = `${auth.basic.user}:${auth.basic.password}`;
    return { authorization: `Basic ${Buffer.from(raw, "utf8").toString("base64")}` };
  }
  return { [auth.header.toLowerCase()]: auth.value };
}

function transient(status: number): boolean {
  return status >= 500 || status === 429;
}

export function createHttp(deps: HttpDeps): Http {
  let undici: typeof import("undici") | undefined;
  const agents = new Map<boolean, Dispatcher>();

  async function agent(tlsVerify: boolean, connectTimeout: number): Promise<Dispatcher> {
    undici ??= await import("undici");
    let a = agents.get(tlsVerify);
    if (!a) {
      // One Agent per TLS mode: tls_verify=0 must never leak into a verified call.
      a = new undici.Agent({
        connect: { rejectUnauthorized: tlsVerify, timeout: connectTimeout },
        keepAliveTimeout: 4000,
      });
      agents.set(tlsVerify, a);
    }
    return a;
  }

  async function once(
    req: HttpRequest,
    url: string,
    method: string,
    withAuth: boolean,
    withBody: boolean,
    signal: AbortSignal | undefined,
  ) {
    const timeout = req.timeoutMs ?? 30_000;
    const dispatcher = await agent(req.tlsVerify !== false, timeout);
    const headers: Record<string, string> = { "user-agent": "ns-plug", ...lower(req.headers ?? {}) };
    if (withAuth) Object.assign(headers, authHeaders(req.auth));
    let body: string | Uint8Array | Readable | undefined;
    if (withBody) {
      if (req.json !== undefined) {
        body = JSON.stringify(req.json);
        headers["content-type"] ??= "application/json";
      } else if (typeof req.body === "function") body = req.body();
      else body = req.body;
    }
    const res = await undici!.request(url, {
      method: method as Dispatcher.HttpMethod,
      headers,
      body,
      dispatcher,
      headersTimeout: timeout,
      bodyTimeout: req.bodyTimeoutMs ?? 60_000,
      signal,
    });
    return res;
  }

  async function withRedirects(req: HttpRequest, overall: AbortSignal | undefined): Promise<HttpResponse> {
    const policy = req.redirects ?? { max: 5, keepAuth: false };
    // One deadline for the attempt, redirects included (a fresh one per hop would multiply it).
    const signal = anySignal([overall, req.deadlineMs ? AbortSignal.timeout(req.deadlineMs) : undefined]);
    const origin = new URL(req.url).origin;
    let url = req.url;
    let method = req.method ?? (req.json !== undefined || req.body !== undefined ? "POST" : "GET");
    let withBody = true;
    for (let hop = 0; ; hop++) {
      const sameOrigin = new URL(url).origin === origin;
      const res = await once(req, url, method, policy.keepAuth || sameOrigin, withBody, signal);
      const location = res.headers.location;
      if (REDIRECTS.has(res.statusCode) && typeof location === "string") {
        await res.body.dump().catch(() => {});
        if (hop >= policy.max) {
          throw new RemoteError(`${req.remote ?? "server"} ${displayUrl(req.url)}: too many redirects`, {
            status: res.statusCode,
          });
        }
        url = new URL(location, url).toString();
        // Like curl: a POST answered by 301/302/303 becomes a GET without body.
        if (res.statusCode === 303 || (method === "POST" && res.statusCode <= 302)) {
          method = "GET";
          withBody = false;
        }
        continue;
      }
      const body = res.body as unknown as Readable & { text(): Promise<string>; dump(o?: { signal?: AbortSignal }): Promise<void> };
      guardBody(body, `${req.remote ?? "server"} ${displayUrl(url)}`, describeFault, req.minSpeed ?? DEFAULT_MIN_SPEED);
      return {
        status: res.statusCode,
        url,
        headers: res.headers,
        body,
        text: () => body.text(),
        // A body nobody reads is not worth waiting for: a portal trickling its answer to a
        // heartbeat held the command a minute for nothing (fault matrix, slow body).
        dump: () => body.dump({ signal: AbortSignal.timeout(DUMP_WAIT_MS) }).catch(() => {}),
      };
    }
  }

  return {
    async request(req) {
      const attempts = 1 + (req.retries ?? 0);
      const overall = req.overallMs ? AbortSignal.timeout(req.overallMs) : undefined;
      const until = req.overallMs ? Date.now() + req.overallMs : Infinity;
      const name = `${req.remote ?? "server"} ${displayUrl(req.url)}`;
      // What the previous attempt met: when the budget runs out, this is what the admin must read,
      // not "timed out" (a refused connection is not a slow one).
      let lastFault: string | undefined;
      let lastStatus: number | undefined;
      for (let i = 1; ; i++) {
        try {
          const res = await withRedirects(req, overall);
          if (i < attempts && transient(res.status) && !overall?.aborted) {
            lastFault = `answered HTTP ${res.status}`;
            lastStatus = res.status;
            await res.dump();
          } else return res;
        } catch (e) {
          if (e instanceof RemoteError) throw e;
          if (overall?.aborted) {
            // The try before failed differently (refused, 503): say so, it is the real fault.
            const before = lastFault && !lastFault.includes("timed out") ? `; the try before: ${lastFault}` : "";
            throw new RemoteError(`${name}: no complete answer within ${req.overallMs! / 1000} s (timed out)${before}`, { cause: e });
          }
          // A certificate that failed verification fails the same way on the next try.
          if (i >= attempts || isCertFault(e)) throw new RemoteError(`${name}: ${describeFault(e)}`, { cause: e });
          lastFault = describeFault(e);
          lastStatus = undefined;
        }
        // Full jitter: a fleet retrying together spreads out instead of hitting in lockstep.
        // At most half of the budget left, so the next attempt always gets a real chance
        // (and a fast fault such as "connection refused" is reported as such, never as a
        // timeout that depends on the dice).
        const wait = Math.floor(deps.random() * Math.min(30_000, 1000 * 2 ** i));
        await deps.sleep(Math.max(0, Math.min(wait, (until - Date.now()) / 2)));
        if (overall?.aborted || Date.now() >= until) {
          throw new RemoteError(`${name}: ${lastFault} (gave up after ${req.overallMs! / 1000} s)`, { status: lastStatus });
        }
      }
    },
    async close() {
      // Called as the process ends (main.ts). destroy, not close: a graceful close waits for
      // requests still in flight, so a command that had given up on a hanging remote (an rpcd
      // deadline answer) lingered until that request's own timeout — past rpcd's kill.
      await Promise.all([...agents.values()].map((a) => a.destroy().catch(() => {})));
      agents.clear();
    },
  };
}

/** AbortSignal.any, which Node 18 lacks: aborts when any of the given signals does, with its reason. */
function anySignal(signals: Array<AbortSignal | undefined>): AbortSignal | undefined {
  const list = signals.filter((s): s is AbortSignal => s !== undefined);
  if (list.length <= 1) return list[0];
  const ac = new AbortController();
  for (const s of list) {
    if (s.aborted) {
      ac.abort(s.reason);
      break;
    }
    s.addEventListener("abort", () => ac.abort(s.reason), { once: true });
  }
  return ac.signal;
}

function lower(h: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) out[k.toLowerCase()] = v;
  return out;
}
