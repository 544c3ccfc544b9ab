/**
 * ns-download (the built bundle, called through a link named ns-download)
 * against a loopback HTTPS repository that wants the subscription's
 * credentials, given in repository_url as https://<id>:<secret>@host/…:
 * a good image, a bad checksum, a body cut off, `-l` with latest_release,
 * a planted link at /tmp/download; and the secret in no process's argv
 * while the download runs.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { createHash } from "node:crypto";
import { lstatSync, readdirSync, readFileSync, symlinkSync, mkdirSync, existsSync } from "node:fs";
import { runBundle, startBundle } from "../helpers/bundle";
import { makeCert, startServer, type TestServer } from "../helpers/servers";
import { testdir, type TestDir } from "../helpers/testdir";

const ID = "NETH-77AB";
const SECRET = "dl-Sekr3t-0f5e9c";
const BOARD = "x86/64";
const name = (v: string) => `nethsecurity-${v}-x86-64-generic-squashfs-combined-efi.img.gz`;
const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");

/** Seeded bytes (xorshift), so the image is the same on every run. */
function image(size: number, seed: number): Buffer {
  const b = Buffer.alloc(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b[i] = x & 0xff;
  }
  return b;
}

const IMAGES: Record<string, Buffer> = { "8.5.0": image(3 * 1024 * 1024 + 17, 7), "8.6.0": image(2 * 1024 * 1024 + 5, 11) };

interface Repo {
  server: TestServer;
  /** Per version: "good", "badsum" (sha256sums lists another hash), "cut" (body cut off), "slow" (pauses half way). */
  mode: Record<string, "good" | "badsum" | "cut" | "slow">;
  /** Resolved when a slow download has paused. */
  paused?: () => void;
  resume?: () => void;
}

async function startRepo(cert: { key: string; cert: string }): Promise<Repo> {
  const repo: Repo = { mode: {} } as Repo;
  const auth = "Basic " + Buffer.from(`${ID}:${SECRET}`).toString("base64");
  repo.server = await startServer(async (req, res) => {
    if (req.headers.authorization !== auth) {
      res.writeHead(401, { "www-authenticate": 'Basic realm="repo"' });
      return void res.end("no\n");
    }
    if (req.path === "/repo/latest_release") return void res.end("8.6.0\n");
    const m = /^\/repo\/([^/]+)\/targets\/x86\/64\/(.+)$/.exec(req.path);
    const v = m?.[1] ?? "";
    const img = IMAGES[v];
    if (!m || !img) {
      res.writeHead(404);
      return void res.end();
    }
    const mode = repo.mode[v] ?? "good";
    if (m[2] === "sha256sums") {
      const h = mode === "badsum" ? sha(Buffer.from("something else")) : sha(img);
      return void res.end(`${sha(Buffer.from("other"))} *nethsecurity-${v}-x86-64-rootfs.tar.gz\n${h} *${name(v)}\n`);
    }
    if (m[2] !== name(v)) {
      res.writeHead(404);
      return void res.end();
    }
    res.writeHead(200, { "content-length": img.length, "content-type": "application/octet-stream" });
    const half = img.subarray(0, img.length >> 1);
    if (mode === "cut") {
      res.write(half, () => setTimeout(() => res.socket?.destroy(), 50));
      return;
    }
    if (mode === "slow") {
      res.write(half);
      await new Promise<void>((r) => {
        repo.resume = r;
        repo.paused?.();
      });
      return void res.end(img.subarray(img.length >> 1));
    }
    res.end(img);
  }, { tls: cert });
  return repo;
}

let cert: ReturnType<typeof makeCert>;
let repo: Repo;

test.before(async () => {
  cert = makeCert();
  repo = await startRepo(cert);
});
test.after(async () => {
  await repo.server.close();
});

function root(): TestDir {
  return testdir({
    "/etc/os-release": `NAME="NethSecurity"\nVERSION="8.5.0"\nVERSION_ID="8.5.0"\nOPENWRT_BOARD="${BOARD}"\n`,
    "/etc/config/ns-plug": {
      content: `\nconfig main 'config'\n\toption type 'enterprise'\n\toption system_id '${ID}'\n\toption secret '${SECRET}'\n\toption repository_url 'https://${ID}:${SECRET}@127.0.0.1:${repo.server.port}/repo'\n`,
      mode: 0o600,
    },
  });
}

const env = () => ({ NODE_EXTRA_CA_CERTS: cert.certPath });
const run = (dir: TestDir, args: string[] = []) => runBundle(args, { dir, as: "ns-download", env: env(), timeoutMs: 120_000 });
/** Wait (up to 20 s) until a partial download shows up: the repository has paused half way and the client is writing. */
async function partialAppears(dir: TestDir): Promise<boolean> {
  for (let t0 = Date.now(); Date.now() - t0 < 20_000; await new Promise((r) => setTimeout(r, 50))) {
    if (downloadDir(dir).some((f) => f.endsWith(".part"))) return true;
  }
  return false;
}
const downloadDir = (dir: TestDir) => (existsSync(dir.path("/tmp/download")) ? readdirSync(dir.path("/tmp/download")).sort() : []);

