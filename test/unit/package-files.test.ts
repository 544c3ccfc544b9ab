/**
 * The small files packaging ships itself: the default UCI config (libuci's
 * own format, SPEC §2 options only), the keep.d list, and the send-inventory
 * procd script, run by sh against recording procd_* functions the way
 * /etc/rc.common would call it.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { REPO } from "../helpers/bundle";
import { parseUci, serializeUci } from "../../src/platform/uci/codec";
import { parseNsPlugConfig } from "../../src/config";

const SPEC_OPTIONS = [
  "server", "unit_id", "token", "unit_name", "description", "tls_verify", "tun_mtu", "mssfix",
  "vpn_address", "api_port", "type", "system_id", "secret", "api_url", "alerts_url", "inventory_url",
  "backup_url", "repository_url", "channel", "alert_proxy_loglevel",
];

test("files/etc/config/ns-plug: one `config main 'config'` section written as `uci commit` writes it", () => {
  const text = readFileSync(join(REPO, "files/etc/config/ns-plug"), "utf8");
  const lines = text.split("\n");
  assert.is(lines[0], "", "libuci starts every section with an empty line");
  assert.is(lines[1], "config main 'config'");
  assert.equal(lines.slice(-2), ["", ""], "ends with an empty line, as libuci writes a section");
  const options = new Map<string, string>();
  for (const l of lines.slice(2, -2)) {
    const m = /^\toption ([a-z_]+) '([^']*)'$/.exec(l);
    assert.ok(m, `not libuci's option line: ${JSON.stringify(l)}`);
    options.set(m![1]!, m![2]!);
  }
  for (const k of options.keys()) assert.ok(SPEC_OPTIONS.includes(k), `${k} is not a SPEC §2 option`);
  assert.is(options.get("tls_verify"), "1");
  assert.is(options.get("backup_url"), "https://backupd.nethesis.it");
  assert.is(options.get("alert_proxy_loglevel"), "warning");
  // Secrets land here after registration; nothing secret or unit-specific ships.
  for (const k of ["server", "unit_id", "token", "secret", "system_id"]) assert.not.ok(options.has(k), k);
});

test("the default config is what `uci commit` writes back unchanged, and parses to the documented defaults", () => {
  const text = readFileSync(join(REPO, "files/etc/config/ns-plug"), "utf8");
  const sections = parseUci(text);
  assert.is(serializeUci(sections), text);
  assert.is(sections.length, 1);
  const config = parseNsPlugConfig(Object.fromEntries(sections[0]!.options));
  assert.is(config.tlsVerify, true);
  assert.is(config.backupUrl, "https://backupd.nethesis.it");
  assert.is(config.alertProxyLoglevel, "warning");
  assert.is(config.server, undefined);
  assert.is(config.type, undefined);
});

test("files/lib/upgrade/keep.d/ns-plug lists /etc/backup.pass (sysupgrade keeps the passphrase)", () => {
  assert.is(readFileSync(join(REPO, "files/lib/upgrade/keep.d/ns-plug"), "utf8"), "/etc/backup.pass\n");
});

test("init.d/send-inventory: START=99, procd, one instance running /usr/sbin/send-inventory once (no respawn), output to the log", () => {
  const script = join(REPO, "init.d/send-inventory");
  assert.ok(statSync(script).mode & 0o100, "executable");
  assert.is(readFileSync(script, "utf8").split("\n")[0], "#!/bin/sh /etc/rc.common");
  // What /etc/rc.common does: source the script, then call start_service.
  const driver = `
procd_open_instance() { echo "open $*"; }
procd_set_param() { echo "param $*"; }
procd_close_instance() { echo "close"; }
. "$1"
echo "START=$START USE_PROCD=$USE_PROCD"
start_service
`;
  const r = spawnSync("sh", ["-c", driver, "sh", script], { encoding: "utf8" });
  assert.is(r.status, 0, r.stderr);
  const out = r.stdout.trim().split("\n");
  assert.is(out[0], "START=99 USE_PROCD=1");
  assert.is(out[1], "open ");
  assert.is(out.at(-1), "close");
  const params = out.slice(2, -1);
  assert.ok(params.includes("param command /usr/sbin/send-inventory"), params.join("; "));
  assert.ok(params.includes("param stdout 1") && params.includes("param stderr 1"), params.join("; "));
  assert.not.ok(params.some((p) => p.startsWith("param respawn")), "a one shot must not respawn");
});

test("control/postinst and control/prerm hold no backslash (OpenWrt's build writes them out with echo)", () => {
  for (const s of ["postinst", "prerm"]) {
    const text = readFileSync(join(REPO, "control", s), "utf8");
    assert.not.ok(text.includes("\\"), `${s} has a backslash`);
    assert.ok(statSync(join(REPO, "control", s)).mode & 0o100, `${s} executable`);
  }
});

test("control/postinst applies every shipped uci-defaults script once and reloads vmalert (new rules)", () => {
  const text = readFileSync(join(REPO, "control/postinst"), "utf8");
  const loop = /^for f in (.+); do$/m.exec(text);
  assert.ok(loop, "the uci-defaults loop");
  const shipped = readdirSync(join(REPO, "uci-defaults")).filter((f) => !f.startsWith(".")).sort();
  assert.equal(loop![1]!.split(" ").sort(), shipped);
  assert.match(text, /^\[ -x \/etc\/init\.d\/vmalert \] && \/etc\/init\.d\/vmalert reload$/m);
});

test("the companion scripts (hooks, mwan-hooks, migrations) are executable POSIX sh", () => {
  const files = [
    "hooks/register/50distfeed-setup", "hooks/register/60enable_automatic_updates",
    "hooks/unregister/50distfeed-setup", "hooks/unregister/60disable_automatic_updates",
    "files/usr/libexec/ns-plug/mwan-hooks",
    ...readdirSync(join(REPO, "uci-defaults")).map((f) => `uci-defaults/${f}`),
  ];
  for (const f of files) {
    assert.ok(statSync(join(REPO, f)).mode & 0o100, `${f} executable`);
    assert.is(readFileSync(join(REPO, f), "utf8").split("\n")[0], "#!/bin/sh", f);
  }
});

test.run();
