/**
 * `ns-plug connect` as installed: the built bundle as a subprocess on a temp
 * root, against the loopback controller (real easy-rsa certificates).
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { execFileSync, spawnSync } from "node:child_process";
import { runBundle, startBundle } from "../helpers/bundle";
import { testdir, type TestDir } from "../helpers/testdir";
import { watchDescendants } from "../helpers/proc-watch";
import { startController, type Controller } from "../servers/controller";
import { startServer } from "../helpers/servers";
import { rmSync } from "node:fs";
import { cronLine } from "../../src/schedule/jobs";

/** The test unit's NIC: its MAC is the key of its cron offsets (src/schedule/unitKey.ts). */
const KEY = "mac:52:54:00:ab:cd:01";
const REPORTS = cronLine(KEY, "reports");

let ctl: Controller;
test.before(async () => {
  ctl = await startController({ apiPort: 8080, vpnAddress: "172.21.0.1", vpnHost: "vpn.example.org", vpnPort: "1194" });
});
test.after(() => ctl.close());

function config(o: Record<string, string | undefined>): string {
  let s = "\nconfig main 'config'\n";
  for (const [k, v] of Object.entries(o)) if (v !== undefined) s += `\toption ${k} '${v}'\n`;
  return s;
}

function unit(o: Record<string, string | undefined>, marker = true): TestDir {
  return testdir({
    "/etc/config/ns-plug": config(o),
    "/etc/os-release": 'NAME="NethSecurity"\nVERSION_ID="8-23.05.5-ns.1.6.0"\nPRETTY_NAME="NethSecurity 8-23.05.5-ns.1.6.0"\n',
    "/proc/sys/kernel/hostname": "fw-test.example\n",
    "/sys/class/net/eth0/address": "52:54:00:ab:cd:01\n",
    "/sys/class/net/eth0/device/uevent": "DRIVER=virtio_net\n",
    ...(marker ? { "/var/run/ns-plug.booted": "" } : {}),
  });
}

test("--help: exit 0, documents the exit codes", async () => {
  const r = await runBundle(["connect", "--help"]);
  assert.is(r.code, 0);
  assert.match(r.stdout, /4 duplicate unit/);
});

test("missing server / unit_id / token → exit 1 / 2 / 3, one line on stderr, nothing contacted", async () => {
  const cases: Array<[Record<string, string>, number, RegExp]> = [
    [{ unit_id: "u", token: "t0k3n" }, 1, /server is not set/],
    [{ server: ctl.url, token: "t0k3n" }, 2, /unit_id is not set/],
    [{ server: ctl.url, unit_id: "u" }, 3, /token is not set/],
    [{ server: "ftp://x", unit_id: "u", token: "t0k3n" }, 1, /not an http\(s\) URL/],
  ];
  for (const [opts, code, msg] of cases) {
    const dir = unit(opts);
    const before = ctl.requests.length;
    const r = await runBundle(["connect"], { dir });
    assert.is(r.code, code, r.stderr);
    assert.match(r.stderr, msg);
    assert.is(r.stderr.trim().split("\n").length, 1, r.stderr);
    assert.is(ctl.requests.length, before);
    assert.not.ok(dir.exists("/etc/config/rpcd"));
    dir.cleanup();
  }
});

function hashOf(rpcd: string): string {
  return /option password '([^']+)'/.exec(rpcd)?.[1] ?? "";
}

function opensslVerifies(password: string, hash: string): boolean {
  const [, alg, salt] = hash.split("$");
  const out = execFileSync("openssl", ["passwd", `-${alg}`, "-salt", salt!, "-stdin"], { input: password + "\n" }).toString().trim();
  return out === hash;
}

