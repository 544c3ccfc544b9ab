import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createFs, writeFileAtomic } from "../../src/platform/fs";
import { makeResolver } from "../../src/platform/paths";

const tmp = () => mkdtempSync(join(tmpdir(), "nsplug-fs-"));

test("writeAtomic keeps the old file's mode", async () => {
  const d = tmp();
  const f = join(d, "conf");
  writeFileSync(f, "old");
  const { chmodSync } = await import("node:fs");
  chmodSync(f, 0o640);
  await writeFileAtomic(f, "new");
  assert.is(readFileSync(f, "utf8"), "new");
  assert.is(statSync(f).mode & 0o777, 0o640);
  rmSync(d, { recursive: true });
});

test("writeAtomic applies a given mode (0600 for secrets) even against the umask, leaves no temp file", async () => {
  const d = tmp();
  const f = join(d, "secret");
  await writeFileAtomic(f, "s3cret", { mode: 0o600 });
  assert.is(statSync(f).mode & 0o777, 0o600);
  await writeFileAtomic(f, "x", { mode: 0o600 });
  assert.equal(readdirSync(d), ["secret"]);
  rmSync(d, { recursive: true });
});

test("a new file gets defaultMode; parent directories are created", async () => {
  const d = tmp();
  const f = join(d, "a/b/c.conf");
  await writeFileAtomic(f, "x", { defaultMode: 0o600 });
  assert.is(statSync(f).mode & 0o777, 0o600);
  rmSync(d, { recursive: true });
});

test("Fs resolves router paths under the root and refuses to escape it", async () => {
  const d = tmp();
  const fs = createFs(makeResolver(d));
  await fs.writeAtomic("/etc/config/x", "hello");
  assert.is(readFileSync(join(d, "etc/config/x"), "utf8"), "hello");
  assert.is(await fs.readIfExists("/etc/config/x"), "hello");
  assert.is(await fs.readIfExists("/etc/config/missing"), undefined);
  assert.equal(await fs.list("/etc/config"), ["x"]);
  assert.is(fs.real("/../../etc/passwd"), join(d, "etc/passwd"));
  assert.throws(() => fs.real("relative/path"), /not absolute/);
  rmSync(d, { recursive: true });
});

// A writer killed with SIGKILL at random moments: the target is always the old
// or the new content in full, never a mix or a truncation.
test("kill -9 during atomic writes never leaves a torn file", async () => {
  const d = tmp();
  const f = join(d, "target");
  const A = "A".repeat(4 * 1024 * 1024);
  const B = "B".repeat(4 * 1024 * 1024);
  writeFileSync(f, A);
  const fsModule = new URL("../../src/platform/fs.ts", import.meta.url).pathname;
  const script = `
    const m = await import(${JSON.stringify(fsModule)});
    const writeFileAtomic = m.writeFileAtomic ?? m.default.writeFileAtomic;
    const a = "A".repeat(4 << 20), b = "B".repeat(4 << 20);
    for (let i = 0; ; i++) await writeFileAtomic(${JSON.stringify(f)}, i % 2 ? a : b);
  `;
  const runs = 12;
  let sawB = false;
  for (let i = 0; i < runs; i++) {
    const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { stdio: "ignore" });
    const closed = new Promise((r) => child.on("close", r));
    await new Promise((r) => setTimeout(r, 500 + Math.random() * 500));
    assert.is(child.exitCode, null, "the writer died by itself: the test proved nothing");
    child.kill("SIGKILL");
    await closed;
    const content = readFileSync(f, "utf8");
    assert.ok(content === A || content === B, `torn file after kill ${i}: length ${content.length}`);
    if (content === B) sawB = true;
  }
  assert.ok(sawB, "the writer never completed a write: the test proved nothing");
  rmSync(d, { recursive: true });
});

test.run();
