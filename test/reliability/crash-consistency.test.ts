/**
 * @runner-first (test/run.mjs: long; it and the fault matrix start their layer,
 * so the load-sensitive alert-proxy-load runs later, beside the matrix's idle phase)
 *
 * Issue 9 §3, crash consistency: 1,000 runs that SIGKILL a bundle command
 * (its whole process group, like a power cut) at a random moment while it
 * writes UCI (/etc/config/ns-plug, /etc/config/rpcd), the OpenVPN client.conf,
 * the rsyslog file, /etc/backup.pass or the backup digest. Every file must be
 * the old or the new version, whole, parseable, with its mode: torn files
 * are counted (goal 0). Half the kills are spread over the whole run, half
 * aimed at the moments the calibration run saw the files change.
 */
import { test } from "uvu";
import { rmSync } from "node:fs";
import { seeded } from "../helpers/seed";
import * as assert from "uvu/assert";
import { parseUci } from "../../src/platform/uci/codec";
import { runBundle } from "../helpers/bundle";
import { testdir, type TestDir } from "../helpers/testdir";
import { installSysupgrade, startBackupd, type Backupd } from "../servers/backupd";
import { createPki, startController, type Controller } from "../servers/controller";
import { calibrate, crashRun, rootless, type Job, type RunOutcome, type Target } from "./lib/crash";
import { pool, table } from "./lib/pool";

const RUNS: Record<string, number> = { "ns.plug update (UCI)": 300, "ns.backup set-passphrase": 150, "connect (client.conf, UCI, rsyslog)": 300, "send-backup (digest)": 250 };
const CONCURRENCY = 6;

const uci = (t: string) => void parseUci(t, "x");
const q = (v: string) => `'${v.replace(/'/g, "'\\''")}'`;
const dirs: TestDir[] = [];
let ctlOld: Controller, ctlNew: Controller, backupd: Backupd;

function cfg(o: Record<string, string>, extra = ""): string {
  return `\nconfig main 'config'\n${Object.entries(o).map(([k, v]) => `\toption ${k} ${q(v)}\n`).join("")}${extra}`;
}

/** 300 other sections: a config of ~40 KB, so a write is not over in one page. */
const BULK = Array.from({ length: 300 }, (_, i) => `\nconfig extra 'e${i}'\n\toption name 'entry ${i} with some text'\n\tlist item 'a'\n\tlist item 'b'\n`).join("");

