// Remote backup upload (issue 5): `remote-backup upload` of a 1 GiB file to the
// loopback backupd, next to `curl --upload-file` to the same server in the same
// run, interleaved. Figures: throughput ratio (goal >= 0.9x curl) and the
// bundle's peak RSS growth against uploading a 1 KiB file (goal <= 16 MiB).
// The 1 GiB file is sparse (no disk needed to make it) and is deleted at the end.
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fmt, median } from "./lib.mjs";

// The loopback backupd is TypeScript (test/servers/): run this file again under tsx.
if (!process.env.NSPLUG_BENCH_TSX) {
  const r = spawnSync(process.execPath, ["--import", "tsx", new URL(import.meta.url).pathname], {
    stdio: "inherit",
    env: { ...process.env, NSPLUG_BENCH_TSX: "1" },
  });
  process.exit(r.status ?? 1);
}
const { startBackupd } = await import("../test/servers/backupd.ts");

const GIB = 1024 ** 3;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const id = "bench-system";
const secret = "bench-secret";

const root = mkdtempSync(join(tmpdir(), "nsplug-bench-backup-"));
const store = join(root, "store");
mkdirSync(join(root, "etc/config"), { recursive: true });
mkdirSync(join(root, "tmp"), { recursive: true });
mkdirSync(store);
const backupd = await startBackupd({ systemId: id, secret, dir: store });
writeFileSync(
  join(root, "etc/config/ns-plug"),
  `\nconfig main 'config'\n\toption type 'community'\n\toption system_id '${id}'\n\toption secret '${secret}'\n\toption backup_url '${backupd.url}'\n`,
);
const big = join(root, "tmp/big.bin");
writeFileSync(big, "");
truncateSync(big, GIB);
const small = join(root, "tmp/small.bin");
writeFileSync(small, Buffer.alloc(1024, 1));

const env = { ...process.env, NS_PLUG_ROOT: root };
delete env.NODE_OPTIONS;
delete env.NSPLUG_BENCH_TSX;

/** Run a command; wall time, and the peak RSS (VmHWM) polled from /proc while it runs. */
function measure(cmd, args) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(cmd, args, { env, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    let hwm = 0;
    child.stderr.on("data", (b) => (stderr += b));
    const poll = () => {
      try {
        const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, "utf8"));
        if (m) hwm = Math.max(hwm, Number(m[1]) * 1024);
      } catch {
        /* exited */
      }
    };
    const timer = setInterval(poll, 5);
    child.on("error", reject);
    child.on("exit", (code) => {
      clearInterval(timer);
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      if (code !== 0) reject(new Error(`${cmd} exited ${code}: ${stderr}`));
      else resolve({ ms, hwm });
    });
  });
}

function dropStored() {
  for (const b of backupd.backups.splice(0)) rmSync(b.path, { force: true });
}

const bundle = (file) => [process.execPath, ["dist/ns-plug.js", "remote-backup", "upload", file.slice(root.length)]];
const curl = (file) => [
  "curl",
  ["-sS", "-f", "-o", "/dev/null", "-u", `${id}:${secret}`, "--upload-file", file, `${backupd.url}/community/api/v2/backup/`],
];

const t = { bundle: [], curl: [], rssBig: [], rssSmall: [] };
try {
  // Warm-up: page cache, server, JIT.
  await measure(...bundle(small));
  await measure(...curl(big));
  dropStored();
  for (let i = 0; i < ROUNDS; i++) {
    const s = await measure(...bundle(small));
    t.rssSmall.push(s.hwm);
    const b = await measure(...bundle(big));
    t.bundle.push(b.ms);
    t.rssBig.push(b.hwm);
    dropStored();
    t.curl.push((await measure(...curl(big))).ms);
    dropStored();
  }
} finally {
  await backupd.close();
  rmSync(root, { recursive: true, force: true });
}

const mibs = (ms) => 1024 / (ms / 1000);
const bundleMs = median(t.bundle);
const curlMs = median(t.curl);
const growth = median(t.rssBig) - median(t.rssSmall);
console.log(`1 GiB upload, ${ROUNDS} rounds interleaved (loopback backupd, body streamed to disk)`);
console.log(`curl --upload-file          median ${fmt(curlMs, 0)} ms  ${fmt(mibs(curlMs), 0)} MiB/s`);
console.log(`remote-backup upload        median ${fmt(bundleMs, 0)} ms  ${fmt(mibs(bundleMs), 0)} MiB/s`);
console.log(`throughput ratio            ${fmt(curlMs / bundleMs, 2)}x curl  (goal >= 0.9)`);
console.log(`bundle peak RSS             ${fmt(median(t.rssSmall) / 2 ** 20)} MiB (1 KiB file), ${fmt(median(t.rssBig) / 2 ** 20)} MiB (1 GiB file)`);
console.log(`peak RSS growth             ${fmt(growth / 2 ** 20)} MiB  (goal <= 16)`);
