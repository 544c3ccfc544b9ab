import { test } from "uvu";
import { seeded } from "../helpers/seed";
import * as assert from "uvu/assert";
import { spawn } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createFs, writeFileAtomic } from "../../src/platform/fs";
import { makeResolver } from "../../src/platform/paths";

const tmp = () => mkdtempSync(join(tmpdir(), "nsplug-fs-"));

test("writeAtomic keeps the old file's mode", async () => {
  const d = tmp();
  const f = join(d, "conf");
  writeFileSync(f, "old");
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

test("writeAtomic: a failed write or rename removes its temp file and leaves the target as it was", async () => {
  const d = tmp();
  const f = join(d, "conf");
  writeFileSync(f, "old");
  // Not a string or bytes: the write into the temp file throws.
  await writeFileAtomic(f, 42 as unknown as string).then(() => assert.unreachable("wrote a number"), () => {});
  assert.equal(readdirSync(d), ["conf"], "temp file left after a failed write");
  assert.is(readFileSync(f, "utf8"), "old");
  // A non-empty directory where the file goes: the rename fails.
  const dirTarget = join(d, "sub");
  mkdirSync(join(dirTarget, "inner"), { recursive: true });
  await writeFileAtomic(dirTarget, "x").then(() => assert.unreachable("renamed onto a directory"), () => {});
  assert.equal(readdirSync(d).sort(), ["conf", "sub"], "temp file left after a failed rename");
  rmSync(d, { recursive: true });
});

test("writeAtomic closes every descriptor it opens (file and directory)", async () => {
  const d = tmp();
  const f = join(d, "conf");
  const fds = () => readdirSync("/proc/self/fd").length;
  await writeFileAtomic(f, "warm-up");
  const before = fds();
  for (let i = 0; i < 40; i++) await writeFileAtomic(f, `v${i}`);
  assert.ok(fds() <= before + 2, `descriptors grew from ${before} to ${fds()}`);
  assert.is(readFileSync(f, "utf8"), "v39");
  rmSync(d, { recursive: true });
});

test("createFs: every method on router paths, missing paths answered, other errors thrown", async () => {
  const d = tmp();
  const fs = createFs(makeResolver(d));
  mkdirSync(join(d, "etc/config"), { recursive: true });
  // The shared tops exist on every router, world-writable and sticky (platform/shared.ts starts there).
  for (const top of ["tmp", "var"]) {
    mkdirSync(join(d, top));
    chmodSync(join(d, top), 0o1777);
  }
  // Created in an order that is neither sorted nor its reverse: list() must sort.
  for (const [n, t] of [["a", "ay"], ["z1", "z"], ["C", "see"], ["b", "bee"]]) writeFileSync(join(d, "etc/config", n!), t!);
  // read*
  assert.is(await fs.readText("/etc/config/a"), "ay");
  assert.equal([...(await fs.readBytes("/etc/config/b"))], [...Buffer.from("bee")]);
  await fs.readText("/etc/config/none").then(() => assert.unreachable("read a missing file"), (e) => assert.is(e.code, "ENOENT"));
  await fs.readIfExists("/etc/config").then(() => assert.unreachable("read a directory"), (e) => assert.is(e.code, "EISDIR"));
  // list: sorted; [] for missing (a file further up the path too); a file where the directory should be throws
  assert.equal(await fs.list("/etc/config"), ["C", "a", "b", "z1"]);
  assert.equal(await fs.list("/etc/none"), []);
  await fs.list("/etc/config/a").then(() => assert.unreachable("listed a file"), (e) => assert.is(e.code, "ENOTDIR"));
  assert.equal(await fs.list("/etc/config/a/below"), []);
  // stat: fields, undefined for missing, throws for ENOTDIR
  chmodSync(join(d, "etc/config/a"), 0o640);
  const st = await fs.stat("/etc/config/a");
  assert.equal({ ...st, mtimeMs: 0 }, { mode: 0o640, uid: process.getuid!(), size: 2, isFile: true, isDirectory: false, mtimeMs: 0 });
  assert.ok(st!.mtimeMs > 0);
  assert.is((await fs.stat("/etc/config"))!.isDirectory, true);
  assert.is(await fs.stat("/etc/none"), undefined);
  await fs.stat("/etc/config/a/x").then(() => assert.unreachable("stat through a file"), (e) => assert.is(e.code, "ENOTDIR"));
  // statfs: the numbers df shows
  const sp = await fs.statfs("/etc");
  const { statfsSync } = await import("node:fs");
  const real = statfsSync(join(d, "etc"));
  assert.is(sp!.totalBytes, real.blocks * real.bsize);
  // Used and available move while other processes write: compare within 1 % of the total.
  const near = (a: number, b: number) => Math.abs(a - b) <= sp!.totalBytes / 100;
  assert.ok(near(sp!.usedBytes, (real.blocks - real.bfree) * real.bsize), `used ${sp!.usedBytes}`);
  assert.ok(near(sp!.availableBytes, real.bavail * real.bsize), `available ${sp!.availableBytes}`);
  assert.ok(sp!.availableBytes > 0 && sp!.availableBytes <= sp!.totalBytes);
  assert.is(await fs.statfs("/etc/none"), undefined);
  await fs.statfs("/etc/config/a/x").then(() => assert.unreachable("statfs through a file"), (e) => assert.is(e.code, "ENOTDIR"));
  // mkdirp, chmod, mkdtemp
  await fs.mkdirp("/var/x/y/z", 0o700);
  assert.ok(statSync(join(d, "var/x/y/z")).isDirectory());
  await fs.mkdirp("/var/x/y/z");
  await fs.chmod("/etc/config/b", 0o600);
  assert.is(statSync(join(d, "etc/config/b")).mode & 0o777, 0o600);
  const t = await fs.mkdtemp("/tmp/new/deep", "ws-");
  assert.match(t, /^\/tmp\/new\/deep\/ws-\w+$/);
  assert.is(statSync(join(d, t)).mode & 0o777, 0o700);
  // streams
  const w = fs.openWrite("/tmp/out");
  await new Promise<void>((r, j) => w.on("error", j).end("streamed", () => r()));
  assert.is(readFileSync(join(d, "tmp/out"), "utf8"), "streamed");
  assert.is(statSync(join(d, "tmp/out")).mode & 0o777, 0o600);
  const w2 = fs.openWrite("/tmp/out2", 0o640);
  await new Promise<void>((r, j) => w2.on("error", j).end("x", () => r()));
  assert.is(statSync(join(d, "tmp/out2")).mode & 0o777, 0o640);
  let got = "";
  for await (const c of fs.openRead("/tmp/out")) got += c;
  assert.is(got, "streamed");
  // remove / removeTree: missing is fine
  await fs.remove("/tmp/out");
  await fs.remove("/tmp/out");
  assert.not.ok(existsSync(join(d, "tmp/out")));
  await fs.removeTree("/var/x");
  await fs.removeTree("/var/x");
  assert.not.ok(existsSync(join(d, "var/x")));
  assert.is(fs.real("/etc/config/a"), join(d, "etc/config/a"));
  rmSync(d, { recursive: true });
});

// A writer killed with SIGKILL at seeded random moments: the target is always the
// old or the new content in full, never a mix or a truncation. The kill waits
// for the writer's first completed write (it says so on stdout), so a slow
// start on a loaded machine cannot make the kill land before any write.
test("kill -9 during atomic writes never leaves a torn file (seeded kill times)", async () => {
  const rnd = seeded("platform-fs kill times");
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
    for (let i = 0; ; i++) { await writeFileAtomic(${JSON.stringify(f)}, i % 2 ? a : b); process.stdout.write("w"); }
  `;
  // FS_KILL_RUNS: npm run mutate runs fewer (each run starts a tsx process, seconds on a loaded machine).
  const runs = Number(process.env.FS_KILL_RUNS ?? 12);
  for (let i = 0; i < runs; i++) {
    const delay = Math.round(rnd.between(0, 400));
    const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { stdio: ["ignore", "pipe", "ignore"] });
    const closed = new Promise((r) => child.on("close", r));
    let writes = 0;
    const firstWrite = new Promise<void>((r) => child.stdout!.on("data", (b: Buffer) => ((writes += b.length), r())));
    await Promise.race([firstWrite, closed]);
    assert.is(child.exitCode, null, `the writer died by itself (TEST_SEED=${rnd.seed}): the test proved nothing`);
    await new Promise((r) => setTimeout(r, delay));
    child.kill("SIGKILL");
    await closed;
    const content = readFileSync(f, "utf8");
    assert.ok(content === A || content === B, `torn file after kill ${i} at +${delay} ms (replay: TEST_SEED=${rnd.seed}): length ${content.length}`);
    assert.ok(writes >= 1);
  }
  rmSync(d, { recursive: true });
});

test.run();
