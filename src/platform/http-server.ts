/**
 * The HTTP server boundary (node:http) for the alert proxy: a small
 * request → answer interface so feature code never sees sockets.
 *
 * - The body is buffered up to `maxBodyBytes`; beyond that (or when the
 *   Content-Length says so, before any `100 Continue`) the client gets 413
 *   and a lingering close: FIN after the answer, then what the client still
 *   sends is read and dropped (up to LINGER_BYTES / LINGER_MS) before the
 *   socket is closed. Closing with unread data makes the kernel send RST, and
 *   a client still sending then sees EPIPE/ECONNRESET instead of the 413.
 * - Connection slots (issue 13): a connection that sends nothing for IDLE_MS
 *   is closed, and when all MAX_CONNECTIONS slots are taken a new connection
 *   evicts the one that has been quiet longest (one that never completed a
 *   request first), so held-open sockets from a local process cannot keep
 *   webhooks out.
 * - `handle` is synchronous: the answer is written as soon as it returns, so
 *   any work the handler schedules (setImmediate, promises) runs after the
 *   answer was handed to the socket.
 * - Malformed HTTP is answered 400 by node:http itself; a handler that throws
 *   gets 500. Nothing a client sends can crash the process.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { NsPlugError } from "./errors";

export interface ServerRequest {
  method: string;
  /** Raw request target (path and query), not decoded. */
  url: string;
  body: Uint8Array;
}

export interface ServerAnswer {
  status: number;
  body?: string;
  contentType?: string;
}

export interface HttpServerOptions {
  host: string;
  port: number;
  maxBodyBytes: number;
  handle(req: ServerRequest): ServerAnswer;
  /** Called with a short description when the handler throws (the client got 500). */
  onHandlerError?(message: string): void;
}

export interface HttpServer {
  host: string;
  port: number;
  /** Stop accepting, close idle keep-alive connections, wait for the requests being answered. */
  close(): Promise<void>;
  /** Drop every connection still open (after close(), when the grace period is over). */
  closeAll(): void;
}

/** No byte from the client for this long (idle keep-alive, half-sent headers or body): closed. */
export const IDLE_MS = 5_000;
/** Slots; each may buffer up to maxBodyBytes. A new connection beyond it evicts the quietest. */
export const MAX_CONNECTIONS = 64;
/** After a 413: how long, and how many bytes, we keep reading and dropping before closing. */
const LINGER_MS = 5_000;
const LINGER_BYTES = 16 * 1024 * 1024;

function send(res: ServerResponse, a: ServerAnswer, close = false): void {
  const body = a.body ?? "";
  const headers: Record<string, string | number> = {
    "content-type": a.contentType ?? "text/plain; charset=utf-8",
    "content-length": Buffer.byteLength(body),
  };
  if (close) headers.connection = "close";
  res.writeHead(a.status, headers);
  res.end(body);
}

