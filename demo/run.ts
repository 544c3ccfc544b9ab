/**
 * `make demo`: the whole life of one unit, on one machine, against the
 * loopback servers of test/servers/ and the real programs (openvpn, gpg, tar,
 * rsyslogd). One line per step with what was observed. Everything it starts
 * is stopped and every temp file removed, also on failure.
 */
import { execFile, execFileSync } from "node:child_process";
import { promisify } from "node:util";

// Async on purpose: the loopback servers run in this process, a sync child would starve them.
const sh = promisify(execFile);
import { runBundle, type RunResult } from "../test/helpers/bundle";
import { testdir, type TestDir } from "../test/helpers/testdir";
import { DEMO_SYSTEMS, startPortal, type Portal } from "../test/servers/portal";
import { installSysupgrade, startBackupd, type Backupd } from "../test/servers/backupd";

const CONFIG = `
config main 'config'
\toption tls_verify '1'
\toption backup_url 'https://backupd.invalid'
\toption alert_proxy_loglevel 'info'
`;

export interface Demo {
  dir: TestDir;
  portal: Portal;
  backupd: Backupd;
  env: Record<string, string>;
  cleanups: Array<() => Promise<void> | void>;
  failures: string[];
}

export function say(text: string): void {
  console.log(`demo: ${text}`);
}

/** Run the bundle in the unit's root; prints the step and its exit code. */
export async function step(d: Demo, label: string, args: string[], opts: { stdin?: string; as?: string; expect?: number } = {}): Promise<RunResult> {
  const r = await runBundle(args, { dir: d.dir, env: d.env, stdin: opts.stdin, as: opts.as, timeoutMs: 120_000 });
  const ok = r.code === (opts.expect ?? 0);
  if (!ok) d.failures.push(`${label}: exit ${r.code}: ${r.stderr.trim().split("\n").pop()}`);
  say(`${ok ? "✓" : "✗"} ${label.padEnd(44)} exit ${r.code}${ok ? "" : `  ${r.stderr.trim().split("\n").pop()}`}`);
  return r;
}

export function observe(d: Demo, what: string, ok: boolean, detail = ""): void {
  if (!ok) d.failures.push(what);
  say(`  ${ok ? "→" : "✗"} ${what}${detail ? `: ${detail}` : ""}`);
}

async function subscription(d: Demo): Promise<void> {
  const sys = DEMO_SYSTEMS.find((s) => s.type === "enterprise")!;
  say("— subscription (loopback portal stands for my.nethesis.it)");
  await step(d, "register enterprise <secret>", ["register", "enterprise", sys.secret]);
  observe(d, "UCI type/system_id saved", d.dir.read("/etc/config/ns-plug").includes(`option system_id '${sys.uuid}'`));
  const hb = d.portal.stored.heartbeats.length;
  const inv = d.portal.stored.inventories.length;
  observe(d, "portal got inventory then heartbeat", inv > 0 && hb > 0, `${inv} inventory, ${hb} heartbeat`);
  await step(d, "send-heartbeat", ["send-heartbeat"]);
  observe(d, "heartbeat stored at the portal", d.portal.stored.heartbeats.length > hb);
  const info = await step(d, "subscription-info", ["subscription-info"]);
  try {
    const j = JSON.parse(info.stdout) as { subscription?: { status?: string; subscription_plan?: { name?: string } } };
    observe(d, "subscription", j.subscription?.status === "valid", `${j.subscription?.subscription_plan?.name} (${j.subscription?.status})`);
  } catch {
    observe(d, "subscription-info prints JSON", false);
  }
}

