/**
 * The delivery queue under a fake clock: newest status only, order per
 * alert_id, retries (≥ 3 tries over ≥ 60 s with jitter, then dropped and
 * logged), independence of ids, the id bound, and the shutdown drain.
 * The portal is a scripted `send`; the clock only moves when the test says.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { createDeliveryQueue, DEFAULT_RETRY, retryDelay, type SendOutcome, type Timers } from "../../src/alerts/queue";
import type { LegacyAlert, LegacyStatus } from "../../src/alerts/map";

class FakeTimers implements Timers {
  t = 0;
  private seq = 0;
  private jobs = new Map<number, { at: number; fn: () => void }>();
  now = () => this.t;
  set = (fn: () => void, ms: number) => {
    const id = ++this.seq;
    this.jobs.set(id, { at: this.t + ms, fn });
    return id;
  };
  clear = (h: unknown) => void this.jobs.delete(h as number);
  pending = () => this.jobs.size;
  /** Move the clock forward, running each due timer at its time and letting promises settle in between. */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    await settle();
    for (;;) {
      const next = [...this.jobs.entries()].sort((a, b) => a[1].at - b[1].at || a[0] - b[0])[0];
      if (!next || next[1].at > end) break;
      this.jobs.delete(next[0]);
      this.t = next[1].at;
      next[1].fn();
      await settle();
    }
    this.t = end;
  }
}

const settle = async () => {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
};

interface Call {
  alert: LegacyAlert;
  at: number;
  signal: AbortSignal;
  resolve(o: SendOutcome): void;
}

/** A scripted portal: `mode` answers at once; "hold" keeps the request open until the test resolves it. */
function portal(timers: FakeTimers) {
  const calls: Call[] = [];
  const state = { mode: "up" as "up" | "down" | "hold", holdIds: new Set<string>() };
  const send = (alert: LegacyAlert, signal: AbortSignal) =>
    new Promise<SendOutcome>((resolve) => {
      calls.push({ alert, at: timers.now(), signal, resolve });
      if (state.holdIds.has(alert.alertId)) return;
      if (state.mode === "up") resolve("delivered");
      else if (state.mode === "down") resolve({ error: "connection refused" });
    });
  const seen = (id: string) => calls.filter((c) => c.alert.alertId === id).map((c) => c.alert.status);
  return { calls, state, send, seen };
}

function logger() {
  const lines: string[] = [];
  const at = (l: string) => (m: string) => void lines.push(`${l}: ${m}`);
  return { lines, log: { error: at("error"), warning: at("warning"), info: at("info"), debug: at("debug") } };
}

function setup(opts: { random?: () => number; maxIds?: number } = {}) {
  const timers = new FakeTimers();
  const p = portal(timers);
  const l = logger();
  const q = createDeliveryQueue({ send: p.send, timers, random: opts.random ?? (() => 0.5), log: l.log, maxIds: opts.maxIds });
  const push = (alertId: string, status: LegacyStatus) => q.push({ alertId, status });
  return { timers, p, l, q, push };
}

test("an alert is sent at once and forgotten once delivered", async () => {
  const { timers, p, q, push } = setup();
  push("wan:wan:down", "FAILURE");
  await timers.advance(0);
  assert.equal(p.seen("wan:wan:down"), ["FAILURE"]);
  assert.is(q.size(), 0);
  assert.is(timers.pending(), 0);
});

for (const [name, random] of [["shortest jitter", () => 0], ["longest jitter", () => 0.999999], ["middle", () => 0.5]] as const) {
  test(`portal down for good (${name}): ≥ 3 tries spread over ≥ 60 s, then dropped and logged`, async () => {
    const { timers, p, l, q, push } = setup({ random });
    p.state.mode = "down";
    push("storage:status", "FAILURE");
    await timers.advance(30 * 60_000);
    const times = p.calls.map((c) => c.at);
    assert.ok(times.length >= 3, `${times.length} tries`);
    assert.is(times.length, DEFAULT_RETRY.tries);
    assert.ok(times[times.length - 1]! - times[0]! >= 60_000, `tries at ${times.join(", ")}`);
    for (let i = 2; i < times.length; i++) assert.ok(times[i]! - times[i - 1]! > times[i - 1]! - times[i - 2]!, "backoff grows");
    assert.is(q.size(), 0);
    assert.is(timers.pending(), 0, "no timer left behind");
    const errors = l.lines.filter((x) => x.startsWith("error:"));
    assert.is(errors.length, 1);
    assert.match(errors[0]!, /storage:status FAILURE dropped after 6 tries over \d+ s: connection refused/);
  });
}

