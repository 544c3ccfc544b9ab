/**
 * Every write path replaces its file atomically (issue 19): under strace, the
 * built bundle never opens the target for writing and never truncates it; it
 * renames a finished temp file onto it. Covers the UCI commit (commitPackage,
 * through ns.plug register and connect), client.conf, the rsyslog file, the
 * crontab, the inventory status file and the backup passphrase.
 *
 * Re-made by hand (docs/reliability.md): commitPackage writing the file in
 * place fails "UCI commit" here; so does writeFileAtomic without its temp file.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BUNDLE } from "../helpers/bundle";
import { call, runFile } from "../helpers/rpcd";
import { testdir, type TestDir } from "../helpers/testdir";
import { startController } from "../servers/controller";
import { startPortal, DEMO_SYSTEMS } from "../servers/portal";
import { registeredConfig, routerRoot } from "../e2e/subscription-fixture";
import { opsOn, readTrace, straceArgs } from "./lib/strace";

const work = mkdtempSync(join(tmpdir(), "nsplug-strace-"));
test.after(() => rmSync(work, { recursive: true, force: true }));
let n = 0;
const traceFile = () => join(work, `trace-${++n}.txt`);

/** Each router path: replaced by rename only, and holds `check`'s content afterwards. */
function assertAtomic(dir: TestDir, trace: string, paths: string[]): void {
  for (const p of paths) {
    const ops = opsOn(trace, dir.path(p));
    assert.equal(ops.writeOpens, [], `${p} opened for writing in place`);
    assert.equal(ops.truncates, [], `${p} truncated in place`);
    assert.ok(ops.renamesOnto.length >= 1, `${p}: no rename onto it (was it written at all?)`);
    assert.ok(dir.exists(p), `${p} missing`);
  }
}

test("the trace parser sees an in-place write, a truncate and a rename (self-check)", async () => {
  const dir = testdir({ "/etc/config/x": "old\n" });
  try {
    const out = traceFile();
    const target = dir.path("/etc/config/x");
    const js = `const fs=require("fs");fs.writeFileSync(${JSON.stringify(target)},"in place\\n");` +
      `fs.truncateSync(${JSON.stringify(target)},0);fs.writeFileSync(${JSON.stringify(target + ".t")},"x");` +
      `fs.renameSync(${JSON.stringify(target + ".t")},${JSON.stringify(target)});`;
    const r = await runFile(process.execPath, ["-e", js], { prefix: straceArgs(out) });
    assert.is(r.code, 0, r.stderr);
    const ops = opsOn(readTrace(out), target);
    assert.is(ops.writeOpens.length, 2, "writeFileSync's O_TRUNC open and truncateSync's O_RDWR open");
    assert.is(ops.truncates.length, 1);
    assert.is(ops.renamesOnto.length, 1);
  } finally {
    dir.cleanup();
  }
});

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString("base64");
const JOIN = { fqdn: "ctl.example.org", token: "9f86d081884c7d65", unit_id: "7e3c9a2b-1f0d-4b6e-9a51-3c2d1e0f9a8b" };
const FIREWALL = "\nconfig defaults\n\toption input 'ACCEPT'\n\nconfig zone\n\toption name 'lan'\n\tlist network 'lan'\n";

test("UCI commit (commitPackage via ns.plug register): /etc/config/ns-plug and firewall replaced by rename only", async () => {
  const dir = testdir({
    "/proc/sys/kernel/hostname": "fw.test.local\n",
    "/etc/config/firewall": FIREWALL,
    "/etc/config/ns-plug": "\nconfig main 'config'\n\toption type 'enterprise'\n",
  });
  dir.standin("/etc/init.d/firewall");
  try {
    const out = traceFile();
    const { answer } = await call(dir, "ns.plug", "register", { join_code: b64(JOIN), tls_verify: true, unit_name: "u" }, {}, straceArgs(out));
    assert.equal(answer, { result: "success" });
    assert.match(dir.read("/etc/config/ns-plug"), `\toption unit_id '${JOIN.unit_id}'\n`);
    assert.match(dir.read("/etc/config/firewall"), "\tlist device 'tun-nsplug'\n");
    assertAtomic(dir, readTrace(out), ["/etc/config/ns-plug", "/etc/config/firewall"]);
  } finally {
    dir.cleanup();
  }
});

