/**
 * The hooks runner (platform/hooks.ts) with real files and processes under a
 * temp root: byte order, failures and timeouts logged, unsafe hooks skipped.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { chmodSync, chownSync, rmSync, symlinkSync } from "node:fs";
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
  assert.equal(byteOrder(["😀", "～", "ab", "a", ""]), ["", "a", "ab", "～", "😀"]);
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

test("group-writable hooks, and every hook of a directory others can write, are skipped with a warning", async () => {
  const dir = testdir();
  try {
    dir.write(`${HOOKS}/10-ok`, marker(dir, "10-ok"), 0o755);
    dir.write(`${HOOKS}/20-group`, marker(dir, "20-group"), 0o775);
    const { ctx, logs } = ctxFor(dir);
    const out = await runHooks(ctx, HOOKS);
    assert.equal(out.map((o) => `${o.name}:${o.result}`), ["20-group:skipped", "10-ok:ran"]);
    assert.match(logs.join(""), /warning: hook \S+20-group skipped: group-writable/);
    // A directory others can write: its files could be swapped between our check and the exec.
    for (const mode of [0o777, 0o775, 0o1777]) {
      chmodSync(dir.path(HOOKS), mode);
      rmSync(dir.path("/tmp/ran"), { force: true });
      const again = await runHooks(ctx, HOOKS);
      assert.equal(again.map((o) => o.result), ["skipped"], mode.toString(8));
      assert.not.ok(dir.exists("/tmp/ran"), `nothing ran from a ${mode.toString(8)} directory`);
    }
    assert.match(logs.join(""), /warning: hooks in \S+ skipped: directory writable by group or others/);
    chmodSync(dir.path(HOOKS), 0o755);
    chownSync(dir.path(HOOKS), 4242, 4242);
    assert.equal((await runHooks(ctx, HOOKS)).map((o) => o.detail), ["directory owned by uid 4242, not root"]);
  } finally {
    dir.cleanup();
  }
});

test("runHooks runs in byte order where byte and locale order differ (B, _x, a, Ä, ～, 😀)", async () => {
  // localeCompare puts _x first and B after a/Ä; JavaScript's default sort (UTF-16)
  // puts 😀 (a surrogate pair) before ～ (U+FF5E). Byte order: B _x a Ä ～ 😀.
  const names = ["😀", "a", "Ä", "～", "_x", "B"];
  const dir = testdir();
  try {
    for (const n of names) dir.write(`${HOOKS}/${n}`, marker(dir, n), 0o755);
    const { ctx } = ctxFor(dir);
    const out = await runHooks(ctx, HOOKS);
    const want = ["B", "_x", "a", "Ä", "～", "😀"];
    assert.equal(dir.read("/tmp/ran").trim().split("\n"), want);
    assert.equal(out.map((o) => `${o.name}:${o.result}`), want.map((n) => `${n}:ran`));
  } finally {
    dir.cleanup();
  }
});

test("a hook that hangs is killed at its timeout, with its children, and the next one runs", async () => {
  const dir = testdir();
  try {
    // The shell's child `sleep` would keep our pipes open for 30 s if only the shell were killed.
    // One timeout applies to every hook: 3 s is far below the hang (30 s) and far above
    // what the good hook needs even on a loaded machine (milliseconds).
    dir.write(`${HOOKS}/10-hangs`, "#!/bin/sh\nsleep 30\n", 0o755);
    dir.write(`${HOOKS}/20-next`, marker(dir, "20-next"), 0o755);
    const { ctx, logs } = ctxFor(dir);
    const t0 = Date.now();
    const out = await runHooks(ctx, HOOKS, { timeoutMs: 3000 });
    const took = Date.now() - t0;
    assert.ok(took >= 2900 && took < 20_000, `took ${took} ms: not killed at its 3 s timeout (or the hung hook's child kept it waiting)`);
    assert.equal(out.map((o) => `${o.name}:${o.result}`), ["10-hangs:failed", "20-next:ran"]);
    assert.match(logs.join(""), /hook \S+10-hangs timed out after 3 s and was killed/);
    assert.equal(out[0], { name: "10-hangs", result: "failed", detail: "timeout" });
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

test("runHooks: the environment reaches the hook; its output's last line is logged; a signal, a bad interpreter and a subdirectory", async () => {
  const dir = testdir();
  try {
    dir.write(`${HOOKS}/10-env`, `#!/bin/sh\necho "first"\necho "TYPE=$TYPE ARGS=$#"\n`, 0o755);
    dir.write(`${HOOKS}/15-blank`, `#!/bin/sh\necho "   "\n`, 0o755);
    dir.write(`${HOOKS}/45-quiet-fail`, `#!/bin/sh\nexit 4\n`, 0o755);
    dir.write(`${HOOKS}/20-signal`, "#!/bin/sh\nkill -KILL $$\n", 0o755);
    dir.write(`${HOOKS}/30-nointerp`, "#!/nonexistent/interpreter\n", 0o755);
    dir.write(`${HOOKS}/40-long`, `#!/bin/sh\necho '${"x".repeat(300)}' >&2\nexit 1\n`, 0o755);
    dir.write(`${HOOKS}/50-subdir/inner`, marker(dir, "inner"), 0o755);
    dir.write(`${HOOKS}/60-chatty`, `#!/bin/sh\nhead -c 20000 /dev/zero | tr '\\0' 'y'\necho\necho chatty-end\n`, 0o755);
    symlinkSync(dir.path("/nonexistent"), dir.path(`${HOOKS}/55-dangling`));
    const { ctx, logs } = ctxFor(dir);
    // A trailing slash on the directory does not double the one in the hook paths.
    const out = await runHooks(ctx, `${HOOKS}/`, { env: { TYPE: "enterprise" } });
    const text = logs.join("");
    assert.match(text, /debug: hook \S+10-env: TYPE=enterprise ARGS=0\n/);
    assert.not.match(text, /debug: hook \S+(15-blank|20-signal)/, "no output, or only blanks: nothing logged at debug");
    assert.match(text, /error: hook \S+45-quiet-fail exited 4\n/);
    assert.match(text, /info: hook \S+10-env done/);
    assert.match(text, /error: hook \S+20-signal killed by SIGKILL/);
    assert.match(text, new RegExp(`error: hook \\S+40-long exited 1: ${"x".repeat(200)}\n`));
    assert.equal(out.find((o) => o.name === "10-env"), { name: "10-env", result: "ran" });
    assert.equal(out.find((o) => o.name === "20-signal"), { name: "20-signal", result: "failed", detail: "killed by SIGKILL" });
    assert.equal(out.find((o) => o.name === "40-long"), { name: "40-long", result: "failed", detail: "exited 1" });
    const bad = out.find((o) => o.name === "30-nointerp")!;
    assert.ok(bad.result === "failed" || bad.result === "error", JSON.stringify(bad));
    assert.not.ok(out.some((o) => o.name === "50-subdir"), "a directory is not a hook");
    assert.not.ok(out.some((o) => o.name === "55-dangling"), "a dangling link is not a hook");
    assert.equal(out.find((o) => o.name === "60-chatty"), { name: "60-chatty", result: "ran" });
    assert.match(text, /debug: hook \S+60-chatty: chatty-end\n/);
    assert.match(text, `info: hook ${HOOKS}/10-env done`);
    assert.not.match(text, /\/\/10-env/);
    assert.not.ok(dir.exists("/tmp/ran"));
  } finally {
    dir.cleanup();
  }
});

test("runHooks: a hook directory that cannot be listed is logged, nothing runs", async () => {
  const dir = testdir();
  try {
    dir.write(HOOKS, "a file, not a directory\n");
    const { ctx, logs } = ctxFor(dir);
    assert.equal(await runHooks(ctx, HOOKS), []);
    assert.match(logs.join(""), /error: hooks \S+register: cannot list/);
  } finally {
    dir.cleanup();
  }
});

test("hotplug event: a failing hotplug-call is a warning and false", async () => {
  const dir = testdir();
  try {
    const { ctx, logs } = ctxFor(dir);
    dir.standin("/sbin/hotplug-call", "exit 3");
    assert.is(await emitHotplug(ctx, "ns-plug", { ACTION: "x" }), false);
    assert.match(logs.join(""), /warning: \/sbin\/hotplug-call ns-plug exited 3/);
  } finally {
    dir.cleanup();
  }
});

test("hotplug event: ACTION in the environment, subsystem as argument; skipped when hotplug-call is missing", async () => {
  const dir = testdir();
  try {
    const { ctx, logs } = ctxFor(dir);
    assert.is(await emitHotplug(ctx, "ns-plug", { ACTION: "subscription-changed" }), false);
    assert.match(logs.join(""), /debug: \/sbin\/hotplug-call not found: ns-plug event skipped/);
    assert.equal(dir.calls(), []);
    dir.standin("/sbin/hotplug-call", `echo "ACTION=$ACTION" >> '${dir.path("/tmp/env")}'`);
    assert.is(await emitHotplug(ctx, "ns-plug", { ACTION: "subscription-changed" }), true);
    assert.not.match(logs.join(""), /warning/);
    assert.ok(dir.calls().includes("/sbin/hotplug-call ns-plug"), dir.calls().join("\n"));
    assert.is(dir.read("/tmp/env").trim(), "ACTION=subscription-changed");
  } finally {
    dir.cleanup();
  }
});

test.run();
