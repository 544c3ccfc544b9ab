/**
 * The alert proxy's connection handling against a local process that holds
 * sockets open or keeps sending (issue 13 item 6 and "Also", issue 18 §1),
 * on the built bundle as procd runs it:
 * - 200 oversized webhooks from clients that keep sending: every one reads
 *   the 413 (not EPIPE / ECONNRESET);
 * - `Expect: 100-continue` with an oversized length: 413, no `100 Continue`;
 * - 64 and 500 idle or half-sent connections held open: a webhook is still
 *   answered 200 within seconds, and the held sockets are closed by the proxy;
 * - the overflow log counts every alert it dropped.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { connect, type Socket } from "node:net";
import { testdir, type TestDir } from "../helpers/testdir";
import {
  FIRING, postWebhook, registeredConfig, startAlertSink, startProxy, webhook, type AlertSink, type RunningProxy,
} from "../servers/alerts-sink";

const MiB = 1024 * 1024;
const PATH = "/api/v2/alerts";
let sink: AlertSink;
let dir: TestDir;
let proxy: RunningProxy;

test.before(async () => {
  sink = await startAlertSink();
  dir = testdir({ "/etc/config/ns-plug": { content: registeredConfig(sink.alertsUrl), mode: 0o600 } });
  proxy = await startProxy(dir);
});

test.after(async () => {
  await proxy?.stop("SIGKILL");
  await sink?.close();
  dir?.cleanup();
});

/** Everything the proxy sent on a raw connection, until it closed (or `until` matched). */
function exchange(
  head: string,
  opts: { body?: (s: Socket) => void; until?: RegExp; onData?: (got: string, s: Socket) => void } = {},
): Promise<string> {
  return new Promise((resolve) => {
    const s = connect(proxy.port, "127.0.0.1");
    let got = "";
    let err = "";
    const timer = setTimeout(() => s.destroy(), 30_000);
    s.on("data", (b) => {
      got += b.toString("latin1");
      opts.onData?.(got, s);
      if (opts.until?.test(got)) s.destroy();
    });
    s.on("error", (e: NodeJS.ErrnoException) => (err = e.code ?? e.message));
    s.on("close", () => {
      clearTimeout(timer);
      resolve(got || `<nothing; ${err || "closed"}>`);
    });
    s.write(head);
    opts.body?.(s);
  });
}

/** Write `size` bytes of body as fast as the socket takes them, whatever the proxy answers meanwhile. */
function keepSending(size: number, chunked: boolean) {
  return (s: Socket) => {
    const piece = Buffer.alloc(64 * 1024, 0x20);
    const frame = chunked ? Buffer.concat([Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from("\r\n")]) : piece;
    let sent = 0;
    const pump = () => {
      while (sent < size && !s.destroyed && s.writable) {
        sent += piece.length;
        if (!s.write(frame)) return void s.once("drain", pump);
      }
      if (chunked && s.writable) s.write("0\r\n\r\n");
    };
    pump();
  };
}

const head = (extra: string) => `POST ${PATH} HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\n${extra}\r\n`;
const statusOf = (got: string) => /^HTTP\/1\.1 (\d{3})/.exec(got)?.[1] ?? got.slice(0, 80);

test("200 oversized webhooks from clients that keep sending: every one gets the 413", async () => {
  const seen = new Map<string, number>();
  const count = (k: string) => seen.set(k, (seen.get(k) ?? 0) + 1);
  for (let i = 0; i < 200; i++) {
    const size = 2 * MiB + i * 1000;
    const kind = i % 3;
    if (kind === 0) {
      // Content-Length over the limit: the 413 goes out at the headers, the body keeps coming.
      count(`length: ${statusOf(await exchange(head(`content-length: ${size}\r\n`), { body: keepSending(size, false) }))}`);
    } else if (kind === 1) {
      // No length announced: the 413 goes out after 1 MiB, mid-body.
      count(`chunked: ${statusOf(await exchange(head("transfer-encoding: chunked\r\n"), { body: keepSending(size, true) }))}`);
    } else {
      // What Alertmanager-like clients do: fetch (undici) with the whole body.
      const status = await fetch(`${proxy.url}${PATH}`, { method: "POST", body: new Uint8Array(size).fill(0x20) }).then(
        (r) => String(r.status),
        (e: Error & { cause?: { code?: string } }) => `${e.message} ${e.cause?.code ?? ""}`,
      );
      count(`fetch: ${status}`);
    }
  }
  assert.equal(Object.fromEntries(seen), { "length: 413": 67, "chunked: 413": 67, "fetch: 413": 66 });
  assert.is((await postWebhook(proxy.url, webhook([["StorageStatus", {}, FIRING]]), PATH)).status, 200);
});