test("connect: client.conf, the rsyslog file, UCI rpcd/rsyslog/ns-plug and the crontab replaced by rename only", async () => {
  const ctl = await startController({ apiPort: 8080, vpnAddress: "172.21.0.1", vpnHost: "vpn.example.org", vpnPort: "1194" });
  const dir = testdir({
    "/etc/config/ns-plug": `\nconfig main 'config'\n\toption server '${ctl.url}'\n\toption unit_id 'unit-at'\n\toption token '${ctl.token}'\n\toption tls_verify '0'\n\toption type 'enterprise'\n\toption system_id 'S'\n`,
    "/etc/config/rsyslog": "\nconfig syslog 'syslog'\n\toption ext_port '514'\n",
    "/etc/crontabs/root": "02 2 * * * sleep 1; /usr/sbin/send-backup\n",
    // Old copies: an in-place write would have to open these.
    "/usr/share/ns-plug/client.conf": "old\n",
    "/var/etc/rsyslog.ns-plug.conf": "old\n",
    "/etc/os-release": 'NAME="NethSecurity"\nVERSION_ID="8"\n',
    "/proc/sys/kernel/hostname": "fw-test.example\n",
    "/var/run/ns-plug.booted": "",
  });
  try {
    await ctl.approve("unit-at");
    const out = traceFile();
    const r = await runFile(process.execPath, [BUNDLE, "connect"], { dir, prefix: straceArgs(out), timeoutMs: 120_000 });
    assert.is(r.code, 0, r.stderr);
    assert.match(dir.read("/usr/share/ns-plug/client.conf"), /\nremote-cert-tls server\n/);
    assert.match(dir.read("/var/etc/rsyslog.ns-plug.conf"), /target="/);
    assertAtomic(dir, readTrace(out), [
      "/usr/share/ns-plug/client.conf",
      "/var/etc/rsyslog.ns-plug.conf",
      "/etc/config/rpcd",
      "/etc/config/rsyslog",
      "/etc/config/ns-plug",
      "/etc/crontabs/root",
    ]);
  } finally {
    dir.cleanup();
    await ctl.close();
  }
});

test("status file: send-inventory replaces /tmp/inventory-sent.json by rename only", async () => {
  const portal = await startPortal();
  const dir = routerRoot();
  dir.write("/etc/config/ns-plug", registeredConfig(portal, DEMO_SYSTEMS[1]!));
  dir.write("/tmp/inventory-sent.json", '{"old":true}\n');
  try {
    const out = traceFile();
    const r = await runFile(process.execPath, [BUNDLE, "send-inventory"], { dir, env: portal.env, prefix: straceArgs(out), timeoutMs: 120_000 });
    assert.is(r.code, 0, r.stderr);
    assert.not.match(dir.read("/tmp/inventory-sent.json"), /old/);
    assertAtomic(dir, readTrace(out), ["/tmp/inventory-sent.json"]);
  } finally {
    await portal.close();
    dir.cleanup();
  }
});

test("passphrase: ns.backup set-passphrase replaces /etc/backup.pass by rename only, 0600", async () => {
  const dir = testdir({ "/etc/backup.pass": { content: "old passphrase", mode: 0o600 } });
  try {
    const out = traceFile();
    const { answer } = await call(dir, "ns.backup", "set-passphrase", { passphrase: "new passphrase" }, {}, straceArgs(out));
    assert.equal(answer, { message: "success" });
    assert.is(dir.read("/etc/backup.pass"), "new passphrase");
    assert.is(dir.mode("/etc/backup.pass"), 0o600);
    assertAtomic(dir, readTrace(out), ["/etc/backup.pass"]);
  } finally {
    dir.cleanup();
  }
});

test.run();
