/**
 * The HTTP server boundary (node:http) for the alert proxy: a small
 * request → answer interface so feature code never sees sockets.
 *
 * - The body is buffered up to `maxBodyBytes`; beyond that the client gets
 *   413 at once and the rest of the body is read and thrown away (closing
 *   with unread data would make the kernel send RST, and many clients then
 *   lose the 413), then the connection is closed.
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
  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    const declared = Number(req.headers["content-length"] ?? 0);
    let chunks: Buffer[] | undefined = [];
    let size = 0;
    const tooLarge = () => {
      chunks = undefined;
      send(res, { status: 413, body: `request body over ${opts.maxBodyBytes} bytes\n` }, true);
    };
    if (declared > opts.maxBodyBytes) tooLarge();
    req.on("data", (c: Buffer) => {
      if (!chunks) return; // discarding the rest of an oversized body
      size += c.length;
      if (size > opts.maxBodyBytes) tooLarge();
      else chunks.push(c);
    });
    req.on("end", () => {
      if (!chunks) return;
      let answer: ServerAnswer;
      try {
        answer = opts.handle({ method: req.method ?? "", url: req.url ?? "", body: Buffer.concat(chunks, size) });
      } catch (e) {
        opts.onHandlerError?.(e instanceof Error ? e.message : String(e));
        answer = { status: 500, body: "internal error\n" };
      }
      send(res, answer);
    });
    req.on("error", () => res.destroy());
  };

  const server = createServer(onRequest);
  // Bounds for a daemon on a small router: slow or idle clients cannot pile up.
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  server.keepAliveTimeout = 5_000;
  server.maxConnections = 64; // each may buffer up to maxBodyBytes
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
