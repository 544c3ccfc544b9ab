/**
 * The platform pieces added for backups, with real files and processes:
 * atomic saveStream, pipeInto, argPath, openFileRead, exec's abort signal.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough, Readable } from "node:stream";
import { argPath, fileSize, openFileRead, pipeInto, saveStream } from "../../src/platform/files";
import { createExec } from "../../src/platform/exec";

const work = mkdtempSync(join(tmpdir(), "nsplug-files-"));

test("saveStream writes atomically with the given mode; a failing source leaves the old file and no temp", async () => {
  const target = join(work, "out.bin");
  assert.is(await saveStream(Readable.from([Buffer.from("new "), Buffer.from("content")]), target, 0o600), 11);
  assert.is(readFileSync(target, "utf8"), "new content");
  const failing = new Readable({
    read() {
      this.push("partial");
      this.destroy(new Error("connection reset"));
    },
  });
  let err = "";
  await saveStream(failing, target).catch((e) => (err = String(e)));
  assert.match(err, /connection reset/);
  assert.is(readFileSync(target, "utf8"), "new content", "the old file is untouched");
  assert.equal(readdirSync(work).filter((n) => n.startsWith(".")), [], "no temp file left");
});

test("pipeInto honours backpressure and reports a closed reader (EPIPE) as a failure", async () => {
  const sink = new PassThrough({ highWaterMark: 16 });
  const got: Buffer[] = [];
  sink.on("data", (c: Buffer) => got.push(c));
  const n = await pipeInto(Readable.from([Buffer.alloc(1000, 1), Buffer.alloc(5000, 2)]), sink);
  assert.is(n, 6000);
  assert.is(Buffer.concat(got).length, 6000);

  const child = spawn("head", ["-c", "10"], { stdio: ["pipe", "ignore", "ignore"] });
  const endless = new Readable({
    read() {
      this.push(Buffer.alloc(65536, 0x41));
    },
  });
  let err = "";
  await pipeInto(endless, child.stdin).catch((e) => (err = String(e)));
  assert.match(err, /EPIPE|closed|destroyed/i);
});

test("argPath: absolute paths are router paths under the root, relative ones from the working directory", () => {
  assert.is(argPath("/r", "/tmp/x"), "/r/tmp/x");
  assert.is(argPath("/", "/tmp/x"), "/tmp/x");
  assert.is(argPath("/r", "x.gpg"), join(process.cwd(), "x.gpg"));
  assert.is(argPath("/r", "/../etc/shadow"), "/r/etc/shadow", "never above the root");
});

test("openFileRead streams a sparse 64 MiB file intact; fileSize only for regular files", async () => {
  const f = join(work, "sparse");
  writeFileSync(f, "");
  truncateSync(f, 64 * 1024 * 1024);
  let bytes = 0;
  let nonZero = 0;
  for await (const c of openFileRead(f)) {
    bytes += (c as Buffer).length;
    if ((c as Buffer).some((b) => b !== 0)) nonZero++;
  }
  assert.is(bytes, 64 * 1024 * 1024);
  assert.is(nonZero, 0);
  assert.is(await fileSize(f), 64 * 1024 * 1024);
  assert.is(await fileSize(work), undefined);
  assert.is(await fileSize(join(work, "missing")), undefined);
});

test("exec: aborting the signal terminates the child", async () => {
  const exec = createExec(process.env);
  const ac = new AbortController();
  const t0 = Date.now();
  const run = exec("sleep", ["30"], { signal: ac.signal });
  setTimeout(() => ac.abort(), 100);
  const r = await run;
  assert.is(r.signal, "SIGTERM");
  assert.ok(Date.now() - t0 < 10_000);
  const already = await exec("sleep", ["30"], { signal: AbortSignal.abort() });
  assert.is(already.signal, "SIGTERM", "an already aborted signal kills at once");
});

test.after(() => rmSync(work, { recursive: true, force: true }));
test.run();