test("approved unit: request body, rpcd login + hash of the sent password, client.conf, rsyslog, cron — and again on restart", async () => {
  const dir = unit({ server: ctl.url, unit_id: "unit-ok", token: ctl.token, tls_verify: "0", type: "enterprise", system_id: "SYS-1", tun_mtu: "1400", mssfix: "1360" });
  dir.write("/etc/config/rsyslog", "\nconfig syslog 'syslog'\n\toption ext_port '514'\n\tlist includes '/etc/rsyslog.d/other.conf'\n");
  dir.write("/etc/crontabs/root", "02 2 * * * sleep 1; /usr/sbin/send-backup\n");
  await ctl.approve("unit-ok");
  const child = startBundle(["connect"], { dir });
  const watch = watchDescendants(child.pid!, [ctl.token]);
  let stderr = "";
  child.stderr!.on("data", (b) => (stderr += b));
  const code = await new Promise<number | null>((r) => child.on("close", r));
  const report = watch.stop();
  assert.is(code, 0, stderr);
  assert.equal(report.hits, [], "a secret in a child's argv or environment");
  assert.not.ok(stderr.includes(ctl.token), "token in the log");

  const req = ctl.registerRequests().filter((r) => r.json && (r.json() as { unit_id: string }).unit_id === "unit-ok");
  assert.is(req.length, 1);
  assert.is(req[0]!.headers.registrationtoken, ctl.token);
  const body = req[0]!.json() as Record<string, string>;
  assert.equal(Object.keys(body).sort(), ["password", "subscription_type", "system_id", "unit_id", "unit_name", "username", "version"]);
  assert.equal(
    { ...body, username: "-", password: "-" },
    { unit_id: "unit-ok", username: "-", password: "-", unit_name: "fw-test.example", version: "8-23.05.5-ns.1.6.0", subscription_type: "enterprise", system_id: "SYS-1" },
  );
  assert.match(body.username!, /^[0-9a-f]{24}$/);
  assert.ok(!stderr.includes(body.password!), "password in the log");

  const rpcd = dir.read("/etc/config/rpcd");
  assert.ok(rpcd.startsWith(`\nconfig login 'controller'\n\toption username '${body.username}'\n\tlist read '*'\n\tlist write '*'\n`), rpcd);
  assert.match(hashOf(rpcd), /^\$6\$/);
  assert.ok(opensslVerifies(body.password!, hashOf(rpcd)), "hash verifies the sent password");
  assert.is(dir.mode("/etc/config/rpcd"), 0o600);

  const conf = dir.read("/usr/share/ns-plug/client.conf");
  assert.is(dir.mode("/usr/share/ns-plug/client.conf"), 0o600);
  assert.match(conf, /^client\nserver-poll-timeout 5\n/);
  assert.match(conf, /\nremote vpn\.example\.org 1194 udp\n/);
  assert.match(conf, /\nremote-cert-tls server\n/);
  assert.match(conf, /<cert>\n-----BEGIN CERTIFICATE-----\n/); // easy-rsa's text dump dropped
  assert.not.match(conf, /Certificate:|Data:/);
  assert.ok(conf.endsWith("verb 3\ntun-mtu 1400\nmssfix 1360\n"));

  const fwd = dir.read("/var/etc/rsyslog.ns-plug.conf");
  assert.match(fwd, /target="127\.0\.0\.1"\n\s+port="5151"/);
  const v = spawnSync("rsyslogd", ["-N1", "-f", dir.path("/var/etc/rsyslog.ns-plug.conf")], { encoding: "utf8" });
  assert.is(v.status, 0, v.stderr || String(v.error));
  assert.is(
    dir.read("/etc/config/rsyslog"),
    "\nconfig syslog 'syslog'\n\toption ext_port '514'\n\tlist includes '/etc/rsyslog.d/other.conf'\n\tlist includes '/var/etc/rsyslog.ns-plug.conf'\n\n",
  );
  assert.ok(dir.exists("/var/spool/rsyslog"));
  assert.is(
    dir.read("/etc/crontabs/root"),
    `02 2 * * * sleep 1; /usr/sbin/send-backup\n${REPORTS}\n`,
  );
  assert.equal(dir.calls(), ["/etc/init.d/rsyslog restart", "/etc/init.d/cron restart"]);
  const nsplug = dir.read("/etc/config/ns-plug");
  assert.match(nsplug, /option vpn_address '172\.21\.0\.1'\n\toption api_port '8080'\n/);

  assert.match(REPORTS, /^(\d+,){3}\d+ \* \* \* \* sleep \d+; \/usr\/bin\/ns-push-reports$/);

  // Restart (`/etc/init.d/ns-plug restart`, whose stop forgets the backoff count): same login,
  // new password and hash; nothing duplicated.
  rmSync(dir.path("/var/run/ns-plug.backoff"));
  const again = await runBundle(["connect"], { dir });
  assert.is(again.code, 0, again.stderr);
  const body2 = ctl.registerRequests().filter((r) => (r.json() as { unit_id: string }).unit_id === "unit-ok")[1]!.json() as Record<string, string>;
  assert.is(body2.username, body.username);
  assert.is.not(body2.password, body.password);
  const rpcd2 = dir.read("/etc/config/rpcd");
  assert.ok(opensslVerifies(body2.password!, hashOf(rpcd2)));
  assert.is(rpcd2.match(/config login/g)!.length, 1);
  assert.is(dir.read("/etc/config/rsyslog").match(/rsyslog\.ns-plug\.conf/g)!.length, 1);
  assert.is(dir.read("/etc/crontabs/root").match(/ns-push-reports/g)!.length, 1);
  assert.equal(dir.calls(), ["/etc/init.d/rsyslog restart", "/etc/init.d/cron restart", "/etc/init.d/rsyslog restart"]);
  dir.cleanup();
});