async function jobs(): Promise<Job[]> {
  const out: Job[] = [];
  const newDesc = "new description — ünïcode, quotes ' \" and $(x)";

  // 1. UCI through the rpcd plugin (no network: the fastest writer).
  {
    const d = testdir({ "/etc/config/ns-plug": { content: cfg({ description: "old description" }, BULK), mode: 0o600 } });
    dirs.push(d);
    out.push({
      name: "ns.plug update (UCI)",
      template: d.root,
      args: ["ns.plug", "call", "update"],
      stdin: JSON.stringify({ description: newDesc }),
      targets: [{ path: "/etc/config/ns-plug", parse: uci, mode: 0o600, old: d.read("/etc/config/ns-plug") }],
    });
  }
  // 2. The backup passphrase (a torn one would encrypt every later backup with a key nobody knows).
  {
    const d = testdir({ "/etc/backup.pass": { content: "old passphrase", mode: 0o600 } });
    dirs.push(d);
    out.push({
      name: "ns.backup set-passphrase",
      template: d.root,
      args: ["ns.backup", "call", "set-passphrase"],
      stdin: JSON.stringify({ passphrase: "new passphrase, longer than the old one" }),
      targets: [{ path: "/etc/backup.pass", parse: () => {}, mode: 0o600, old: "old passphrase" }],
    });
  }
  // 3. connect: a unit registered with one controller re-registers with another (new endpoint, new files).
  {
    const d = testdir({
      "/etc/config/ns-plug": { content: cfg({ server: ctlOld.url, unit_id: "crash-unit", token: ctlOld.token, tls_verify: "1" }), mode: 0o600 },
      "/etc/os-release": 'NAME="NethSecurity"\nVERSION_ID="8-23.05.5-ns.1.6.0"\n',
      "/proc/sys/kernel/hostname": "fw-crash.example\n",
      "/var/run/ns-plug.booted": "",
      "/etc/config/rsyslog": "\nconfig syslog 'syslog'\n\toption ext_port '514'\n",
    });
    dirs.push(d);
    const first = await runBundle(["connect"], { dir: d });
    assert.is(first.code, 0, `template: connect to the old controller: ${first.stderr}`);
    // As `/etc/init.d/ns-plug restart` leaves it: no backoff count, so each run connects at once.
    rmSync(d.path("/var/run/ns-plug.backoff"), { force: true });
    d.write("/etc/config/ns-plug", cfg({ server: ctlNew.url, unit_id: "crash-unit", token: ctlNew.token, tls_verify: "1" }, "\toption vpn_address '172.21.0.1'\n\toption api_port '8080'\n"), 0o600);
    const hash = (t: string) => t.replace(/option password '[^']*'/, "option password '<hash>'");
    const t = (path: string, parse: Target["parse"], extra: Partial<Target> = {}): Target => ({
      path,
      parse,
      old: rootless(d.readIfExists(path), d.root),
      ...extra,
    });
    out.push({
      name: "connect (client.conf, UCI, rsyslog)",
      template: d.root,
      args: ["connect"],
      targets: [
        t("/usr/share/ns-plug/client.conf", (s) => void (/^client\n[\s\S]*\nverb 3\n/.test(s) || fail("not a whole client.conf")), { mode: 0o600 }),
        t("/etc/config/rpcd", uci, { normalise: hash, mode: 0o600 }),
        t("/etc/config/ns-plug", uci, { mode: 0o600 }),
        t("/var/etc/rsyslog.ns-plug.conf", (s) => void (/\*\.\* call forward\n?$/.test(s) || fail("not a whole rsyslog file"))),
      ],
    });
  }
  // 4. send-backup: the content digest saved after the upload.
  {
    const d = testdir({
      "/etc/config/ns-plug": { content: cfg({ type: "community", system_id: "crash-sys", secret: "crash-secret", backup_url: backupd.url }), mode: 0o600 },
      "/etc/config/network": "\nconfig interface 'lan'\n\toption proto 'static'\n",
      "/etc/backup.pass": { content: "crash passphrase", mode: 0o600 },
      "/etc/backup.md5": { content: "0123456789abcdef0123456789abcdef\n", mode: 0o600 },
    });
    installSysupgrade(d.bin);
    dirs.push(d);
    out.push({
      name: "send-backup (digest)",
      template: d.root,
      args: ["send-backup"],
      targets: [{ path: "/etc/backup.md5", parse: (s) => void (/^[0-9a-f]{32}\n$/.test(s) || fail("not a digest")), mode: 0o600, old: d.read("/etc/backup.md5") }],
    });
  }
  return out;
}

function fail(why: string): never {
  throw new Error(why);
}

interface Summary {
  job: Job;
  outcomes: RunOutcome[];
  calibrationMs: number;
}
const summaries: Summary[] = [];

test.before(async () => {
  const pki = await createPki();
  [ctlOld, ctlNew] = await Promise.all([
    startController({ tls: false, autoApprove: true, pki, vpnHost: "old.example", vpnAddress: "172.21.0.1", apiPort: "8080", promtailAddress: "127.0.0.1", promtailPort: "5151" }),
    startController({ tls: false, autoApprove: true, pki, vpnHost: "new.example", vpnAddress: "172.22.0.1", apiPort: "9090", promtailAddress: "127.0.0.2", promtailPort: "5152" }),
  ]);
  backupd = await startBackupd({ systemId: "crash-sys", secret: "crash-secret" });
});

test.after(async () => {
  await Promise.all([ctlOld?.close(), ctlNew?.close(), backupd?.close()]);
  dirs.forEach((d) => d.cleanup());
});

