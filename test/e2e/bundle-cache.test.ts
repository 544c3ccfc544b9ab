/**
 * The bundle's compiled-code cache (build/loader.cjs): made once, private,
 * never trusted from a directory others can write (moved aside, a private one
 * made instead), and never a reason to fail. The attacks on it, run as an
 * unprivileged user, are in test/reliability/shared-paths.test.ts.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { execFileSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BUNDLE, bundleEnv, runBundle } from "../helpers/bundle";

const tmp = mkdtempSync(join(tmpdir(), "nsplug-cache-"));
const run = () => runBundle(["--help"], { env: { TMPDIR: tmp } });
const cacheDir = join(tmp, "ns-plug-cache");
const files = () => readdirSync(cacheDir).filter((f) => f.endsWith(".v8"));

/** The bundle under strace: the file opens it made (path, flags, result). */
function tracedOpens(tmpDir: string): string[] {
  const out = join(tmp, "..", `${tmp.split("/").pop()}-strace.txt`);
  execFileSync("strace", ["-f", "-qq", "-e", "trace=open,openat", "-e", "signal=none", "-o", out, process.execPath, BUNDLE, "--help"], {
    env: bundleEnv({ env: { TMPDIR: tmpDir } }),
    stdio: "ignore",
  });
  const lines = readFileSync(out, "utf8").split("\n");
  rmSync(out, { force: true });
  return lines;
}

test("the first run writes a private cache, later runs give the same output", async () => {
  const first = await run();
  assert.is(first.code, 0);
  assert.is(files().length, 1);
  assert.is(statSync(cacheDir).mode & 0o777, 0o700);
  assert.is(statSync(join(cacheDir, files()[0]!)).mode & 0o777, 0o600);
  const second = await run();
  assert.is(second.stdout, first.stdout);
  assert.is(second.code, 0);
});

test("temp files of writers that died are removed when a cache is written; a live writer's is kept", async () => {
  const name = files()[0]!;
  // A pid that is not running: a child that has exited (and been reaped).
  const dead = Number(execFileSync("sh", ["-c", "sh -c 'echo $$' "], { encoding: "utf8" }).trim());
  const stale = `${name}.${dead}.tmp`;
  const live = `${name}.${process.pid}.tmp`;
  writeFileSync(join(cacheDir, stale), "");
  writeFileSync(join(cacheDir, live), "");
  writeFileSync(join(cacheDir, name), "garbage: V8 rejects it, so this run writes a cache");
  assert.is((await run()).code, 0);
  const left = readdirSync(cacheDir);
  assert.not.ok(left.includes(stale), `stale temp file removed: ${left}`);
  assert.ok(left.includes(live), "a live writer's temp file is left alone");
  rmSync(join(cacheDir, live));
});

test("a corrupt cache is rejected by V8 and replaced, the command still works", async () => {
  const f = join(cacheDir, files()[0]!);
  writeFileSync(f, "garbage, not V8 code cache");
  const r = await run();
  assert.is(r.code, 0);
  assert.match(r.stdout, /Commands:/);
  assert.is.not(readFileSync(f, "utf8"), "garbage, not V8 code cache");
});

test("a cache directory others can write is neither read nor written: moved aside, a private one made", async () => {
  const name = files()[0]!;
  chmodSync(cacheDir, 0o777);
  writeFileSync(join(cacheDir, name), "planted");
  const opens = tracedOpens(tmp);
  // No .v8 file was opened for reading with success: the planted one was never read.
  const reads = opens.filter((l) => /\.v8", O_RDONLY/.test(l) && !/= -1 /.test(l));
  assert.equal(reads, []);
  const aside = readdirSync(tmp).filter((f) => f.startsWith(".ns-plug-cache.") && f.endsWith(".untrusted"));
  assert.is(aside.length, 1, "the unsafe directory is moved aside");
  assert.is(readFileSync(join(tmp, aside[0]!, name), "utf8"), "planted", "and nothing in it was written");
  assert.is(statSync(cacheDir).mode & 0o777, 0o700, "a private directory replaces it");
  assert.is(files().length, 1, "holding a fresh cache");
  assert.is.not(readFileSync(join(cacheDir, name), "utf8"), "planted");
  const r = await run();
  assert.is(r.code, 0);
  assert.match(r.stdout, /Commands:/);
});

test("an unwritable TMPDIR (a file as its parent: not even root can create it) costs only speed", async () => {
  const box = mkdtempSync(join(tmpdir(), "nsplug-cache-box-"));
  writeFileSync(join(box, "file"), "a file, not a directory");
  const bad = join(box, "file", "tmp");
  try {
    const r = await runBundle(["--help"], { env: { TMPDIR: bad } });
    assert.is(r.code, 0);
    assert.match(r.stdout, /Commands:/);
    // Nothing read or written around it: the only entry is still the file, unchanged.
    assert.equal(readdirSync(box), ["file"]);
    assert.is(readFileSync(join(box, "file"), "utf8"), "a file, not a directory");
    const touched = tracedOpens(bad).filter((l) => l.includes(box) && !/= -1 /.test(l));
    assert.equal(touched, [], "no open under TMPDIR succeeded");
  } finally {
    rmSync(box, { recursive: true, force: true });
  }
});

test.after(() => {
  mkdirSync(cacheDir, { recursive: true });
  rmSync(tmp, { recursive: true, force: true });
});

test.run();
