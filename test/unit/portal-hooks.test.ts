/**
 * The hooks runner (platform/hooks.ts) with real files and processes under a
 * temp root: byte order, failures and timeouts logged, unsafe hooks skipped.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { chownSync, symlinkSync } from "node:fs";
import { byteOrder, emitHotplug, runHooks, unsafeReason } from "../../src/platform/hooks";
import { createContext, type Ctx } from "../../src/platform/context";
import { createLog } from "../../src/platform/log";
import { testdir, type TestDir } from "../helpers/testdir";

function ctxFor(dir: TestDir): { ctx: Ctx; logs: string[] } {
  const saved = { root: process.env.NS_PLUG_ROOT, path: process.env.PATH };
  process.env.NS_PLUG_ROOT = dir.root;
  process.env.PATH = `${dir.bin}:${saved.path}`;
  const base = createContext("test");
  process.env.NS_PLUG_ROOT = saved.root;
  process.env.PATH = saved.path;
  const logs: string[] = [];
  return { ctx: { ...base, env: { ...base.env, NS_PLUG_ROOT: dir.root, PATH: `${dir.bin}:${saved.path}` }, log: createLog((l) => logs.push(l), "test", "debug") }, logs };
}

const HOOKS = "/usr/share/ns-plug/hooks/register";
const marker = (dir: TestDir, name: string) => `#!/bin/sh\necho ${name} >> '${dir.path("/tmp/ran")}'\n`;

test("byte order is LC_ALL=C order, not locale order", () => {
  assert.equal(byteOrder(["b", "B", "a", "_x", "10", "9", "é", "z"]), ["10", "9", "B", "_x", "a", "b", "z", "é"]);
});

test("unsafeReason: world-writable or foreign owner", () => {
  assert.is(unsafeReason({ mode: 0o755, uid: 0 }, [0]), undefined);
  assert.match(unsafeReason({ mode: 0o757, uid: 0 }, [0])!, /world-writable/);
  assert.match(unsafeReason({ mode: 0o755, uid: 1000 }, [0])!, /uid 1000/);
});

test("runs in byte order; a failing hook is logged and the rest still run; unsafe and non-executable skipped", async () => {
  const dir = testdir();
  try {
    dir.write(`${HOOKS}/20-fails`, "#!/bin/sh\necho 20-fails >> " + dir.path("/tmp/ran") + "\necho boom >&2\nexit 3\n", 0o755);
    dir.write(`${HOOKS}/10-first`, marker(dir, "10-first"), 0o755);
    dir.write(`${HOOKS}/Z-upper`, marker(dir, "Z-upper"), 0o755);
    dir.write(`${HOOKS}/30-world`, marker(dir, "30-world"), 0o777);
    dir.write(`${HOOKS}/35-foreign`, marker(dir, "35-foreign"), 0o755);
    chownSync(dir.path(`${HOOKS}/35-foreign`), 4242, 4242);
    dir.write(`${HOOKS}/40-noexec`, marker(dir, "40-noexec"), 0o644);
    dir.write(`${HOOKS}/.keep`, "", 0o755);
    dir.write(`/opt/real-hook`, marker(dir, "50-link"), 0o755);
    symlinkSync(dir.path("/opt/real-hook"), dir.path(`${HOOKS}/50-link`));
    const { ctx, logs } = ctxFor(dir);
    const out = await runHooks(ctx, HOOKS);
    assert.equal(dir.read("/tmp/ran").trim().split("\n"), ["10-first", "20-fails", "50-link", "Z-upper"]);
    assert.equal(
      out.map((o) => `${o.name}:${o.result}`),
      ["30-world:skipped", "35-foreign:skipped", "10-first:ran", "20-fails:failed", "50-link:ran", "Z-upper:ran"],
    );
    const text = logs.join("");
    assert.match(text, /warning: hook \S+30-world skipped: world-writable/);
    assert.match(text, /warning: hook \S+35-foreign skipped: owned by uid 4242/);
    assert.match(text, /error: hook \S+20-fails exited 3: boom/);
  } finally {
    dir.cleanup();
  }
});

test("a hook that hangs is killed at its timeout, with its children, and the next one runs", async () => {
  const dir = testdir();
  try {
    // The shell's child `sleep` would keep our pipes open for 30 s if only the shell were killed.
    dir.write(`${HOOKS}/10-hangs`, "#!/bin/sh\nsleep 30\n", 0o755);
    dir.write(`${HOOKS}/20-next`, marker(dir, "20-next"), 0o755);
    const { ctx, logs } = ctxFor(dir);
    const t0 = Date.now();
    const out = await runHooks(ctx, HOOKS, { timeoutMs: 300 });
    const took = Date.now() - t0;
    assert.ok(took < 15_000, `took ${took} ms: the hung hook's child kept it waiting`);
    assert.equal(out.map((o) => `${o.name}:${o.result}`), ["10-hangs:failed", "20-next:ran"]);
    assert.match(logs.join(""), /hook \S+10-hangs timed out/);
    assert.is(dir.read("/tmp/ran").trim(), "20-next");
  } finally {
    dir.cleanup();
  }
});

test("a missing hook directory is nothing to do", async () => {
  const dir = testdir();
  try {
    const { ctx } = ctxFor(dir);
    assert.equal(await runHooks(ctx, "/usr/share/ns-plug/hooks/none"), []);
  } finally {
    dir.cleanup();
  }
});

test("hotplug event: ACTION in the environment, subsystem as argument; skipped when hotplug-call is missing", async () => {
  const dir = testdir();
  try {
    const { ctx } = ctxFor(dir);
    assert.is(await emitHotplug(ctx, "ns-plug", { ACTION: "subscription-changed" }), false);
    dir.standin("/sbin/hotplug-call", `echo "ACTION=$ACTION" >> '${dir.path("/tmp/env")}'`);
    assert.is(await emitHotplug(ctx, "ns-plug", { ACTION: "subscription-changed" }), true);
    assert.ok(dir.calls().includes("/sbin/hotplug-call ns-plug"), dir.calls().join("\n"));
    assert.is(dir.read("/tmp/env").trim(), "ACTION=subscription-changed");
  } finally {
    dir.cleanup();
  }
});

test.run();