test("1,000 kill -9 at random moments: every file is the old or the new version, whole (0 torn)", async () => {
  // Kill times are seeded: the same TEST_SEED gives the same fractions of each job's calibrated
  // duration and the same interleaving (the calibration itself is measured, so absolute ms vary).
  const rnd = seeded("crash-consistency kill times");
  const all = await jobs();
  const plan: Array<{ job: Job; delay: number }> = [];
  for (const job of all) {
    // Calibrated under the same load as the crash runs (CONCURRENCY at once): medians.
    const cals = await Promise.all(Array.from({ length: CONCURRENCY }, () => calibrate(job)));
    const cal = cals[0]!;
    job.targets.forEach((t, i) => (t.new = cal.after[i]));
    const med = (xs: number[]) => xs.sort((a, b) => a - b)[xs.length >> 1]!;
    const ms = med(cals.map((c) => c.ms));
    const writes = job.targets.map((_, i) => med(cals.map((c) => c.writes[i]!))).filter((w) => Number.isFinite(w));
    summaries.push({ job, outcomes: [], calibrationMs: ms });
    for (let i = 0; i < RUNS[job.name]!; i++) {
      const aimed = i % 2 === 1 && writes.length > 0;
      const delay = aimed
        ? Math.max(0, writes[i % writes.length]! + rnd.between(-40, 20))
        : rnd.between(0, ms * 1.2);
      plan.push({ job, delay });
    }
  }
  // Interleave the jobs so each sees the same machine load.
  rnd.shuffle(plan);
  const t0 = Date.now();
  const outcomes = await pool(plan, CONCURRENCY, ({ job, delay }) => crashRun(job, delay));
  const wall = Date.now() - t0;
  plan.forEach((p, i) => summaries.find((s) => s.job === p.job)!.outcomes.push(outcomes[i]!));

  const rows: string[][] = [];
  let torn = 0;
  let midWrite = 0;
  const problems: string[] = [];
  const vacuous: string[] = [];
  for (const s of summaries) {
    const killed = s.outcomes.filter((o) => !o.finished).length;
    const temps = s.outcomes.filter((o) => o.temps.length > 0).length;
    midWrite += temps;
    s.job.targets.forEach((t, i) => {
      const states = s.outcomes.map((o) => o.states[i]!);
      const n = (k: string) => states.filter((x) => x === k).length;
      const bad = s.outcomes.filter((o) => o.states[i]!.startsWith("torn"));
      torn += bad.length;
      bad.slice(0, 3).forEach((o) => problems.push(`${s.job.name} ${t.path}: ${o.states[i]} (killed at +${Math.round(o.delayMs)} ms; replay: TEST_SEED=${rnd.seed})`));
      rows.push([s.job.name, t.path, String(s.outcomes.length), String(killed), String(n("old")), String(n("new")), String(bad.length), String(temps)]);
      // Not vacuous: the kills must have caught the command both before and after this write.
      const same = t.old !== undefined && t.new !== undefined && (t.normalise?.(t.old) ?? t.old) === (t.normalise?.(t.new) ?? t.new);
      if (!same && !(n("old") > 0 && n("new") > 0)) vacuous.push(`${s.job.name} ${t.path}: old ${n("old")}, new ${n("new")} — the kills missed the write`);
    });
  }
  console.log("\nCrash consistency (SIGKILL of the process group at a random moment):\n");
  console.log(table(["command", "file", "runs", "killed", "old", "new", "torn", "temp left"], rows));
  const total = summaries.reduce((n, s) => n + s.outcomes.length, 0);
  console.log(`\nFIGURE crash consistency: ${total} runs, ${torn} torn files, ${midWrite} kills landed mid-write (a temp file was left), wall ${(wall / 1000).toFixed(0)} s`);
  assert.ok(total >= 1000, `${total} runs`);
  assert.equal(vacuous, [], "every file was caught both before and after its write");
  assert.equal(problems, [], `torn files (replay: TEST_SEED=${rnd.seed})`);
  assert.is(torn, 0);
});

test.run();