test("retryDelay: doubles per failure, jitter within ±25 %", () => {
  const p = { tries: 6, baseMs: 1000 };
  assert.is(retryDelay(p, 1, () => 0), 750);
  assert.is(retryDelay(p, 1, () => 0.5), 1000);
  assert.is(retryDelay(p, 3, () => 0.5), 4000);
  assert.ok(retryDelay(p, 2, () => 0.999999) <= 2500);
});

test("portal down then up: only the newest status of each id is delivered, none older after newer", async () => {
  const { timers, p, q, push } = setup();
  p.state.mode = "down";
  push("a", "FAILURE");
  push("b", "OK");
  await timers.advance(1000);
  for (const s of ["OK", "FAILURE", "OK"] as const) push("a", s);
  push("b", "FAILURE");
  await timers.advance(1000);
  p.state.mode = "up";
  await timers.advance(120_000);
  assert.is(q.size(), 0);
  const delivered = (id: string) => p.calls.filter((c) => c.alert.alertId === id && c.at > 2000).map((c) => c.alert.status);
  assert.equal(delivered("a"), ["OK"]);
  assert.equal(delivered("b"), ["FAILURE"]);
});

test("a newer status arriving while a request is in flight is sent right after it, the older never again", async () => {
  const { timers, p, q, push } = setup();
  p.state.mode = "hold";
  push("a", "FAILURE");
  await timers.advance(0);
  push("a", "OK");
  push("a", "FAILURE");
  push("a", "OK");
  await timers.advance(0);
  assert.is(p.calls.length, 1, "one request per id at a time");
  p.state.mode = "up";
  p.calls[0]!.resolve("delivered");
  await timers.advance(0);
  assert.equal(p.seen("a"), ["FAILURE", "OK"]);
  assert.is(q.size(), 0);
});

test("the request in flight fails while a newer status waits: the newer is retried, not the older", async () => {
  const { timers, p, q, push } = setup();
  p.state.mode = "hold";
  push("a", "FAILURE");
  await timers.advance(0);
  push("a", "OK");
  p.calls[0]!.resolve({ error: "HTTP 503" });
  await timers.advance(0);
  assert.is(p.calls.length, 1, "waits for the backoff");
  p.state.mode = "up";
  await timers.advance(60_000);
  assert.equal(p.seen("a"), ["FAILURE", "OK"]);
  assert.is(q.size(), 0);
});

test("a new status gets a fresh retry budget", async () => {
  const { timers, p, push } = setup();
  p.state.mode = "down";
  push("a", "FAILURE");
  await timers.advance(100_000); // several failed tries
  const before = p.calls.length;
  assert.ok(before >= 3 && before < DEFAULT_RETRY.tries);
  push("a", "OK");
  await timers.advance(30 * 60_000);
  assert.is(p.seen("a").filter((s) => s === "OK").length, DEFAULT_RETRY.tries);
});

test("a slow request for one id never delays another id", async () => {
  const { timers, p, q, push } = setup();
  p.state.mode = "hold";
  push("slow", "FAILURE");
  await timers.advance(0);
  p.state.mode = "up";
  push("fast", "FAILURE");
  push("fast", "OK");
  await timers.advance(0);
  assert.equal(p.seen("fast"), ["FAILURE", "OK"]);
  assert.is(q.size(), 1, "only the slow one is pending");
});

