/** Remote support (SPEC §9): the pure parts — configs rendered, answers parsed, the uci-default. */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { REPO } from "../helpers/bundle";
import { testdir } from "../helpers/testdir";
import { parseDonConfig } from "../../src/support/config";
import { authorizedKeys, isUsableCn, renderOpenvpnConf, renderSshdConf, tunnelAddress } from "../../src/support/render";
import { expiresIn, parseCredentials, parseSessionFile } from "../../src/support/state";
import { sessionsOf } from "../../src/support/ubus";
import { shortPath } from "../../src/support/session";
import { parseUci } from "../../src/platform/uci/codec";

const OVPN = {
  server: "sos.example.org",
  ca: "/etc/don/nethesis.pem",
  credentials: "/var/run/don/credentials",
  management: "/var/run/don/management",
  pidFile: "/var/run/don/openvpn.pid",
  cn: "Nethesis Support CA",
  downCommand: "/usr/sbin/don",
  scriptEnv: { PATH: "/usr/sbin:/usr/bin:/sbin:/bin" },
};

test("openvpn config: SPEC §9's options, UDP 1194 before TCP 443, credentials from a file", () => {
  const c = renderOpenvpnConf(OVPN);
  const lines = c.split("\n");
  for (const l of ["client", "dev tunDON", "tls-client", "auth-nocache", "inactive 604800", "script-security 2",
    "ca /etc/don/nethesis.pem", 'verify-x509-name "Nethesis Support CA" name', "auth-user-pass /var/run/don/credentials",
    "management /var/run/don/management unix", 'down "/usr/sbin/don stop"', "setenv PATH /usr/sbin:/usr/bin:/sbin:/bin"]) {
    assert.ok(lines.includes(l), l);
  }
  assert.ok(lines.indexOf("remote sos.example.org 1194 udp") < lines.indexOf("remote sos.example.org 443 tcp"));
  assert.not.ok(/[0-9a-f]{8}-[0-9a-f]{4}-/.test(c), "no session id in the config");
});

test("no value can add a line or an option: CN with quotes, paths with spaces, hostile env are refused", () => {
  assert.not.ok(isUsableCn('x" \nup /bin/sh'));
  assert.not.ok(isUsableCn("back\\slash"));
  assert.not.ok(isUsableCn(" padded"));
  assert.ok(isUsableCn("sos.nethesis.it"));
  assert.throws(() => renderOpenvpnConf({ ...OVPN, cn: 'a"b' }));
  assert.throws(() => renderOpenvpnConf({ ...OVPN, ca: "/tmp/a b" }));
  assert.throws(() => renderOpenvpnConf({ ...OVPN, server: "x\nup /bin/sh" }));
  assert.throws(() => renderOpenvpnConf({ ...OVPN, scriptEnv: { PATH: "/bin\nup /bin/sh" } }));
  assert.throws(() => renderOpenvpnConf({ ...OVPN, ca: `/${"a".repeat(300)}` }), /over 255/);
});

test("PATH for OpenVPN's setenv: kept when short, cut to its first entries when long (OpenVPN's 256-character lines)", () => {
  assert.is(shortPath("/usr/sbin:/usr/bin:/sbin:/bin"), "/usr/sbin:/usr/bin:/sbin:/bin");
  const long = [`/tmp/${"x".repeat(120)}/bin`, "/usr/sbin", `/opt/${"y".repeat(120)}`, "/usr/bin", "/usr/sbin"].join(":");
  const p = shortPath(long);
  assert.ok(p.length <= 200, p);
  assert.ok(p.startsWith(`/tmp/${"x".repeat(120)}/bin:/usr/sbin`), p);
  assert.is(shortPath("relative:also bad"), "/usr/sbin:/usr/bin:/sbin:/bin");
  assert.is(shortPath(undefined), "/usr/sbin:/usr/bin:/sbin:/bin");
});

test("sshd config: bound to the tunnel address on 981, keys only, root only", () => {
  const c = renderSshdConf({ address: "172.29.0.2", port: 981, hostKeys: ["/var/run/don/k"], authorizedKeys: "/var/run/don/authorized_keys", pidFile: "/var/run/don/sshd.pid" });
  const lines = c.split("\n");
  for (const l of ["ListenAddress 172.29.0.2:981", "AuthorizedKeysFile /var/run/don/authorized_keys", "PasswordAuthentication no",
    "KbdInteractiveAuthentication no", "AllowUsers root", "PermitRootLogin prohibit-password", "AuthenticationMethods publickey"]) {
    assert.ok(lines.includes(l), l);
  }
  assert.throws(() => renderSshdConf({ address: "0.0.0.0\nPasswordAuthentication yes", port: 981, hostKeys: [], authorizedKeys: "/a", pidFile: "/b" }));
});

