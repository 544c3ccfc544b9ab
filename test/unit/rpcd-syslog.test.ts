// Plugin mode's log (SPEC §7): syslog through ONE logger child per call, never stderr;
// every printed answer exits 0, the deadline answer included.
import { test } from "uvu";
import { PassThrough } from "node:stream";
import * as assert from "uvu/assert";
import type { Exec, ExecOptions } from "../../src/platform/exec";
import { createLog } from "../../src/platform/log";
import { createSyslogLog } from "../../src/platform/syslog";
import { DEADLINE_MS, runPlugin } from "../../src/rpcd/protocol";
import { method } from "../../src/rpcd/method";
import { testdir } from "../helpers/testdir";
import { makeCtx } from "./controller-helpers";

/** A fresh stdin that has ended: rpcd's arguments, already all written. */
function input(text = "{}"): PassThrough {
  const s = new PassThrough();
  s.end(text);
  return s;
}

type Spawned = { cmd: string; args: readonly string[]; stdin: string };

function fakeExec(spawned: Spawned[]): Exec {
  return async (cmd, args, opts: ExecOptions = {}) => {
    spawned.push({ cmd, args, stdin: String(opts.stdin ?? "") });
    return { code: 0, signal: null, stdout: "", stdoutBytes: new Uint8Array(), stderr: "", timedOut: false };
  };
}

test("nothing logged → no logger started; lines → one logger, worst level's priority, every line on stdin", async () => {
  const spawned: Spawned[] = [];
  const base = createLog(() => assert.unreachable("the base log (stderr) is not used in plugin mode"), "ns.plug", "info");
  const quiet = createSyslogLog(fakeExec(spawned), "ns.plug", base);
  await quiet.flush();
  assert.equal(spawned, []);

  const s = createSyslogLog(fakeExec(spawned), "ns.backup", base);
  s.log.debug("below the level: dropped");
  s.log.info("first");
  s.log.error("second\nline");
  s.log.warning("third");
  await s.flush();
  assert.equal(spawned, [{
    cmd: "logger",
    args: ["-t", "ns-plug", "-p", "daemon.err"],
    stdin: "ns.backup: info: first\nns.backup: error: second line\nns.backup: warning: third\n",
  }]);
  await s.flush();
  assert.is(spawned.length, 1, "a second flush has nothing to send");
});

test("a flood of lines stays bounded and says how many were dropped", async () => {
  const spawned: Spawned[] = [];
  const s = createSyslogLog(fakeExec(spawned), "ns.plug", createLog(() => {}, "ns.plug", "info"));
  for (let i = 0; i < 5000; i++) s.log.info(`line ${i} ${"x".repeat(40)}`);
  await s.flush();
  assert.is(spawned.length, 1);
  assert.ok(spawned[0]!.stdin.length < 70 * 1024, `${spawned[0]!.stdin.length} bytes`);
  assert.match(spawned[0]!.stdin, /warning: \d+ more log lines dropped\n$/);
  assert.equal(spawned[0]!.args.slice(2), ["-p", "daemon.warning"]);
});

test("deadline: the timeout answer is printed once, work abandoned, log flushed, exit 0", async () => {
  const dir = testdir();
  const t = makeCtx(dir);
  const spawned: Spawned[] = [];
  let abandoned = 0;
  const ctx = { ...t.ctx, stdin: input(), exec: fakeExec(spawned), abandon: async () => void abandoned++ };
  // The clock's sleep returns at once: the deadline race is won by the timeout.
  const hang = method({ run: () => new Promise(() => {}) });
  try {
    const code = await runPlugin(ctx, "ns.plug", ["call", "status"], async () => ({ methods: { status: hang } as never }));
    assert.is(code, 0);
    assert.equal(t.out, ['{"error":"timeout"}\n']);
    assert.is(abandoned, 1);
    assert.ok(t.sleeps.includes(DEADLINE_MS));
    assert.is(spawned.length, 1);
    assert.match(spawned[0]!.stdin, /ns\.plug: error: ns\.plug status: no answer after 100 s/);
    assert.equal(t.logs, [], "nothing through the stderr log");
  } finally {
    await t.close();
    dir.cleanup();
  }
});

test("error, validation and misuse answers all exit 0", async () => {
  const dir = testdir();
  const t = makeCtx(dir);
  const spawned: Spawned[] = [];
  const ctx = () => ({ ...t.ctx, stdin: input(), exec: fakeExec(spawned) });
  const fails = method({ run: async () => ({ error: "restart_failed" }) });
  try {
    const load = async () => ({ methods: { restart: fails } as never });
    assert.is(await runPlugin(ctx(), "ns.plug", ["call", "restart"], load), 0);
    assert.is(await runPlugin(ctx(), "ns.plug", ["call", "frobnicate"], load), 0);
    assert.is(await runPlugin(ctx(), "ns.plug", ["call"], load), 0);
    assert.equal(t.out, ['{"error":"restart_failed"}\n', '{"error":"method_not_found"}\n', '{"error":"usage"}\n']);
    assert.equal(t.logs, []);
  } finally {
    await t.close();
    dir.cleanup();
  }
});

test.run();