test("no subscription type: no cron line; no vpn_address in the answer: none saved", async () => {
  const c = await startController({ tls: false, autoApprove: true, pki: ctl.pki });
  const dir = unit({ server: c.url, unit_id: "unit-plain", token: c.token, unit_name: "named unit" });
  try {
    const r = await runBundle(["connect"], { dir });
    assert.is(r.code, 0, r.stderr);
    assert.is((c.registerRequests()[0]!.json() as { unit_name: string }).unit_name, "named unit");
    assert.is(dir.readIfExists("/etc/crontabs/root") ?? "", "");
    assert.equal(dir.calls(), ["/etc/init.d/rsyslog restart"]);
    assert.not.match(dir.read("/etc/config/ns-plug"), /vpn_address/);
    assert.ok(dir.read("/usr/share/ns-plug/client.conf").endsWith("verb 3\nmtu-test\n"));
  } finally {
    await c.close();
    dir.cleanup();
  }
});

test("TLS: tls_verify=1 trusts a controller whose CA is known (NODE_EXTRA_CA_CERTS) and refuses an unknown self-signed one", async () => {
  await ctl.approve("unit-tls");
  const dir = unit({ server: ctl.url, unit_id: "unit-tls", token: ctl.token, tls_verify: "1" });
  const ok = await runBundle(["connect"], { dir, env: { NODE_EXTRA_CA_CERTS: ctl.certPath } });
  assert.is(ok.code, 0, ok.stderr);
  assert.ok(dir.exists("/usr/share/ns-plug/client.conf"));
  dir.cleanup();
  // Without the CA: the self-signed controller is refused on every attempt → exit 5, nothing written.
  // (5 attempts with ~2 s waits: this one takes ~8 s.)
  const dir2 = unit({ server: ctl.url, unit_id: "unit-tls", token: ctl.token });
  const before = ctl.registerRequests().length;
  const bad = await runBundle(["connect"], { dir: dir2, timeoutMs: 60_000 });
  assert.is(bad.code, 5, bad.stderr);
  assert.match(bad.stderr, /certificate/i);
  assert.is(ctl.registerRequests().length, before, "no request got through the TLS handshake");
  assert.not.ok(dir2.exists("/usr/share/ns-plug/client.conf"));
  dir2.cleanup();
});

test("409 duplicate → exit 4 and rpcd.controller removed", async () => {
  const c = await startController({ tls: false, registered: { "unit-dup": "another-firewall" }, pki: ctl.pki });
  const dir = unit({ server: c.url, unit_id: "unit-dup", token: c.token });
  try {
    const r = await runBundle(["connect"], { dir });
    assert.is(r.code, 4, r.stderr);
    assert.match(r.stderr, /duplicate/);
    assert.not.match(dir.readIfExists("/etc/config/rpcd") ?? "", /controller/);
    assert.not.ok(dir.exists("/usr/share/ns-plug/client.conf"));
  } finally {
    await c.close();
    dir.cleanup();
  }
});

test("pending → approved: polls every ~10 s until the controller approves (one real poll, ~5–15 s)", async () => {
  const dir = unit({ server: ctl.url, unit_id: "unit-wait", token: ctl.token, tls_verify: "0" });
  const count = () => ctl.registerRequests().filter((r) => (r.json() as { unit_id: string }).unit_id === "unit-wait").length;
  const child = startBundle(["connect"], { dir });
  let stderr = "";
  child.stderr!.on("data", (b) => (stderr += b));
  const exited = new Promise<number | null>((r) => child.on("close", r));
  try {
    await ctl.waitFor(() => count() >= 1, 20_000);
    assert.not.ok(dir.exists("/usr/share/ns-plug/client.conf"));
    await ctl.approve("unit-wait");
    const code = await exited;
    assert.is(code, 0, stderr);
    assert.is(count(), 2, "one 403, then the approved 200");
    assert.is(stderr.match(/has not approved this unit yet: unit added to waiting list/g)?.length, 1, stderr);
    assert.ok(dir.exists("/usr/share/ns-plug/client.conf"));
  } finally {
    child.kill("SIGKILL");
    dir.cleanup();
  }
});

test("unreachable controller → exit 5 after 5 attempts; first start after boot waits first and leaves the marker", async () => {
  // A port that was just free: connections are refused.
  const gone = await startServer(() => {});
  const port = gone.port;
  await gone.close();
  const dir = unit({ server: `http://127.0.0.1:${port}`, unit_id: "unit-down", token: "t0k3n-down" }, false);
  const r = await runBundle(["connect"], { dir, timeoutMs: 60_000 });
  assert.is(r.code, 5, r.stderr);
  assert.match(r.stderr, /first start since boot: waiting \d+\.\d s/);
  assert.is(r.stderr.match(/registration attempt \d\/5 failed: .*connection refused/g)?.length, 5, r.stderr);
  assert.match(r.stderr, new RegExp(`ns-plug: connect: controller http://127\\.0\\.0\\.1:${port}/: giving up after 5 failed attempts`));
  assert.ok(dir.exists("/var/run/ns-plug.booted"));
  assert.not.ok(dir.exists("/usr/share/ns-plug/client.conf"));
  // rpcd.controller was created (step 2) but holds no password: nothing was registered.
  assert.not.match(dir.read("/etc/config/rpcd"), /password/);
  dir.cleanup();
});

test.run();
