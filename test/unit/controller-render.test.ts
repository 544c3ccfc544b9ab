import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { renderClientConf } from "../../src/controller/clientConf";
import { renderRsyslogConf } from "../../src/controller/rsyslogConf";
import { extractPem } from "../../src/controller/pem";
import { isHost, parseRegistrationData, toPort } from "../../src/controller/validate";
import { decodeJoinCode, JoinCodeError } from "../../src/controller/joinCode";
import { parseOsRelease } from "../../src/controller/unitInfo";
import { bootDelay, jittered } from "../../src/controller/pacing";
import { controllerBase } from "../../src/controller/server";
import { createPki } from "../servers/controller";

let ca = "";
let certWithDump = "";
let key = "";
const pemOf = (t: string) => t.slice(t.indexOf("-----BEGIN"));
let data = { host: "vpn.example.org", port: 1194, ca, cert: "", key, promtailAddress: "172.21.0.1", promtailPort: 5151 };
let HEAD = "";

test.before(async () => {
  const pki = await createPki();
  const client = await pki.issueClient("unit-1");
  ca = readFileSync(pki.caPath, "utf8").trim();
  certWithDump = readFileSync(client.certPath, "utf8").trim();
  key = readFileSync(client.keyPath, "utf8").trim();
  data = { ...data, ca, cert: pemOf(certWithDump), key };
  HEAD = head();
});

const head = () => `client
server-poll-timeout 5
nobind
float
explicit-exit-notify 1
remote vpn.example.org 1194 udp
connect-retry-max 5
dev tun-nsplug
tls-client
remote-cert-tls server
script-security 2
route-up /usr/sbin/ns-controller-push-info
down /usr/sbin/ns-controller-telegraf-down
<ca>
${ca}
</ca>
<cert>
${pemOf(certWithDump)}
</cert>
<key>
${key}
</key>
auth-nocache
verb 3
`;

test("client.conf: SPEC §4 layout, mtu-test when tun_mtu/mssfix are not both set", () => {
  assert.is(renderClientConf(data), HEAD + "mtu-test\n");
  assert.is(renderClientConf(data, { tunMtu: 1400 }), HEAD + "mtu-test\n");
  assert.is(renderClientConf(data, { mssfix: 1360 }), HEAD + "mtu-test\n");
});

test("client.conf: tun-mtu and mssfix instead of mtu-test when both are set", () => {
  assert.is(renderClientConf(data, { tunMtu: 1400, mssfix: 1360 }), HEAD + "tun-mtu 1400\nmssfix 1360\n");
});