export async function listenHttp(opts: HttpServerOptions): Promise<HttpServer> {
  // Connection table: socket → order of its last activity (connect, request, body chunk; a
  // counter, not a clock: only the order matters) and whether it has been answered a request.
  const conns = new Map<Socket, { seq: number; served: boolean }>();
  let seq = 0;
  const touch = (s: Socket, served = false) => {
    const c = conns.get(s);
    if (c) {
      c.seq = ++seq;
      c.served ||= served;
    }
  };

  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    const socket = req.socket;
    touch(socket);
    const declared = Number(req.headers["content-length"] ?? 0);
    let chunks: Buffer[] | undefined = [];
    let size = 0;
    let dropped = 0;
    let lingering: (() => void) | undefined;
    const tooLarge = () => {
      chunks = undefined;
      // node:http ends a `connection: close` answer with socket.destroySoon(): destroy as soon
      // as the answer is written, unread body or not. Replace it, for this socket only, with a
      // lingering close (what Apache and nginx do).
      socket.destroySoon = () => {
        if (socket.destroyed) return;
        socket.end(); // FIN after the 413: the client learns it may stop
        const timer = setTimeout(() => socket.destroy(), LINGER_MS);
        timer.unref();
        lingering = () => socket.destroy();
        socket.once("close", () => clearTimeout(timer));
        socket.once("end", () => socket.destroy()); // the client closed its side: nothing more comes
        if (req.complete) socket.destroy(); // the whole body is read: nothing left to cause a RST
      };
      send(res, { status: 413, body: `request body over ${opts.maxBodyBytes} bytes\n` }, true);
    };
    if (declared > opts.maxBodyBytes) tooLarge();
    req.on("data", (c: Buffer) => {
      touch(socket);
      if (!chunks) {
        // discarding the rest of an oversized body, within bounds
        dropped += c.length;
        if (dropped > LINGER_BYTES) socket.destroy();
        return;
      }
      size += c.length;
      if (size > opts.maxBodyBytes) tooLarge();
      else chunks.push(c);
    });
    req.on("end", () => {
      if (!chunks) return lingering?.();
      let answer: ServerAnswer;
      try {
        answer = opts.handle({ method: req.method ?? "", url: req.url ?? "", body: Buffer.concat(chunks, size) });
      } catch (e) {
        opts.onHandlerError?.(e instanceof Error ? e.message : String(e));
        answer = { status: 500, body: "internal error\n" };
      }
      send(res, answer);
      touch(socket, true);
    });
    req.on("error", () => res.destroy());
  };

  const server = createServer(
    {
      // How often node:http enforces headersTimeout/requestTimeout (default 30 s: far too coarse).
      connectionsCheckingInterval: 1_000,
    },
    onRequest,
  );
  // Bounds for a daemon on a small router: slow or idle clients cannot pile up.
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  server.keepAliveTimeout = IDLE_MS;
  server.timeout = IDLE_MS; // inactivity on a socket: no listener for 'timeout', so node destroys it
  server.on("connection", (socket: Socket) => {
    if (conns.size >= MAX_CONNECTIONS) {
      // The quietest connection that never completed a request goes first: a keep-alive
      // connection that has delivered webhooks belongs to a client we know (Alertmanager).
      let quietest: Socket | undefined;
      let best = Infinity;
      for (const [s, c] of conns) {
        const rank = c.seq + (c.served ? Number.MAX_SAFE_INTEGER / 2 : 0);
        if (rank < best) [quietest, best] = [s, rank];
      }
      if (quietest) {
        conns.delete(quietest);
        quietest.destroy();
      }
    }
    conns.set(socket, { seq: ++seq, served: false });
    socket.once("close", () => conns.delete(socket));
  });
  // `Expect: 100-continue` with a length over the limit: 413 instead of inviting the body.
  server.on("checkContinue", (req: IncomingMessage, res: ServerResponse) => {
    if (!(Number(req.headers["content-length"] ?? 0) > opts.maxBodyBytes)) res.writeContinue();
    onRequest(req, res);
  });
  server.on("clientError", (_err: Error, socket: Socket) => {
    if (socket.writable) socket.end("HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n");
    else socket.destroy();
  });

  await new Promise<void>((resolve, reject) => {
    const fail = (e: NodeJS.ErrnoException) => {
      const why = e.code === "EADDRINUSE" ? "address already in use" : e.code === "EADDRNOTAVAIL" ? "address not available" : e.message;
      reject(new NsPlugError(1, `listen on ${opts.host}:${opts.port}: ${why}`));
    };
    server.once("error", fail);
    server.listen(opts.port, opts.host, () => {
      server.off("error", fail);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;

  return {
    host: addr.address,
    port: addr.port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Idle keep-alive connections would otherwise hold close() until they time out.
        server.closeIdleConnections();
      }),
    closeAll: () => server.closeAllConnections(),
  };
}