test("good image: printed path, exit 0; the image is the served one (sha256 checked), private directory", async () => {
  const dir = root();
  try {
    repo.mode = {};
    const r = await run(dir);
    assert.is(r.code, 0, r.stderr);
    assert.is(r.stdout, `/tmp/download/${name("8.5.0")}\n`);
    assert.equal(downloadDir(dir), [name("8.5.0"), "sha256"].sort());
    assert.is(sha(readFileSync(dir.path(`/tmp/download/${name("8.5.0")}`))), sha(IMAGES["8.5.0"]!));
    assert.is(lstatSync(dir.path("/tmp/download")).mode & 0o777, 0o700);
    assert.not.ok((r.stdout + r.stderr).includes(SECRET));
    // The repository saw the credentials as a header, never in the path.
    assert.ok(repo.server.requests.every((q) => !q.url.includes(SECRET)));

    // Again: the image is there, only verified (no new request).
    const before = repo.server.requests.length;
    const again = await run(dir);
    assert.is(again.code, 0, again.stderr);
    assert.is(again.stdout, r.stdout);
    assert.is(repo.server.requests.length, before);
    // -f: downloaded again.
    const forced = await run(dir, ["-f"]);
    assert.is(forced.code, 0, forced.stderr);
    assert.is(repo.server.requests.length, before + 2);
  } finally {
    dir.cleanup();
  }
});

test("bad checksum: exit 1, nothing printed, the download removed", async () => {
  const dir = root();
  try {
    repo.mode = { "8.5.0": "badsum" };
    const r = await run(dir);
    assert.is(r.code, 1);
    assert.is(r.stdout, "");
    assert.match(r.stderr, /checksum mismatch/);
    assert.equal(downloadDir(dir), [], "image, checksum list and temp files gone");
  } finally {
    dir.cleanup();
  }
});

test("body cut off half way: exit 1, no partial file left", async () => {
  const dir = root();
  try {
    repo.mode = { "8.5.0": "cut" };
    const r = await run(dir);
    assert.is(r.code, 1);
    assert.is(r.stdout, "");
    assert.equal(downloadDir(dir), []);
    assert.not.ok(r.stderr.includes(SECRET));
  } finally {
    dir.cleanup();
  }
});

test("-l: the version in <repository_url>/latest_release", async () => {
  const dir = root();
  try {
    repo.mode = {};
    const r = await run(dir, ["-l"]);
    assert.is(r.code, 0, r.stderr);
    assert.is(r.stdout, `/tmp/download/${name("8.6.0")}\n`);
    assert.is(sha(readFileSync(dir.path(`/tmp/download/${name("8.6.0")}`))), sha(IMAGES["8.6.0"]!));
    assert.ok(repo.server.requests.some((q) => q.path === "/repo/latest_release"));
  } finally {
    dir.cleanup();
  }
});

test("while the image downloads, no process's /proc/<pid>/cmdline holds the secret", async () => {
  const dir = root();
  try {
    repo.mode = { "8.5.0": "slow" };
    const paused = new Promise<void>((r) => (repo.paused = r));
    const child = startBundle([], { dir, as: "ns-download", env: env() });
    let out = "";
    child.stdout!.on("data", (b) => (out += b));
    child.stdin!.end();
    const exited = new Promise<number | null>((r) => child.on("close", (c) => r(c)));
    await paused;
    const leaks: string[] = [];
    for (const pid of readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
      try {
        if (readFileSync(`/proc/${pid}/cmdline`).includes(SECRET)) leaks.push(pid);
      } catch {
        /* gone */
      }
    }
    assert.ok(await partialAppears(dir), "a partial download in progress");
    repo.resume?.();
    assert.is(await exited, 0);
    assert.equal(leaks, [], "pids whose cmdline holds the secret");
    assert.is(out, `/tmp/download/${name("8.5.0")}\n`);
  } finally {
    repo.paused = undefined;
    repo.resume?.();
    dir.cleanup();
  }
});

test("SIGTERM mid-download: the partial image is removed", async () => {
  const dir = root();
  try {
    repo.mode = { "8.5.0": "slow" };
    const paused = new Promise<void>((r) => (repo.paused = r));
    const child = startBundle([], { dir, as: "ns-download", env: env() });
    child.stdin!.end();
    const exited = new Promise<NodeJS.Signals | null>((r) => child.on("close", (_c, sig) => r(sig)));
    await paused;
    assert.ok(await partialAppears(dir), "a partial download in progress");
    child.kill("SIGTERM");
    assert.is(await exited, "SIGTERM");
    assert.equal(downloadDir(dir).filter((f) => f.endsWith(".part") || f.endsWith(".img.gz")), [], "no partial or unverified image left");
  } finally {
    repo.paused = undefined;
    repo.resume?.();
    dir.cleanup();
  }
});

test("a link planted at /tmp/download is moved aside: the image lands in a private directory, nothing through the link", async () => {
  const dir = root();
  const elsewhere = dir.path("/elsewhere");
  try {
    repo.mode = {};
    mkdirSync(elsewhere);
    symlinkSync(elsewhere, dir.path("/tmp/download"));
    const r = await run(dir);
    assert.is(r.code, 0, r.stderr);
    assert.is(r.stdout, `/tmp/download/${name("8.5.0")}\n`);
    const st = lstatSync(dir.path("/tmp/download"));
    assert.ok(st.isDirectory() && !st.isSymbolicLink(), "a real directory now");
    assert.is(st.mode & 0o777, 0o700);
    assert.is(sha(readFileSync(dir.path(`/tmp/download/${name("8.5.0")}`))), sha(IMAGES["8.5.0"]!));
    assert.equal(readdirSync(elsewhere), []);
  } finally {
    dir.cleanup();
  }
});

test.run();