test("Expect: 100-continue with an oversized length: 413 and no 100 Continue; a small one is invited", async () => {
  const big = await exchange(head(`content-length: ${2 * MiB}\r\nexpect: 100-continue\r\n`));
  assert.match(big, /^HTTP\/1\.1 413 /);
  assert.not.match(big, /100 Continue/);
  const body = JSON.stringify(webhook([["StorageStatus", {}, FIRING]]));
  const small = await exchange(head(`content-length: ${Buffer.byteLength(body)}\r\nexpect: 100-continue\r\n`), {
    until: /HTTP\/1\.1 200 [^]*\r\n\r\n/,
    onData: (got, s) => {
      if (/^HTTP\/1\.1 100 Continue\r\n\r\n/.test(got) && !s.writableEnded && got.length < 30) s.write(body);
    },
  });
  assert.match(small, /^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 /);
});

/** Open `n` connections that never finish a request: idle, half-sent headers, half-sent body. */
async function holdOpen(n: number): Promise<{ sockets: Socket[]; closed: () => number }> {
  const sockets: Socket[] = [];
  let closed = 0;
  await Promise.all(
    Array.from({ length: n }, (_, i) => new Promise<void>((resolve) => {
      const s = connect(proxy.port, "127.0.0.1", () => {
        if (i % 3 === 1) s.write(`POST ${PATH} HTTP/1.1\r\nhost: 127.0.0.1\r\n`);
        if (i % 3 === 2) s.write(head("content-length: 1000\r\n") + "{\"alerts\": [");
        resolve();
      });
      s.on("error", () => resolve());
      s.on("close", () => closed++);
      sockets.push(s);
    })),
  );
  return { sockets, closed: () => closed };
}

for (const n of [64, 500]) {
  test(`${n} idle or half-sent connections held open: a webhook is still answered 200 within seconds`, async () => {
    const held = await holdOpen(n);
    try {
      const before = sink.accepted.length;
      const t0 = Date.now();
      const r = await postWebhook(proxy.url, webhook([["WanDown", { interface: `held${n}` }, FIRING]]), PATH);
      const took = Date.now() - t0;
      assert.is(r.status, 200);
      assert.ok(took < 8_000, `answered after ${took} ms`);
      console.log(`FIGURE alert-proxy: webhook answered in ${took} ms with ${n} connections held open`);
      await sink.until((a) => a.slice(before).some((x) => x.alert_id === `wan:held${n}:down`));
      // The proxy closes what it holds for nothing (a short idle timer), whatever the client does.
      const deadline = Date.now() + 30_000;
      while (held.closed() < n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
      assert.is(held.closed(), n, "every held connection closed by the proxy");
    } finally {
      held.sockets.forEach((s) => s.destroy());
    }
  });
}

test("a full delivery queue: the overflow log counts every alert it dropped", async () => {
  sink.mode = "hang"; // nothing is delivered: 1024 ids stay pending, the rest is dropped
  const ids = 3000;
  for (let from = 0; from < ids; from += 500) {
    const alerts = Array.from({ length: 500 }, (_, i) => ["WanDown", { interface: `ovf${from + i}` }, FIRING] as [string, Record<string, string>, string]);
    assert.is((await postWebhook(proxy.url, webhook(alerts), PATH)).status, 200);
  }
  await proxy.logged(/delivery queue full/);
  await proxy.stop("SIGTERM");
  const counts = [...proxy.stderr().matchAll(/delivery queue full \(1024 alert ids pending\): (\d+)(?: more)? alert\(s\) dropped/g)].map((m) => Number(m[1]));
  assert.is(counts.reduce((a, b) => a + b, 0), ids - 1024, `logged: ${counts.join(" + ")}`);
  sink.release();
});

test.run();
