/**
 * The answer-body guards and the overall limit of platform/http.ts (found by
 * the fault matrix, issue 9): a trickling body is abandoned, a consumer that
 * reads slowly is not blamed for it, a cut body and a deadline name the
 * remote and the fault, and `overallMs` bounds every retry together.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { createServer, type Socket } from "node:net";
import { createHttp } from "../../src/platform/http";
import { RemoteError } from "../../src/platform/errors";
import { startServer } from "../helpers/servers";

const http = createHttp({ sleep: (ms) => new Promise((r) => setTimeout(r, ms)), random: () => 0.5 });

/** A raw server: `onData` gets the socket once the request arrived. */
async function raw(onData: (s: Socket) => void) {
  const sockets = new Set<Socket>();
  const srv = createServer((s) => {
    sockets.add(s);
    s.on("error", () => {});
    s.once("data", () => onData(s));
  });
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${(srv.address() as { port: number }).port}/x`;
  return { url, close: () => new Promise<void>((r) => (sockets.forEach((s) => s.destroy()), srv.close(() => r()))) };
}

const rejects = async (p: Promise<unknown>): Promise<Error> =>
  p.then(
    () => assert.unreachable("expected a rejection") as never,
    (e: Error) => e,
  );

test("a body trickling under the speed floor is abandoned with an error naming the remote", async () => {
  const timers: NodeJS.Timeout[] = [];
  const srv = await raw((s) => {
    s.write("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n");
    timers.push(setInterval(() => s.write("1\r\n \r\n"), 50));
  });
  const t0 = Date.now();
  const res = await http.request({ url: srv.url, remote: "backupd", minSpeed: { bytes: 100, windowMs: 300 } });
  const e = await rejects(res.text());
  assert.instance(e, RemoteError);
  assert.match(e.message, /^backupd http:\/\/127\.0\.0\.1:\d+\/x: answer too slow \(under 100 bytes in 0\.3 s\)$/);
  assert.ok(Date.now() - t0 < 5000, "abandoned after about one window");
  timers.forEach(clearInterval);
  await srv.close();
});

test("a consumer that has not read yet is not blamed: a fast body waiting in our buffer survives the window", async () => {
  const big = "x".repeat(4 * 1024 * 1024);
  const srv = await startServer((_q, res) => void res.writeHead(200, { "content-type": "text/plain" }).end(big));
  const res = await http.request({ url: srv.url, minSpeed: { bytes: 64 * 1024, windowMs: 100 } });
  await new Promise((r) => setTimeout(r, 500)); // several windows with nothing read: undici is held back by us
  assert.is((await res.text()).length, big.length);
  await srv.close();
});

test("a body cut off mid-stream is a RemoteError naming the remote and the fault", async () => {
  const srv = await raw((s) => {
    s.write("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{\"code\": 200, \"da");
    setTimeout(() => s.destroy(), 30);
  });
  const res = await http.request({ url: srv.url, remote: "portal" });
  const e = await rejects(res.text());
  assert.instance(e, RemoteError);
  assert.match(e.message, /^portal http:\/\/127\.0\.0\.1:\d+\/x: (connection closed by the server|answer cut short)/);
  await srv.close();
});

test("a per-attempt deadline reads 'timed out', not the DOMException's text", async () => {
  const srv = await raw(() => {}); // accept, never answer
  const e = await rejects(http.request({ url: srv.url, remote: "controller", timeoutMs: 10_000, deadlineMs: 200 }));
  assert.match(e.message, /^controller http:\/\/127\.0\.0\.1:\d+\/x: timed out$/);
  await srv.close();
});

test("overallMs bounds every attempt and backoff wait together", async () => {
  const srv = await raw(() => {});
  const t0 = Date.now();
  const e = await rejects(http.request({ url: srv.url, remote: "portal", timeoutMs: 300, retries: 10, overallMs: 1000 }));
  const took = Date.now() - t0;
  assert.match(e.message, /: no complete answer within 1 s \(timed out\)$/);
  // 11 attempts of 300 ms plus backoff would take over 10 s.
  assert.ok(took < 5000, `took ${took} ms`);
  await srv.close();
});

test("dump() does not wait for a trickling body it is discarding", async () => {
  const timers: NodeJS.Timeout[] = [];
  const srv = await raw((s) => {
    s.write("HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n");
    timers.push(setInterval(() => s.write("1\r\n \r\n"), 200));
  });
  const res = await http.request({ url: srv.url, remote: "portal" });
  const t0 = Date.now();
  await res.dump();
  // Documented: dump() waits at most 2 s (platform/http.ts DUMP_WAIT_MS). The trickle never ends,
  // so only that limit can end the wait; 1.5 s of room for a loaded machine, no more.
  const took = Date.now() - t0;
  assert.ok(took < 3_500, `dump returned after ${took} ms, documented at most 2 s`);
  timers.forEach(clearInterval);
  await srv.close();
});

test("overallMs also bounds the body read after the answer's headers", async () => {
  const timers: NodeJS.Timeout[] = [];
  const srv = await raw((s) => {
    s.write("HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n");
    timers.push(setInterval(() => s.write("400\r\n" + "y".repeat(1024) + "\r\n"), 20)); // fast enough for the floor, never ends
  });
  const res = await http.request({ url: srv.url, remote: "backupd", overallMs: 500 });
  const e = await rejects(res.text());
  assert.instance(e, RemoteError);
  assert.match(e.message, /^backupd http:\/\/127\.0\.0\.1:\d+\/x: timed out$/);
  timers.forEach(clearInterval);
  await srv.close();
  await http.close();
});

test.run();
