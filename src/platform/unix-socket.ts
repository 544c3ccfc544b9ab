/** One request/answer exchange on a unix stream socket (OpenVPN's management interface). */
import { createConnection } from "node:net";

/**
 * Connect to `real`, write `request`, collect text until `done` matches it
 * (or the peer closes), and hang up. Rejects on a connection error or after
 * `timeoutMs`.
 */
export function askUnixSocket(real: string, request: string, done: RegExp, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = "";
    const sock = createConnection({ path: real });
    const finish = (err?: Error) => {
      clearTimeout(timer);
      sock.destroy();
      if (err) reject(err);
      else resolve(text);
    };
    const timer = setTimeout(() => finish(new Error(`${real}: no answer within ${timeoutMs} ms`)), timeoutMs);
    sock.setEncoding("utf8");
    sock.on("connect", () => sock.write(request));
    sock.on("data", (chunk: string) => {
      text += chunk;
      if (done.test(text)) finish();
      else if (text.length > 1024 * 1024) finish(new Error(`${real}: answer too long`));
    });
    sock.on("error", (e) => finish(e));
    sock.on("close", () => finish());
  });
}