async function backup(d: Demo): Promise<void> {
  say("— remote backup (loopback backupd, real gpg and tar, sysupgrade stand-in)");
  await step(d, "send-backup without a passphrase", ["send-backup"], { expect: 4 });
  observe(d, "nothing uploaded unencrypted", d.backupd.backups.length === 0);
  d.dir.write("/etc/backup.pass", "demo passphrase\n", 0o600);
  await step(d, "send-backup", ["send-backup"]);
  const b = d.backupd.backups[0];
  const head = b ? execFileSync("head", ["-c", "64", b.path]) : Buffer.alloc(0);
  observe(d, "backupd stored an encrypted archive", !!b && !head.includes(Buffer.from("etc/config")), b ? `${b.name}, ${b.size} bytes` : "none");
  await step(d, "send-backup again (nothing changed)", ["send-backup"]);
  observe(d, "no second upload", d.backupd.backups.length === 1);
  const list = await step(d, "remote-backup list", ["remote-backup", "list"]);
  let file = "";
  try {
    file = (JSON.parse(list.stdout) as Array<{ file: string }>)[0]?.file ?? "";
  } catch {
    /* reported below */
  }
  observe(d, "newest backup", file !== "", file);
  // The documented restore, as an admin types it (only the root differs).
  d.dir.write("/etc/config/network", "\nconfig interface 'lan'\n\toption proto 'broken'\n");
  const pipeline =
    `remote-backup download "$(remote-backup list | jq -r .[0].file)" - | ` +
    `gpg --batch --quiet --passphrase-file "$NS_PLUG_ROOT/etc/backup.pass" -d | sysupgrade -r -`;
  const links = `${d.dir.root}/.standins/links`;
  execFileSync("mkdir", ["-p", links]);
  execFileSync("ln", ["-sf", `${process.cwd()}/dist/ns-plug.js`, `${links}/remote-backup`]);
  let restored = false;
  try {
    const gnupgHome = `${d.dir.root}/tmp/gnupg`;
    execFileSync("mkdir", ["-m", "700", "-p", gnupgHome]);
    await sh("sh", ["-c", pipeline], {
      env: { ...process.env, ...d.env, NS_PLUG_ROOT: d.dir.root, PATH: `${links}:${d.dir.bin}:${process.env.PATH}`, GNUPGHOME: gnupgHome },
    });
    restored = !d.dir.read("/etc/config/network").includes("broken");
  } catch (e) {
    d.failures.push(`restore pipeline: ${String(e)}`);
  }
  observe(d, "restore pipeline: download | gpg -d | sysupgrade -r -", restored, restored ? "config back as backed up" : "failed");
}

async function main(): Promise<number> {
  const portal = await startPortal();
  const sys = DEMO_SYSTEMS.find((s) => s.type === "enterprise")!;
  const backupd = await startBackupd({ systemId: sys.uuid, secret: sys.secret });
  const dir = testdir({ "/etc/config/ns-plug": CONFIG, "/etc/repo-channel": "stable\n", "/etc/config/network": "\nconfig interface 'lan'\n\toption proto 'static'\n" });
  installSysupgrade(dir.bin);
  const d: Demo = { dir, portal, backupd, env: { ...portal.env }, cleanups: [], failures: [] };
  say(`unit root ${dir.root}; portal ${portal.url}; backupd ${backupd.url}`);
  try {
    await subscription(d);
    // backup_url is not written by register: point it at the loopback backupd like an admin would with uci.
    dir.write("/etc/config/ns-plug", dir.read("/etc/config/ns-plug").replace("https://backupd.invalid", backupd.url));
    await backup(d);
    say("— unregister");
    await step(d, "unregister", ["unregister"]);
    observe(d, "portal freed the key", portal.stored.freed.length === 1);
    observe(d, "subscription keys cleared", !dir.read("/etc/config/ns-plug").includes("system_id"));
  } finally {
    for (const c of d.cleanups.reverse()) await Promise.resolve(c()).catch(() => {});
    await portal.close();
    await backupd.close();
    dir.cleanup();
  }
  if (d.failures.length) {
    say(`FAILED ${d.failures.length} step(s):`);
    for (const f of d.failures) say(`  ${f}`);
    return 1;
  }
  say("all steps passed; everything started was stopped and the unit root removed");
  return 0;
}

main().then(
  (c) => (process.exitCode = c),
  (e) => {
    console.error(e);
    process.exitCode = 1;
  },
);
