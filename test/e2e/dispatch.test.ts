import { test } from "uvu";
import * as assert from "uvu/assert";
import { readFileSync, statSync } from "node:fs";
import { BUNDLE, runBundle } from "../helpers/bundle";
import { testdir } from "../helpers/testdir";

// SPEC §1: every installed entry point of the bundle.
const SPEC_COMMANDS = [
  "connect", "register", "unregister", "send-heartbeat", "send-inventory", "send-backup", "remote-backup",
  "subscription-info", "inventory", "ns-plug-alert-proxy", "ns-controller-push-info",
  "ns-controller-telegraf-down", "ns-push-reports", "ns.plug", "ns.subscription", "ns.backup",
  "distfeed-setup", "update-packages", "ns-download",
];

test("the bundle is one executable file with a node shebang and no external require", () => {
  const text = readFileSync(BUNDLE, "utf8");
  assert.ok(text.startsWith("#!/usr/bin/env node\n"));
  assert.is(statSync(BUNDLE).mode & 0o777, 0o755);
  // The program rides as one string after the loader (build/loader.cjs).
  const m = /\nnsPlugLoad\(("(?:[^"\\]|\\.)*")\);\n$/.exec(text);
  assert.ok(m, "the bundle ends with nsPlugLoad(<program>)");
  const program = JSON.parse(m![1]!) as string;
  assert.ok(program.length > 100_000, "the program is inside");
  const requires = [...`${text}\n${program}`.matchAll(/require\("([^"]+)"\)/g)].map((x) => x[1]!);
  assert.ok(requires.includes("node:fs"), "the scan sees the program's requires");
  const foreign = requires.filter((r) => !r.startsWith("node:") && !["string_decoder"].includes(r));
  assert.equal(foreign, [], `non-builtin requires: ${foreign.join(", ")}`);
});

test("--help lists every SPEC §1 command, one line each, exit 0", async () => {
  const r = await runBundle(["--help"]);
  assert.is(r.code, 0);
  for (const c of SPEC_COMMANDS) {
    const lines = r.stdout.split("\n").filter((l) => l.trim().split(/\s+/)[0] === c);
    assert.is(lines.length, 1, `${c} listed once`);
  }
});

test("an unknown name prints the list on stderr and exits 2", async () => {
  const r = await runBundle(["frobnicate"]);
  assert.is(r.code, 2);
  assert.is(r.stdout, "");
  assert.match(r.stderr, /unknown command: frobnicate/);
  assert.match(r.stderr, /send-heartbeat/);
});

test("no arguments: usage on stderr, exit 2", async () => {
  const r = await runBundle([]);
  assert.is(r.code, 2);
  assert.match(r.stderr, /Usage:/);
});

test("dispatches on the name it was called by (symlink) as well as the first argument", async () => {
  const dir = testdir();
  try {
    const viaLink = await runBundle(["--help"], { dir, as: "send-heartbeat" });
    const viaArg = await runBundle(["send-heartbeat", "--help"], { dir });
    assert.is(viaLink.code, viaArg.code);
    assert.is(viaLink.stdout, viaArg.stdout);
    const unknownLink = await runBundle([], { dir, as: "not-a-command" });
    assert.is(unknownLink.code, 2);
    assert.match(unknownLink.stderr, /unknown command: not-a-command/);
  } finally {
    dir.cleanup();
  }
});

test("errors are one line 'ns-plug: …' without a stack trace unless NS_PLUG_DEBUG=1", async () => {
  const r = await runBundle(["remote-backup", "--no-such-option"]);
  assert.ok(r.code !== 0);
  const lines = r.stderr.trim().split("\n");
  assert.is(lines.length, 1, r.stderr);
  assert.match(lines[0]!, /^ns-plug: /);
  assert.not.match(r.stderr, /\n\s+at /);
});

test.run();
