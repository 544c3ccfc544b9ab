/**
 * Issue 9 §4, secret hygiene across a unit's whole life, end to end: portal
 * register/heartbeat/inventory/info/unregister (CLI and ns.subscription),
 * backups (send-backup, remote-backup, ns.backup local and registered, real
 * gpg), the alert proxy, the controller (ns.plug register → connect,
 * push-info, push-reports, unregister). For every bundle run a watcher
 * samples /proc/<pid>/cmdline and /proc/<pid>/environ of every descendant;
 * every stdout/stderr line, every file left in the root (but the two that
 * hold secrets by contract), the stand-ins' argv log and every backup that
 * reached backupd are searched for the secrets. Goal: 0 hits. Files holding
 * secrets must be mode 0600.
 *
 * Excluded by contract, and only that: the bundle's OWN argv for
 * `register <type> <secret>` (SPEC §3.2: the secret is its argument). The
 * watcher checks descendants, never the bundle itself; every other secret
 * reaches the bundle on stdin (rpcd) or from files.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawn } from "node:child_process";
import { copyFileSync, mkdirSync, readFileSync } from "node:fs";
import { BUNDLE, bundleEnv } from "../helpers/bundle";
import { watchDescendants } from "../helpers/proc-watch";
import { testdir, type TestDir } from "../helpers/testdir";
import { installSysupgrade, startBackupd, type Backupd } from "../servers/backupd";
import { startController, type Controller } from "../servers/controller";
import { startPortal, type Portal } from "../servers/portal";
import { filesOf, watchedRunner, type Ran, type Runner } from "./lib/watched";

const ENT = { type: "enterprise" as const, secret: "Hyg-Ent-Secret-5e1f9a", uuid: "a1b2c3d4-0000-4000-8000-00000000e001", id: 11 };
const COM = { type: "community" as const, secret: "Hyg-Com-Secret-77b2c4", uuid: "a1b2c3d4-0000-4000-8000-00000000c001", id: 12 };
const PASSPHRASE = "Hyg passphrase 'quoted' $(no) 9d3";
const UNIT = "hyg-unit-01";
const b64 = (s: string) => Buffer.from(s).toString("base64");

let portal: Portal;
let backupd: Backupd;
let ctl: Controller;
let dir: TestDir;
let joinCode: string;

let runner: Runner;

function secrets(): string[] {
  const passwords = ctl.registerRequests().map((r) => String((r.json() as { password?: string }).password ?? "")).filter(Boolean);
  return [
    ENT.secret, COM.secret, b64(`${ENT.uuid}:${ENT.secret}`), b64(`${COM.uuid}:${COM.secret}`),
    PASSPHRASE, ctl.token, b64(`${UNIT}:${ctl.token}`), joinCode, ...passwords,
  ];
}

const json = (r: Ran) => JSON.parse(r.stdout);
const rpc = (plugin: string, method: string, stdin: unknown = {}) => runner.run(`${plugin} ${method}`, { plugin, method, stdin });
const cli = (...args: string[]) => runner.run(args.join(" "), { args });

function ok(r: Ran, code = 0): Ran {
  assert.is(r.code, code, `${r.name}: exit ${r.code}\n${r.out}`);
  return r;
}

test.before(async () => {
  portal = await startPortal({ systems: [{ ...ENT }, { ...COM }] });
  backupd = await startBackupd({ systemId: ENT.uuid, secret: ENT.secret });
  ctl = await startController({ autoApprove: true, vpnHost: "vpn.example.org", vpnAddress: "127.0.0.1", apiPort: 9 });
  joinCode = b64(JSON.stringify({ fqdn: `127.0.0.1:${new URL(ctl.url).port}`, token: ctl.token, unit_id: UNIT }));
  dir = testdir({
    "/etc/config/ns-plug": {
      content: `\nconfig main 'config'\n\toption tls_verify '1'\n\toption backup_url '${backupd.url}'\n\toption repository_url 'https://updates.nethsecurity.nethserver.org/stable'\n`,
      mode: 0o600,
    },
    "/etc/repo-channel": "stable\n",
    "/etc/config/network": "\nconfig interface 'lan'\n\toption proto 'static'\n",
    "/etc/config/firewall": "\nconfig zone\n\toption name 'lan'\n",
    "/etc/config/rsyslog": "\nconfig syslog 'syslog'\n\toption ext_port '514'\n",
    "/etc/os-release": 'VERSION_ID="8-23.05.5-ns.1.6.0"\n',
    "/proc/sys/kernel/hostname": "fw-hygiene.example\n",
    "/var/run/ns-plug.booted": "",
    "/lib/upgrade/keep.d/ns-plug": "/etc/backup.pass\n",
    "/root/.profile": "",
  });
  installSysupgrade(dir.bin);
  runner = watchedRunner(dir, portal.env, secrets);
  dir.standin("reboot"); // ns.backup restore reboots, as the original did
  dir.standin("/sbin/hotplug-call");
  dir.standin("/etc/init.d/firewall");
  // procd's restart of ns-plug runs the bundle's connect (OpenVPN is not started here).
  dir.standin("/etc/init.d/ns-plug", `[ "$1" = restart ] || exit 0\nexec '${process.execPath}' '${BUNDLE}' connect`);
});

test.after(async () => {
  await Promise.all([portal?.close(), backupd?.close(), ctl?.close()]);
  dir?.cleanup();
});

test("portal: register, sends, info, through the CLI and ns.subscription", async () => {
  ok(await cli("register", "enterprise", ENT.secret));
  ok(await cli("send-heartbeat"));
  ok(await cli("send-inventory"));
  ok(await cli("subscription-info"));
  ok(await rpc("ns.subscription", "info"));
  ok(await rpc("ns.subscription", "inventory-status"));
  ok(await rpc("ns.subscription", "send-inventory"));
  assert.is(dir.mode("/etc/config/ns-plug"), 0o600, "ns-plug config stays 0600 after register rewrote it");
});

test("backups: passphrase, send-backup, remote-backup, ns.backup local and registered (real gpg)", async () => {
  ok(await rpc("ns.backup", "set-passphrase", { passphrase: PASSPHRASE }));
  assert.equal(json(ok(await rpc("ns.backup", "is-passphrase-set"))), { values: { set: true } });
  assert.is(dir.mode("/etc/backup.pass"), 0o600);
  ok(await cli("send-backup"));
  assert.is(dir.mode("/etc/backup.md5"), 0o600);
  const list = json(ok(await cli("remote-backup", "list"))) as Array<{ file: string }>;
  assert.ok(list.length >= 1);
  ok(await cli("remote-backup", "download", list[0]!.file, "/root/dl.gpg"));
  assert.is(dir.mode("/root/dl.gpg"), 0o600, "a downloaded backup is private");
  ok(await cli("remote-backup", "upload", "/root/dl.gpg"));
  ok(await rpc("ns.backup", "registered-list-backups"));
  ok(await rpc("ns.backup", "registered-backup"));
  ok(await rpc("ns.backup", "registered-download-backup", { file: list[0]!.file }));
  ok(await rpc("ns.backup", "registered-restore", { file: list[0]!.file, passphrase: PASSPHRASE }));
  ok(await rpc("ns.backup", "registered-delete-backup", { id: list[0]!.file }));
  ok(await cli("remote-backup", "delete", (json(await cli("remote-backup", "list")) as Array<{ file: string }>)[0]!.file));
  const local = json(ok(await rpc("ns.backup", "backup", { encrypted: true }))) as { backup: string };
  assert.ok(local.backup, "local backup made");
  assert.is(dir.mode(`/var/run/ns-api-server/downloads/${local.backup}`), 0o600, "a local backup is private");
  // LuCI downloads it through ns-api-server and uploads it again to restore.
  mkdirSync(dir.path("/var/run/ns-api-server/uploads"), { recursive: true });
  copyFileSync(dir.path(`/var/run/ns-api-server/downloads/${local.backup}`), dir.path(`/var/run/ns-api-server/uploads/${local.backup}`));
  ok(await rpc("ns.backup", "restore", { backup: local.backup, passphrase: PASSPHRASE }));
  // Whatever reached backupd was encrypted: no plaintext config (which holds the secret) in it.
  for (const b of backupd.backups) assert.not.ok(readFileSync(b.path, "latin1").includes(ENT.secret), `${b.name} is encrypted`);
  for (const p of portal.stored.proxy) assert.not.ok(p.body.toString("latin1").includes(ENT.secret), "proxy copy is encrypted");
});

test("alert proxy: a webhook reaches the portal", async () => {
  const child = spawn(process.execPath, [BUNDLE, "ns-plug-alert-proxy", "--listen", "127.0.0.1:0"], { env: bundleEnv({ dir, env: portal.env }) });
  const watch = watchDescendants(child.pid!, secrets(), 1);
  let out = "";
  child.stderr!.on("data", (b) => (out += b));
  const port = await new Promise<number>((resolve) => child.stdout!.on("data", (b) => {
    out += b;
    const m = /listening on 127\.0\.0\.1:(\d+)/.exec(out);
    if (m) resolve(Number(m[1]));
  }));
  try {
    const body = JSON.stringify({ alerts: [{ status: "firing", labels: { alertname: "WanDown", interface: "wan" }, endsAt: "2999-01-01T00:00:00Z" }] });
    const res = await fetch(`http://127.0.0.1:${port}/api/v2/alerts`, { method: "POST", body, headers: { "content-type": "application/json" } });
    assert.is(res.status, 200);
    await portal.waitFor((r) => r.route === "alert", 30_000);
  } finally {
    child.kill("SIGTERM");
  }
  const code = await new Promise<number | null>((r) => child.on("close", (c) => r(c)));
  const rep = watch.stop();
  runner.runs.push({ name: "ns-plug-alert-proxy", code, out, stdout: "", hits: rep.hits, texts: rep.texts, seen: rep.seen });
  assert.is(code, 0, out);
});

test("controller: ns.plug register → connect, status, push-info, push-reports, unregister", async () => {
  ok(await rpc("ns.plug", "register", { join_code: joinCode, tls_verify: false, unit_name: "", description: "hygiene" }));
  assert.ok(ctl.credentials(UNIT), "the unit registered at the controller");
  assert.is(dir.mode("/usr/share/ns-plug/client.conf"), 0o600, "client.conf (the unit's private key) is 0600");
  assert.is(dir.mode("/etc/config/rpcd"), 0o600, "rpcd config (password hash) is 0600");
  ok(await rpc("ns.plug", "status"));
  ok(await cli("connect"));
  await cli("ns-controller-push-info"); // nothing listens at vpn_address:api_port here: it fails, and says so without secrets
  await cli("ns-push-reports"); // no ns.controller plugin here: each report fails, logged
  ok(await rpc("ns.plug", "unregister"));
});

test("unsubscribe: unregister (CLI), then ns.subscription register/unregister with the community secret", async () => {
  ok(await cli("unregister"));
  assert.equal(json(ok(await rpc("ns.subscription", "register", { secret: COM.secret }))), { result: "success" });
  assert.is(String(dir.read("/etc/config/ns-plug").match(/option type '(\w+)'/)?.[1]), "community");
  ok(await rpc("ns.subscription", "unregister"));
  assert.equal(portal.stored.freed.map((f) => f.lk), [ENT.uuid, COM.uuid], "both keys were released");
});

test("0 secrets in any child's argv/environment, any output or log line, any file but the two that hold them", () => {
  const all = secrets();
  const problems: string[] = [];
  const runs = runner.runs;
  for (const r of runs) {
    for (const h of r.hits) problems.push(`${r.name}: ${h}`);
    for (const s of all) {
      if (r.out.includes(s)) problems.push(`${r.name}: output carries a secret (${s.slice(0, 4)}…)`);
      if (r.texts.some((t) => t.includes(s))) problems.push(`${r.name}: a child's argv/environment carries a secret (${s.slice(0, 4)}…)`);
    }
  }
  // By contract: ns-plug holds secret and token (and the feed URL with the secret), backup.pass the passphrase.
  const HOLDERS = new Set(["/etc/config/ns-plug", "/etc/backup.pass"]);
  let scanned = 0;
  for (const [p, text] of filesOf(dir.root)) {
    if (HOLDERS.has(p)) continue;
    scanned++;
    for (const s of all) if (text.includes(s)) problems.push(`file ${p} carries a secret (${s.slice(0, 4)}…)`);
  }
  const processes = new Set(runs.flatMap((r) => r.seen)).size;
  const programs = [...new Set(runs.flatMap((r) => r.seen.map((s) => s.split(":")[1]!.split("/").pop()!)))].sort();
  console.log(`\nFIGURE secret hygiene: ${runs.length} bundle runs, ${processes} child processes sampled (${programs.join(", ")}), ` +
    `${scanned} files and ${runs.reduce((n, r) => n + r.out.length, 0)} bytes of output searched for ${all.length} secrets: ${problems.length} hits`);
  assert.ok(programs.includes("gpg"), `gpg was sampled while it ran (seen: ${programs.join(", ")})`);
  assert.equal(problems, []);
});

test.run();
