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
import { startController } from "../test/servers/controller";
import { addressIn, checkLabPrerequisites, startTunnelLab, type TunnelLab } from "../test/servers/controller-lab";
import { installUnitFiles } from "../test/servers/controller-unit";
import { FIRING, RESOLVED, postWebhook, startProxy, webhook } from "../test/servers/alerts-sink";
import { pluginFile, runFile } from "../test/helpers/rpcd";
import { ubusCall } from "../test/servers/ns-api-server";
import { bundleEnv, startBundle } from "../test/helpers/bundle";
import type { ChildProcess } from "node:child_process";
import { readFileSync, symlinkSync } from "node:fs";
import { BUNDLE } from "../test/helpers/bundle";
import { addressOf, checkSupportLabPrerequisites, processesWith, startSupportLab } from "../test/servers/support-lab";

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


/**
 * The web UI's way in: it POSTs `{path, method, payload}` to ns-api-server,
 * which runs `/usr/libexec/rpcd/<plugin> call <method>` itself (stdout and
 * stderr combined, exit status checked: SPEC §7). Done here through the
 * ns-api-server stand-in (test/servers/ns-api-server.ts); what is shown is
 * what the UI receives: HTTP status, message, data.
 */
async function ubus(d: Demo, plugin: string, method: string, args: Record<string, unknown> = {}, prefix?: string[]): Promise<Record<string, unknown>> {
  const r = await ubusCall(plugin, method, args, { dir: d.dir, env: d.env, prefix });
  const data = r.body.data !== null && typeof r.body.data === "object" ? (r.body.data as Record<string, unknown>) : {};
  const bad = r.status !== 200 || r.body.data === null;
  if (bad) d.failures.push(`ns-api-server ${plugin} ${method}: HTTP ${r.status} ${r.body.message}; output ${JSON.stringify(r.output.slice(0, 300))}`);
  const shown = JSON.stringify(r.body.data);
  say(`${bad ? "✗" : "✓"} UI → ns-api-server → ${plugin} ${method}`.padEnd(58) + ` → HTTP ${r.status} data ${shown.length > 130 ? `${shown.slice(0, 130)}…` : shown}`);
  return data;
}

