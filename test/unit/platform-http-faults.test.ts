/**
 * Which fault a failed call reports, and when it stops trying (issue 18):
 * a certificate that fails verification is final (no retry), and when the
 * overall budget runs out the message keeps the last real fault instead of a
 * bare "timed out" that depends on how the backoff dice fell.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { createServer as createTcp } from "node:net";
import { createServer as createTls } from "node:tls";
import { createHttp } from "../../src/platform/http";
import { RemoteError } from "../../src/platform/errors";
import { makeCert } from "../helpers/servers";

const rejects = async (p: Promise<unknown>): Promise<Error> =>
  p.then(
    () => assert.unreachable("resolved") as never,
    (e: Error) => e,
  );

/** A port nothing listens on (bound, then closed). */
async function closedPort(): Promise<number> {
  const s = createTcp();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

test("a certificate that fails verification is not retried, and says so", async () => {
  const cert = makeCert();
  let handshakes = 0;
  const srv = createTls({ key: cert.key, cert: cert.cert }, (s) => s.destroy());
  srv.on("tlsClientError", () => {});
  srv.on("connection", () => handshakes++);
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  const slept: number[] = [];
  const http = createHttp({ sleep: async (ms) => void slept.push(ms), random: () => 0.5 });
  const url = `https://127.0.0.1:${(srv.address() as { port: number }).port}/api`;
  const t0 = Date.now();
  const e = await rejects(http.request({ url, remote: "portal", retries: 5, overallMs: 60_000 }));
  assert.instance(e, RemoteError);
  assert.match(e.message, /^portal https:\/\/127\.0\.0\.1:\d+\/api: TLS certificate verification failed \(\w+\)$/);
  assert.is(handshakes, 1, "one connection, no retry");
  assert.equal(slept, [], "no backoff wait");
  assert.ok(Date.now() - t0 < 10_000);
  await http.close();
  await new Promise<void>((r) => srv.close(() => r()));
});

test("budget spent in a backoff wait: the message names the last fault, not 'timed out'", async () => {
  const port = await closedPort();
  // A sleep that overruns what it was asked for (a loaded machine, a suspended VM).
  const http = createHttp({ sleep: () => new Promise((r) => setTimeout(r, 400)), random: () => 0.99 });
  const e = await rejects(http.request({ url: `http://127.0.0.1:${port}/x`, remote: "portal", retries: 5, overallMs: 300 }));
  assert.is(e.message, `portal http://127.0.0.1:${port}/x: connection refused (gave up after 0.3 s)`);
  await http.close();
});

test("budget spent in a backoff wait after a 503: the message and the error carry the status", async () => {
  const srv = createTcp((s) => s.once("data", () => s.end("HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")));
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  const port = (srv.address() as { port: number }).port;
  const http = createHttp({ sleep: () => new Promise((r) => setTimeout(r, 400)), random: () => 0.99 });
  const e = await rejects(http.request({ url: `http://127.0.0.1:${port}/x`, remote: "portal", retries: 5, overallMs: 300 }));
  assert.is(e.message, `portal http://127.0.0.1:${port}/x: answered HTTP 503 (gave up after 0.3 s)`);
  assert.is((e as RemoteError).status, 503);
  await http.close();
  await new Promise<void>((r) => srv.close(() => r()));
});

test("backoff waits fit the budget: a refused port reads 'connection refused' whatever the dice", async () => {
  const port = await closedPort();
  // Seeded dice covering the whole range, the worst case (0.999…) included.
  let seed = 18;
  const dice = [0, 0.5, 0.999999, ...Array.from({ length: 17 }, () => ((seed = (seed * 16807) % 2147483647) / 2147483647))];
  for (const d of dice) {
    const waits: number[] = [];
    const http = createHttp({
      sleep: (ms) => (waits.push(ms), new Promise((r) => setTimeout(r, ms / 20))),
      random: () => d,
    });
    const e = await rejects(http.request({ url: `http://127.0.0.1:${port}/x`, remote: "portal", retries: 2, overallMs: 5_000 }));
    assert.is(e.message, `portal http://127.0.0.1:${port}/x: connection refused`, `dice ${d}`);
    assert.ok(waits.reduce((a, b) => a + b, 0) < 5_000, `waits ${waits} fit in 5 s`);
    await http.close();
  }
});

test.run();