test("client.conf: OpenVPN's option parser accepts it (it also checks that the hook scripts exist)", async () => {
  const d = mkdtempSync(join(tmpdir(), "nsplug-ovpn-"));
  const f = join(d, "client.conf");
  writeFileSync(f, renderClientConf(data, { tunMtu: 1400, mssfix: 1360, routeUp: "/bin/true", down: "/bin/true" }));
  // A parse error ends OpenVPN at once with "Options error"; a good config gets past the parser and
  // prints its "OpenVPN 2.x" banner. Wait for either (no fixed 1.5 s: a loaded machine may take longer),
  // then stop it; 30 s is only a backstop.
  const child = spawn("openvpn", ["--config", f, "--dev", "null", "--route-noexec", "--ifconfig-noexec"], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  const done = new Promise<string>((resolve, reject) => {
    const check = () => {
      if (/Options error|OpenVPN 2\.\S+ /.test(out)) resolve(out);
    };
    child.stdout.on("data", (b) => ((out += b), check()));
    child.stderr.on("data", (b) => ((out += b), check()));
    child.on("error", reject);
    child.on("close", () => resolve(out));
  });
  const backstop = setTimeout(() => child.kill("SIGKILL"), 30_000);
  try {
    const text = await done.catch((e: { code?: string }) => {
      if (e.code === "ENOENT") assert.unreachable("openvpn is not installed (Debian's openvpn)");
      throw e;
    });
    assert.not.match(text, /Options error/);
    assert.match(text, /OpenVPN 2\./);
  } finally {
    clearTimeout(backstop);
    child.kill("SIGKILL");
    rmSync(d, { recursive: true, force: true });
  }
});

test("client.conf renderer refuses a value that would add a line, even if validation were bypassed", () => {
  assert.throws(() => renderClientConf({ ...data, host: "a\nup /bin/sh" }), /single safe word/);
  assert.throws(() => renderClientConf({ ...data, ca: `${ca}\n</ca>\nup /bin/sh` }), /plain PEM/);
});

test("PEM: easy-rsa's text dump is dropped, CRLF and indentation normalised", () => {
  assert.match(certWithDump, /^Certificate:\n/);
  const r = extractPem(certWithDump, "certificates");
  assert.ok(r.ok);
  if (r.ok) assert.is(r.pem, pemOf(certWithDump));
  const crlf = extractPem(key.replace(/\n/g, "\r\n") + "\r\n", "key");
  assert.ok(crlf.ok && crlf.pem === key);
  const chain = extractPem(`${ca}\n${pemOf(certWithDump)}`, "certificates");
  assert.ok(chain.ok && chain.pem.split("BEGIN").length === 3);
});

test("extractPem: limits and shapes at their edges (synthetic blocks)", () => {
  const block = (label: string, lines = ["QUJD"]) => [`-----BEGIN ${label}-----`, ...lines, `-----END ${label}-----`].join("\n");
  const ok = (text: string, kind: "certificates" | "key") => {
    const r = extractPem(text, kind);
    return r.ok ? r.pem : `refused: ${r.why}`;
  };
  const C = block("CERTIFICATE");
  assert.is(ok(C, "certificates"), C);
  for (const label of ["PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY"]) assert.is(ok(block(label), "key"), block(label), label);
  assert.match(ok(block("PRIVATE KEY"), "certificates"), /refused: unexpected PEM block "PRIVATE KEY"/);
  assert.match(ok(C, "key"), /refused: unexpected PEM block "CERTIFICATE"/);
  // Whitespace around lines is dropped, text outside blocks too; blocks are joined by one newline.
  assert.is(ok(`junk before\n  ${C.split("\n").join(" \t\r\n\t")}  \r\nafter`, "certificates"), C);
  assert.is(ok(`${C}\n\n${C}`, "certificates"), `${C}\n${C}`);
  // Size: exactly 64 KiB passes, one more character does not.
  const filler = (n: number) => `${C}\n${"x".repeat(n - C.length - 1)}`;
  assert.is(ok(filler(64 * 1024), "certificates"), C);
  assert.match(ok(filler(64 * 1024 + 1), "certificates"), /refused: longer than 65536/);
  // Base64 lines: 128 characters pass, 129 do not; whole quanta only; padding only at the end.
  assert.is(ok(block("CERTIFICATE", ["A".repeat(128)]), "certificates"), block("CERTIFICATE", ["A".repeat(128)]));
  assert.match(ok(block("CERTIFICATE", ["A".repeat(132)]), "certificates"), /refused: line 2 inside the CERTIFICATE block is not base64/);
  assert.match(ok(block("CERTIFICATE", ["QUJ"]), "certificates"), /refused: CERTIFICATE block is not valid base64/);
  assert.is(ok(block("CERTIFICATE", ["QQ=="]), "certificates"), block("CERTIFICATE", ["QQ=="]));
  assert.match(ok(block("CERTIFICATE", ["QQ==", "QUJD"]), "certificates"), /refused: CERTIFICATE block is not valid base64/);
  assert.match(ok(block("CERTIFICATE", []), "certificates"), /refused: CERTIFICATE block is not valid base64/);
  // Armour: a BEGIN/END that is not a clean line, a missing END, nothing at all.
  assert.match(ok(`x-----END CERTIFICATE-----\n${C}`, "certificates"), /refused: malformed PEM armour line 1/);
  assert.match(ok(`x${C}`, "certificates"), /refused: malformed PEM armour line 1/);
  assert.match(ok(`${C}\n-----BEGIN CERTIFICATE----- trailing`, "certificates"), /refused: malformed PEM armour line 4/);
  assert.match(ok("-----BEGIN CERTIFICATE-----\nQUJD", "certificates"), /refused: CERTIFICATE block has no END line/);
  assert.match(ok("just text", "certificates"), /refused: no PEM block/);
  // Count: 8 certificates pass, 9 do not; one key only.
  assert.is(ok(Array(8).fill(C).join("\n"), "certificates"), Array(8).fill(C).join("\n"));
  assert.match(ok(Array(9).fill(C).join("\n"), "certificates"), /refused: too many PEM blocks/);
  assert.match(ok(`${block("PRIVATE KEY")}\n${block("EC PRIVATE KEY")}`, "key"), /refused: more than one private key/);
});

test("host and port validators", () => {
  for (const h of ["vpn.example.org", "a", "host-1.example.", "10.0.0.1", "::1", "fd00:1::2", "2001:db8::ff00:42:8329"]) assert.ok(isHost(h), h);
  for (const h of ["", "a b", "a\nb", "-a.example", "a..b", "999.1.1.1", "[::1]", "fe80::1%eth0", "x".repeat(254), "a_b", "é.example", '"a"'])
    assert.not.ok(isHost(h), JSON.stringify(h));
  assert.is(toPort("1194"), 1194);
  assert.is(toPort(65535), 65535);
  for (const p of ["0", 0, 65536, "1194 ", "-1", 1.5, "", null, "0x10"]) assert.is(toPort(p), undefined, String(p));
  // Edges: port 1, non-string non-number values, the longest IPv6 literal (45), a 254-char name,
  // a name that only starts with digits and dots (a hostname, not an IPv4 address).
  assert.is(toPort(1), 1);
  assert.is(toPort("1"), 1);
  for (const p of [true, [80], { p: 80 }]) assert.is(toPort(p), undefined, JSON.stringify(p));
  assert.ok(isHost("0000:0000:0000:0000:0000:ffff:192.168.100.228"), "45-char IPv6");
  assert.ok(isHost("1.2.3.4a"), "1.2.3.4a is a hostname");
  assert.not.ok(isHost(`${"a".repeat(62)}.`.repeat(4) + "ab"), "254-char name");
  assert.ok(isHost(`${"a".repeat(62)}.`.repeat(4) + "a"), "253-char name");
});

test("registration data: string ports accepted, vpn_address/api_port only as a pair", () => {
  const base = { host: "10.0.0.1", port: "1194", ca, cert: certWithDump, key, promtail_address: "172.21.0.1", promtail_port: "5151" };
  const r = parseRegistrationData(base);
  assert.ok(r.ok);
  if (r.ok) {
    assert.is(r.data.port, 1194);
    assert.is(r.data.promtailPort, 5151);
    assert.is(r.data.vpnAddress, undefined);
  }
  const both = parseRegistrationData({ ...base, vpn_address: "172.21.0.1", api_port: "8080" });
  assert.ok(both.ok && both.data.vpnAddress === "172.21.0.1" && both.data.apiPort === 8080);
  const one = parseRegistrationData({ ...base, vpn_address: "172.21.0.1" });
  assert.ok(one.ok && one.data.vpnAddress === undefined);
  const nulls = parseRegistrationData({ ...base, vpn_address: null, api_port: null });
  assert.ok(nulls.ok && nulls.data.apiPort === undefined);
  for (const api_port of [null, ""]) {
    const r2 = parseRegistrationData({ ...base, vpn_address: "172.21.0.1", api_port });
    assert.ok(r2.ok && r2.data.vpnAddress === undefined && r2.data.apiPort === undefined, JSON.stringify(api_port));
  }
  const empty = parseRegistrationData({ ...base, vpn_address: "", api_port: "8080" });
  assert.ok(empty.ok && empty.data.vpnAddress === undefined);
  const bad = parseRegistrationData({ ...base, port: "0" });
  assert.ok(!bad.ok && /port/.test(bad.why), JSON.stringify(bad));
  const badPem = parseRegistrationData({ ...base, key: "junk" });
  assert.ok(!badPem.ok && /^key: /.test(badPem.why), JSON.stringify(badPem));
});

test("rsyslog forwarding file: SPEC §5 content, and the real rsyslogd -N1 accepts it", () => {
  for (const [addr, port] of [["172.21.0.1", 5151], ["promtail.example.org", 1514], ["fd00::1", 5151]] as const) {
    const text = renderRsyslogConf(addr, port);
    for (const must of ["$PreserveFQDN on", 'ruleset(name="forward")', 'type="omfwd"', `target="${addr}"`, `port="${port}"`,
      'protocol="tcp"', 'TCP_Framing="octet-counted"', 'template="RSYSLOG_SyslogProtocol23Format"', 'KeepAlive="on"',
      'action.resumeRetryCount="-1"', 'queue.type="LinkedList"', 'queue.spoolDirectory="/var/spool/rsyslog"', "*.* call forward"]) {
      assert.ok(text.includes(must), must);
    }
    const d = mkdtempSync(join(tmpdir(), "nsplug-rsyslog-"));
    writeFileSync(join(d, "f.conf"), text);
    const r = spawnSync("rsyslogd", ["-N1", "-f", join(d, "f.conf")], { encoding: "utf8" });
    if (r.error) assert.unreachable(`rsyslogd could not run (install Debian's rsyslog): ${r.error.message}`);
    assert.is(r.status, 0, r.stderr);
  }
  assert.throws(() => renderRsyslogConf('1.2.3.4" x="y', 5151));
});

const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64");

test("join code: base64 JSON → server/token/unit_id", () => {
  const j = { fqdn: "controller.example.org", token: "1234", unit_id: "9694cf8d-7fa9-4f7a-b1c4-bcf40e328c02" };
  assert.equal(decodeJoinCode(b64(j)), { server: "https://controller.example.org", token: "1234", unitId: j.unit_id });
  // The real controller's example code, verbatim.
  assert.equal(
    decodeJoinCode("eyJmcWRuIjoiY29udHJvbGxlci5ncy5uZXRoc2VydmVyLm5ldCIsInRva2VuIjoiMTIzNCIsInVuaXRfaWQiOiI5Njk0Y2Y4ZC03ZmE5LTRmN2EtYjFjNC1iY2Y0MGUzMjhjMDIifQ=="),
    { server: "https://controller.gs.nethserver.net", token: "1234", unitId: "9694cf8d-7fa9-4f7a-b1c4-bcf40e328c02" },
  );
  assert.is(decodeJoinCode(`  ${b64({ ...j, fqdn: "c.example:8443" })}\n`).server, "https://c.example:8443");
  assert.is(decodeJoinCode(b64({ ...j, fqdn: "fd00::1" })).server, "https://[fd00::1]");
  assert.is(decodeJoinCode(b64(j).replace(/=+$/, "")).unitId, j.unit_id);
});

test("join code: bad input is a JoinCodeError (exit 1), never a crash", () => {
  const j = { fqdn: "c.example", token: "t0k", unit_id: "u1" };
  const bad = ["", "!!!", "a", b64("just a string"), b64(null), b64([]), Buffer.from("{not json").toString("base64"),
    b64({ ...j, fqdn: "c.example/evil" }), b64({ ...j, fqdn: "c.example\nx" }), b64({ ...j, fqdn: "user@c.example" }),
    b64({ ...j, token: "" }), b64({ ...j, token: "a b" }), b64({ ...j, token: 5 }), b64({ ...j, unit_id: "../x" }),
    b64({ fqdn: "c.example", token: "t" }), Buffer.from([0xff, 0xfe, 0x7b]).toString("base64"), "A".repeat(5000)];
  for (const code of bad) {
    try {
      decodeJoinCode(code);
      assert.unreachable(`accepted ${code.slice(0, 40)}`);
    } catch (e) {
      assert.instance(e, JoinCodeError, code.slice(0, 40));
      assert.is((e as JoinCodeError).exitCode, 1);
    }
  }
});

test("os-release, controller base URL, jitter and boot delay", () => {
  assert.equal(parseOsRelease('NAME="NethSecurity"\nVERSION_ID="8-23.05.5"\n# c\nPRETTY_NAME=\'NethSecurity 8\'\nX=plain\n'), {
    NAME: "NethSecurity", VERSION_ID: "8-23.05.5", PRETTY_NAME: "NethSecurity 8", X: "plain",
  });
  assert.is(controllerBase("https://c.example//"), "https://c.example");
  assert.is(controllerBase("https://c.example:8443/base"), "https://c.example:8443/base");
  for (const s of ["ftp://c.example", "c.example", "https://u:p@c.example", "https://c.example?x=1"]) assert.is(controllerBase(s), undefined, s);
  // Uniform in [5 s, 15 s): the average poll stays 10 s.
  assert.is(jittered(10_000, 0), 5000);
  assert.is(jittered(10_000, 0.5), 10_000);
  assert.ok(jittered(10_000, 0.999999) < 15_000);
  const mean = Array.from({ length: 1000 }, (_, i) => jittered(10_000, (i + 0.5) / 1000)).reduce((a, b) => a + b) / 1000;
  assert.ok(Math.abs(mean - 10_000) < 1, String(mean));
  assert.is(bootDelay(0), 0);
  assert.ok(bootDelay(0.999999) < 10_000);
});

test.run();
