// ns-download (issue 14): peak RSS of the bundle while it downloads and
// verifies a 1 GiB image from a loopback HTTPS repository (credentials in
// repository_url), against the same run for a 1 MiB image, interleaved.
// Figure: RSS growth = peak(1 GiB) - peak(1 MiB) (goal: flat, a few MiB at
// most: the image is streamed to disk and hashed on the way), and throughput.
// The image bytes are generated (a repeated seeded block), never held whole
// in memory; the download is deleted after each run.
import { execFileSync, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fmt, median } from "./lib.mjs";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

const MIB = 1024 ** 2;
const ID = "bench-id";
const SECRET = "bench-secret-dl";
const here = new URL("..", import.meta.url).pathname;
const BUNDLE = join(here, "dist/ns-plug.js");

const work = mkdtempSync(join(tmpdir(), "nsplug-bench-dl-"));
const keyPath = join(work, "key.pem");
const certPath = join(work, "cert.pem");
execFileSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1",
  "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", keyPath, "-out", certPath], { stdio: "ignore" });

// One seeded 1 MiB block, repeated: the content is not all zeros, and the sha256 of N blocks is quick to compute.
const block = Buffer.alloc(MIB);
let x = 12345;
for (let i = 0; i < block.length; i++) {
  x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
  block[i] = x & 0xff;
}
// BENCH_DL_BIG_MIB: size of the big image (default 1024), to check that the growth does not follow the size.
const sizes = { "1m": MIB, "1g": Number(process.env.BENCH_DL_BIG_MIB ?? 1024) * MIB };
const versions = { "1m": "1.0.0", "1g": "1.0.1" };
const imageName = (v) => `nethsecurity-${v}-x86-64-generic-squashfs-combined-efi.img.gz`;
const hashes = {};
for (const [k, size] of Object.entries(sizes)) {
  const h = createHash("sha256");
  for (let n = 0; n < size; n += MIB) h.update(block);
  hashes[versions[k]] = h.digest("hex");
}

const auth = "Basic " + Buffer.from(`${ID}:${SECRET}`).toString("base64");
const server = createServer({ key: readFileSync(keyPath), cert: readFileSync(certPath) }, (req, res) => {
  if (req.headers.authorization !== auth) return res.writeHead(401).end();
  const m = /^\/repo\/([^/]+)\/targets\/x86\/64\/(.+)$/.exec(req.url ?? "");
  const v = m?.[1];
  const size = Object.entries(versions).find(([, ver]) => ver === v)?.[0];
  if (!m || !size) return res.writeHead(404).end();
  if (m[2] === "sha256sums") return res.end(`${hashes[v]} *${imageName(v)}\n`);
  res.writeHead(200, { "content-length": sizes[size] });
  let sent = 0;
  const pump = () => {
    while (sent < sizes[size]) {
      sent += MIB;
      if (!res.write(block)) return res.once("drain", pump);
    }
    res.end();
  };
  pump();
});
await new Promise((r) => server.listen(0, "127.0.0.1", r));
const port = server.address().port;

function rootFor(version) {
  const root = join(work, `root-${version}`);
  mkdirSync(join(root, "etc/config"), { recursive: true });
  mkdirSync(join(root, "tmp"), { recursive: true });
  writeFileSync(join(root, "etc/os-release"), `VERSION="${version}"\nVERSION_ID="${version}"\nOPENWRT_BOARD="x86/64"\n`);
  writeFileSync(join(root, "etc/config/ns-plug"),
    `\nconfig main 'config'\n\toption repository_url 'https://${ID}:${SECRET}@127.0.0.1:${port}/repo'\n`, { mode: 0o600 });
  return root;
}

/** One ns-download run: wall time and peak RSS (VmHWM polled from /proc). */
function measure(root) {
  return new Promise((resolve, reject) => {
    const env = { ...process.env, NS_PLUG_ROOT: root, NODE_EXTRA_CA_CERTS: certPath };
    delete env.NODE_OPTIONS;
    const t0 = process.hrtime.bigint();
    const child = spawn(process.execPath, [BUNDLE, "ns-download", "-f"], { env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let hwm = 0;
    child.stdout.on("data", (b) => (out += b));
    child.stderr.on("data", (b) => (out += b));
    const poll = () => {
      try {
        const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, "utf8"));
        if (m) hwm = Math.max(hwm, Number(m[1]) * 1024);
      } catch { /* exited */ }
    };
    const timer = setInterval(poll, 20);
    child.on("close", (code) => {
      clearInterval(timer);
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      rmSync(join(root, "tmp/download"), { recursive: true, force: true });
      if (code !== 0) reject(new Error(`ns-download exited ${code}: ${out}`));
      else resolve({ ms, hwm });
    });
  });
}

const roots = { "1m": rootFor(versions["1m"]), "1g": rootFor(versions["1g"]) };
const res = { "1m": [], "1g": [] };
try {
  await measure(roots["1m"]); // warm-up
  for (let i = 0; i < ROUNDS; i++) {
    for (const k of ["1m", "1g"]) res[k].push(await measure(roots[k]));
  }
} finally {
  server.close();
  rmSync(work, { recursive: true, force: true });
}
const peak = (k) => median(res[k].map((r) => r.hwm)) / MIB;
const ms1g = median(res["1g"].map((r) => r.ms));
console.log(`ns-download, ${ROUNDS} rounds, interleaved (HTTPS loopback, basic auth from repository_url):`);
console.log(`  1 MiB image: peak RSS ${fmt(peak("1m"))} MiB, ${fmt(median(res["1m"].map((r) => r.ms)), 0)} ms`);
console.log(`  ${sizes["1g"] / MIB} MiB image: peak RSS ${fmt(peak("1g"))} MiB, ${fmt(ms1g, 0)} ms (${fmt(sizes["1g"] / MIB / (ms1g / 1000))} MiB/s, download + sha256 + fsync)`);
console.log(`  RSS growth for ${sizes["1g"] / MIB} MiB: ${fmt(peak("1g") - peak("1m"))} MiB (goal: flat, <= 16 MiB)`);