test("management `state`: the CONNECTED line's address, nothing before", () => {
  const hello = ">INFO:OpenVPN Management Interface Version 5 -- type 'help' for more info\r\n";
  assert.is(tunnelAddress(`${hello}1764540000,CONNECTED,SUCCESS,172.29.0.2,10.214.1.1,1194,,,\r\nEND\r\n`), "172.29.0.2");
  assert.is(tunnelAddress(`${hello}1764540000,WAIT,,,,,,\r\nEND\r\n`), undefined);
  assert.is(tunnelAddress(`${hello}1764540000,CONNECTED,ERROR,172.29.0.2,,,\r\nEND\r\n`), undefined);
  assert.is(tunnelAddress("1,CONNECTED,SUCCESS,1.2.3.4;reboot,,\r\n"), undefined);
});

test("the support key file: key lines only (no options, comments, garbage)", () => {
  const k = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGq support@nethesis";
  assert.is(authorizedKeys(`# comment\n${k}\ncommand="/bin/sh" ${k}\n\n`), `${k}\n`);
  assert.is(authorizedKeys("not a key\n"), undefined);
  assert.is(authorizedKeys(""), undefined);
});

test("ubus session list: back-to-back objects, only nethsupport's ids", () => {
  const out = `{\n\t"ubus_rpc_session": "${"a".repeat(32)}",\n\t"data": { "username": "nethsupport", "note": "} {" }\n}\n{\n\t"ubus_rpc_session": "${"b".repeat(32)}",\n\t"data": { "username": "root" }\n}\n{ "ubus_rpc_session": "bad", "data": { "username": "nethsupport" } }\n`;
  assert.equal(sessionsOf(out, "nethsupport"), ["a".repeat(32)]);
  assert.equal(sessionsOf("", "nethsupport"), []);
});

test("config: defaults, ns-plug's system_id as fallback, bad values refused", () => {
  const d = parseDonConfig({}, "sys-1");
  assert.equal(d, { server: "sos.nethesis.it", ca: "/etc/don/nethesis.pem", sshKey: "/etc/don/nethesis.pub", systemId: "sys-1", connectTimeout: 60 });
  assert.is(parseDonConfig({ system_id: "own" }, "sys-1").systemId, "own");
  assert.is(parseDonConfig({ system_id: "" }, undefined).systemId, undefined);
  assert.is(parseDonConfig({ connect_timeout: "15" }, undefined).connectTimeout, 15);
  assert.throws(() => parseDonConfig({ server: "a b" }, undefined), /server/);
  assert.throws(() => parseDonConfig({ ca: "/etc/don/x y.pem" }, undefined), /ca/);
  assert.throws(() => parseDonConfig({ ca: "relative.pem" }, undefined), /ca/);
});

test("state files: credentials and session file parse strictly; expiry shown as time left", () => {
  assert.equal(parseCredentials("sys\n0b8f4a2e-1c3d-4e5f-8a9b-0c1d2e3f4a5b\n"), { serverId: "sys", sessionId: "0b8f4a2e-1c3d-4e5f-8a9b-0c1d2e3f4a5b" });
  assert.is(parseCredentials("sys\nnot-a-uuid\n"), undefined);
  assert.is(parseCredentials(undefined), undefined);
  assert.equal(parseSessionFile('{"expiry_time":100,"extended":false}'), { expiry_time: 100, extended: false });
  assert.is(parseSessionFile('{"expiry_time":"100"}'), undefined);
  assert.is(parseSessionFile("{"), undefined);
  assert.is(expiresIn(1000 + 86400 - 60, 1000), "23h 59m");
  assert.is(expiresIn(1000 + 8 * 86400, 1000), "8d 0h 0m");
  assert.is(expiresIn(0, 1000), "0h 0m");
});

test("uci-defaults/20_ns-don: writes libuci's defaults once, leaves an existing config alone", () => {
  const dir = testdir();
  try {
    const run = () => spawnSync("sh", [join(REPO, "uci-defaults/20_ns-don")], { env: { ...process.env, NS_PLUG_ROOT: dir.root }, encoding: "utf8" });
    assert.is(run().status, 0);
    const text = dir.read("/etc/config/don");
    const [s] = parseUci(text);
    assert.is(s!.name, "config");
    const o = Object.fromEntries(s!.options);
    assert.equal([o.server, o.ca, o.ssh_key, o.connect_timeout], ["sos.nethesis.it", "/etc/don/nethesis.pem", "/etc/don/nethesis.pub", "60"]);
    assert.ok(text.includes("\toption system_id ''\n"), "system_id empty: ns-plug's is used");
    assert.equal(parseDonConfig(Object.fromEntries(s!.options), "x").server, "sos.nethesis.it");
    const mine = "\nconfig main 'config'\n\toption server 'sos.example'\n\toption ca '/etc/don/mine.pem'\n";
    dir.write("/etc/config/don", mine);
    assert.is(run().status, 0);
    assert.is(dir.read("/etc/config/don"), mine, "an existing config is the admin's");
  } finally {
    dir.cleanup();
  }
});

test.run();