async function until<T>(what: string, f: () => T | undefined | false, timeoutMs = 60_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = f();
    if (v !== undefined && v !== false) return v as T;
    if (Date.now() > end) throw new Error(`${what}: not within ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function tunnelPossible(): string | undefined {
  try {
    checkLabPrerequisites();
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

async function controller(d: Demo): Promise<void> {
  const why = tunnelPossible();
  say(why ? `— controller (loopback; real tunnel SKIPPED: ${why})` : "— controller (its own network namespace, a real OpenVPN server, the unit in another namespace)");
  const unitId = "5f0c7a4e-0d1b-4e2a-9c33-demo00000001";
  let lab: TunnelLab | undefined;
  let url: string;
  let token: string;
  let approve: (id: string) => void | Promise<void>;
  let registerRequests: () => number;
  if (!why) {
    lab = await startTunnelLab({ autoApprove: false });
    d.cleanups.push(() => lab!.close());
    ({ controllerUrl: url, token } = lab);
    approve = (id) => lab!.approve(id);
    registerRequests = () => lab!.requests.filter((r) => r.path === "/api/units/register").length;
  } else {
    const c = await startController();
    d.cleanups.push(() => c.close());
    ({ url, token } = c);
    approve = (id) => c.approve(id);
    registerRequests = () => c.registerRequests().length;
  }
  installUnitFiles(d.dir);
  d.dir.write("/var/run/ns-plug.booted", ""); // not the first start after boot: no random delay
  const fqdn = new URL(url).host;
  const joinCode = Buffer.from(JSON.stringify({ fqdn, token, unit_id: unitId })).toString("base64");
  say(`controller at ${url}; the admin pastes its join code into the web UI (calls through the ns-api-server stand-in)`);
  await ubus(d, "ns.plug", "register", { join_code: joinCode, tls_verify: false, unit_name: "demo-fw", description: "make demo" });
  observe(d, "UCI server/unit_id/token set, ns-plug restarted", d.dir.read("/etc/config/ns-plug").includes(`option server 'https://${fqdn}'`) && d.dir.calls().some((c) => c.startsWith("/etc/init.d/ns-plug restart")));

  // What procd does on that restart: run /usr/sbin/ns-plug (the sh wrapper).
  let unit: ChildProcess;
  let out = "";
  if (lab) unit = lab.spawnInUnit(d.dir.path("/usr/sbin/ns-plug"), [], bundleEnv({ dir: d.dir, env: d.env }));
  else unit = startBundle(["connect"], { dir: d.dir, env: d.env });
  unit.stdout!.on("data", (b) => (out += b));
  unit.stderr!.on("data", (b) => (out += b));
  const exited = new Promise<number | null>((r) => unit.on("exit", (c) => r(c)));
  d.cleanups.push(async () => {
    if (unit.exitCode === null && unit.signalCode === null) unit.kill("SIGTERM");
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    if (unit.exitCode === null && unit.signalCode === null) unit.kill("SIGKILL");
  });
  await until("the unit's first registration request", () => registerRequests() >= 1);
  observe(d, "controller: unit on the waiting list (403), the unit keeps polling", true, `${registerRequests()} request(s)`);
  const pending = await ubus(d, "ns.plug", "status");
  observe(d, "LuCI shows pending", pending.status === "pending");
  const t0 = Date.now();
  await approve(unitId);
  say("the admin approves the unit at the controller");
  await until("client.conf", () => d.dir.exists("/usr/share/ns-plug/client.conf"), 30_000);
  // Without a tunnel, connect's own exit is the end of the step (rsyslog, cron come after client.conf).
  const connectCode = lab ? undefined : await exited;
  const conf = d.dir.read("/usr/share/ns-plug/client.conf");
  observe(d, "client.conf written after approval", conf.startsWith("client\n") && d.dir.mode("/usr/share/ns-plug/client.conf") === 0o600,
    `${((Date.now() - t0) / 1000).toFixed(1)} s after approval, mode 0600, ${conf.split("\n").length} lines, ends with '${conf.trim().split("\n").pop()}'`);
  // With a tunnel, connect is still running: it writes the rsyslog file just after client.conf
  // (a bare Debian under load saw the check come first).
  const rsyslogConf = await until("the rsyslog forwarding file", () => d.dir.exists("/var/etc/rsyslog.ns-plug.conf"), 30_000).catch(() => false);
  observe(d, "rsyslog forwarding file written", rsyslogConf);
  observe(d, "LuCI login rpcd.controller stored with a crypt hash", /option password '\$6\$/.test(d.dir.read("/etc/config/rpcd")));
  if (lab) {
    const address = await until("tun-nsplug address", () => addressIn(lab!.unitNs, "tun-nsplug"), 30_000).catch((e) => {
      d.failures.push(`${(e as Error).message}\n${out}`);
      return undefined;
    });
    observe(d, "OpenVPN tunnel up: tun-nsplug", !!address, address ?? "no address");
    const seen = await until("server lists the client", () => lab!.connectedClients().includes(unitId), 20_000).then(() => true, () => false);
    observe(d, "the OpenVPN server sees the unit", seen);
    const st = await ubus(d, "ns.plug", "status", {}, ["ip", "netns", "exec", lab.unitNs]);
    observe(d, "LuCI shows connected", st.status === "connected", `address ${st.address}`);
  } else {
    observe(d, "connect exited 0 (on the router the wrapper now execs OpenVPN)", connectCode === 0);
  }
}

async function rpcdViews(d: Demo): Promise<void> {
  say("— LuCI pages: the web UI's calls go through the ns-api-server stand-in (it runs the rpcd plugins itself, stdout+stderr combined); `list` is answered by sh without starting Node");
  const list = await runFile(pluginFile("ns.subscription"), ["list"], { env: { PATH: "/nonexistent" } });
  observe(d, "ns.subscription list with no node in PATH", list.code === 0 && list.stdout.includes("info"), list.stdout.trim().slice(0, 80));
  const info = await ubus(d, "ns.subscription", "info");
  observe(d, "subscription active", info.active === true, `${info.plan}, expires ${new Date(Number(info.expiration)).toISOString()}`);
  const backups = await ubus(d, "ns.backup", "registered-list-backups");
  const listed = (backups.values as { backups?: unknown[] } | undefined)?.backups;
  observe(d, "LuCI lists the remote backups (values.backups)", Array.isArray(listed) && listed.length >= 1);
}

async function alerts(d: Demo): Promise<void> {
  say("— alert proxy (vmalert/Alertmanager webhook → legacy portal alert)");
  const proxy = await startProxy(d.dir);
  d.cleanups.push(() => proxy.stop("SIGKILL").then(() => {}));
  const before = d.portal.stored.alerts.length;
  const r = await postWebhook(proxy.url, webhook([
    ["WanDown", { interface: "wan" }, FIRING],
    ["DiskSpaceCritical", { path: "/" }, RESOLVED],
    ["SomethingUnmapped", {}, FIRING],
  ]));
  observe(d, "proxy answered the webhook at once", r.status === 200, `HTTP ${r.status}`);
  const got = await until("alerts at the portal", () => (d.portal.stored.alerts.length >= before + 2 ? d.portal.stored.alerts.slice(before) : undefined), 20_000)
    .catch(() => d.portal.stored.alerts.slice(before));
  observe(d, "portal received the legacy alerts", got.length === 2, got.map((a) => `${a.alert_id} ${a.status}`).join(", "));
  const exit = await proxy.stop("SIGTERM");
  observe(d, "SIGTERM: proxy drained and exited 0", exit.code === 0);
}

async function support(d: Demo): Promise<void> {
  let why: string | undefined;
  try {
    checkSupportLabPrerequisites();
  } catch (e) {
    why = (e as Error).message;
  }
  if (why) {
    say(`— remote support session SKIPPED: ${why}`);
    return;
  }
  say("— remote support session (support server in its own namespace: real OpenVPN on UDP 1194 and TCP 443; the unit's real sshd)");
  const systemId = /option system_id '([^']+)'/.exec(d.dir.read("/etc/config/ns-plug"))?.[1] ?? "";
  const lab = await startSupportLab({ systemId });
  d.cleanups.push(() => lab.close());
  d.dir.write("/etc/config/don", `\nconfig main 'config'\n\toption server '${lab.serverIp}'\n\toption ca '/etc/don/nethesis.pem'\n\toption ssh_key '/etc/don/nethesis.pub'\n\toption system_id ''\n`);
  d.dir.write("/etc/don/nethesis.pem", readFileSync(lab.pki.caPath, "utf8"));
  d.dir.write("/etc/don/nethesis.pub", readFileSync(lab.supportPub, "utf8"));
  symlinkSync(BUNDLE, d.dir.path("/usr/sbin/don"));
  d.dir.standin("ubus");
  const inUnit = ["ip", "netns", "exec", lab.unitNs];
  d.cleanups.push(() => runFile(d.dir.path("/usr/sbin/don"), ["stop"], { dir: d.dir, env: d.env, prefix: inUnit }).then(() => {}));
  say("the admin presses Start session (system_id: the subscription's)");
  const s = await ubus(d, "ns.don", "start", {}, inUnit);
  const address = addressOf(lab.unitNs, "tunDON");
  observe(d, "tunnel tunDON up (UDP 1194), credentials accepted by the support server", !!address && lab.verified().some((l) => l.endsWith(` ${String(s.session_id)}`)), address ?? "no address");
  observe(d, "web login nethsupport added (crypt hash), cron line don expire", /config login 'ns_don'/.test(d.dir.read("/etc/config/rpcd")) && (d.dir.readIfExists("/etc/crontabs/root") ?? "").includes("/usr/sbin/don expire"));
  if (address) {
    const r = await lab.ssh(address, "echo support is in: $(id -un)@$(uname -n)");
    observe(d, `support: ssh -p 981 root@${address} (support key)`, r.code === 0, r.stdout.trim() || r.stderr.trim());
    const other = await lab.ssh(address, "true", { key: lab.otherKey });
    observe(d, "another key is refused", other.code === 255, other.stderr.trim().split("\n").pop());
  }
  await ubus(d, "ns.don", "status", {}, inUnit);
  const e = await ubus(d, "ns.don", "extend", {}, inUnit);
  observe(d, "extended once by 7 days", e.status === "extended" && Number(e.expiry_time) - Number(s.expiry_time) === 7 * 86400);
  await ubus(d, "ns.don", "stop", {}, inUnit);
  const left = processesWith(d.dir.path("/var/run/don"));
  observe(d, "stopped: no OpenVPN, no sshd, no state, no login, no cron line",
    left.length === 0 && !d.dir.exists("/var/run/don") && !d.dir.read("/etc/config/rpcd").includes("ns_don") && !(d.dir.readIfExists("/etc/crontabs/root") ?? "").includes("don expire"));
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
    await controller(d);
    await subscription(d);
    // backup_url is not written by register: point it at the loopback backupd like an admin would with uci.
    dir.write("/etc/config/ns-plug", dir.read("/etc/config/ns-plug").replace("https://backupd.invalid", backupd.url));
    await backup(d);
    await rpcdViews(d);
    await alerts(d);
    await support(d);
    say("— unregister");
    await step(d, "unregister", ["unregister"]);
    observe(d, "portal freed the key", portal.stored.freed.length === 1);
    observe(d, "subscription keys cleared", !dir.read("/etc/config/ns-plug").includes("system_id"));
    await ubus(d, "ns.plug", "unregister");
    observe(d, "controller connection removed (client.conf, rsyslog forwarding)", !dir.exists("/usr/share/ns-plug/client.conf") && !dir.exists("/var/etc/rsyslog.ns-plug.conf"));
  } catch (e) {
    d.failures.push(`demo aborted: ${(e as Error).message}`);
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