test("an alert discarded at send time (unregistered meanwhile) is forgotten, not retried", async () => {
  const { timers, q } = setup();
  const calls: string[] = [];
  const l = logger();
  const q2 = createDeliveryQueue({
    send: async (a) => (calls.push(a.alertId), "discarded"),
    timers,
    random: () => 0.5,
    log: l.log,
  });
  q2.push({ alertId: "a", status: "OK" });
  await timers.advance(600_000);
  assert.equal(calls, ["a"]);
  assert.is(q2.size(), 0);
  assert.is(q.size(), 0);
});

test("the pending map is bounded by maxIds; what does not fit is dropped and logged once", async () => {
  const { timers, p, l, q, push } = setup({ maxIds: 3 });
  p.state.mode = "hold";
  for (let i = 0; i < 10; i++) push(`wan:w${i}:down`, "FAILURE");
  push("wan:w0:down", "OK"); // an id already pending still takes its newer status
  await timers.advance(0);
  assert.is(q.size(), 3);
  assert.is(p.calls.length, 3);
  const errors = l.lines.filter((x) => x.startsWith("error:"));
  assert.is(errors.length, 1);
  assert.match(errors[0]!, /queue full/);
  p.state.mode = "up";
  for (const c of p.calls.slice()) c.resolve("delivered");
  await timers.advance(0);
  assert.equal(p.seen("wan:w0:down"), ["FAILURE", "OK"]);
  assert.is(q.size(), 0);
});

test("the overflow log counts every drop: the first at once, the rest a minute later and at shutdown", async () => {
  const { timers, p, l, q, push } = setup({ maxIds: 3 });
  p.state.mode = "hold";
  for (let i = 0; i < 10; i++) push(`wan:w${i}:down`, "FAILURE"); // 7 dropped
  await timers.advance(0);
  const dropped = () =>
    l.lines.filter((x) => x.startsWith("error:") && /queue full/.test(x)).map((x) => Number(/: (\d+)(?: more)? alert\(s\) dropped/.exec(x)![1]));
  assert.equal(dropped(), [1]);
  await timers.advance(60_000);
  assert.equal(dropped(), [1, 6]);
  for (let i = 10; i < 15; i++) push(`wan:w${i}:down`, "FAILURE"); // 5 more, reported at shutdown
  const done = q.drain(1_000);
  await timers.advance(2_000);
  await done;
  assert.equal(dropped(), [1, 6, 5]);
});

test("drain: what waits for a retry is tried at once; resolves when all is delivered", async () => {
  const { timers, p, q, push } = setup();
  p.state.mode = "down";
  push("a", "FAILURE");
  push("b", "OK");
  await timers.advance(100);
  p.state.mode = "up";
  let done = false;
  const drained = q.drain(5000).then(() => (done = true));
  await timers.advance(0);
  await drained;
  assert.ok(done);
  assert.is(timers.t, 100, "no waiting for the backoff");
  assert.equal(p.seen("a"), ["FAILURE", "FAILURE"]);
  assert.is(q.size(), 0);
});

test("drain with the portal down: keeps trying until the deadline, then aborts and logs what is lost", async () => {
  const { timers, p, l, q, push } = setup();
  p.state.mode = "down";
  push("a", "FAILURE");
  await timers.advance(10);
  p.state.holdIds.add("b");
  push("b", "OK"); // in flight, never answered
  const drained = q.drain(5000);
  await timers.advance(5000);
  await drained;
  assert.is(q.size(), 0);
  assert.ok(p.calls.filter((c) => c.alert.alertId === "a").length > 2, "retried during the drain");
  assert.ok(p.calls.filter((c) => c.alert.alertId === "b").every((c) => c.signal.aborted), "in-flight request aborted");
  const lost = l.lines.filter((x) => /dropped: not delivered before shutdown/.test(x));
  assert.is(lost.length, 2);
  // Late answers after the drain change nothing.
  for (const c of p.calls) c.resolve({ error: "aborted" });
  const n = p.calls.length;
  await timers.advance(600_000);
  assert.is(p.calls.length, n);
  assert.is(timers.pending(), 0);
});

test("drain with nothing pending resolves at once", async () => {
  const { q } = setup();
  await q.drain(5000);
  assert.is(q.size(), 0);
});

test.run();
