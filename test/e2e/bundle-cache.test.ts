/**
 * The bundle's compiled-code cache (build/loader.cjs): made once, private,
 * never trusted from a directory others can write, and never a reason to fail.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runBundle } from "../helpers/bundle";

const tmp = mkdtempSync(join(tmpdir(), "nsplug-cache-"));
const run = () => runBundle(["--help"], { env: { TMPDIR: tmp } });
const cacheDir = join(tmp, "ns-plug-cache");
const files = () => readdirSync(cacheDir).filter((f) => f.endsWith(".v8"));

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

test("a corrupt cache is rejected by V8 and replaced, the command still works", async () => {
  const f = join(cacheDir, files()[0]!);
  writeFileSync(f, "garbage, not V8 code cache");
  const r = await run();
  assert.is(r.code, 0);
  assert.match(r.stdout, /Commands:/);
  assert.is.not(readFileSync(f, "utf8"), "garbage, not V8 code cache");
});

test("a cache directory others can write is neither read nor written", async () => {
  const f = join(cacheDir, files()[0]!);
  chmodSync(cacheDir, 0o777);
  writeFileSync(f, "planted");
  const r = await run();
  assert.is(r.code, 0);
  assert.match(r.stdout, /Commands:/);
  assert.is(readFileSync(f, "utf8"), "planted");
});

test("an unwritable TMPDIR costs only speed", async () => {
  const r = await runBundle(["--help"], { env: { TMPDIR: "/nonexistent/dir" } });
  assert.is(r.code, 0);
  assert.match(r.stdout, /Commands:/);
});

test.after(() => {
  mkdirSync(cacheDir, { recursive: true });
  rmSync(tmp, { recursive: true, force: true });
});

test.run();
