/**
 * SPEC §4: the controller's answer is untrusted. Each hostile answer below is
 * served by the loopback controller to the real connect code (in-process,
 * real fs/http on a temp root, a clock that does not really sleep); each
 * must be refused as a failed attempt — after 5 of them connect exits 5 —
 * and must leave no client.conf, no rsyslog file and no rpcd password behind.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { readFileSync } from "node:fs";
import { connectController } from "../../src/controller/connect";
import { classifyAnswer } from "../../src/controller/answer";
import { NsPlugError } from "../../src/platform/errors";
import { startController, type Controller } from "../servers/controller";
import { testdir } from "../helpers/testdir";
import { makeCtx, nsPlugConfig } from "./controller-helpers";

let ctl: Controller;
let good: Record<string, unknown>;

test.before(async () => {
  ctl = await startController({ tls: false, apiPort: 8080, vpnAddress: "172.21.0.1" });
  const { certPath, keyPath } = await ctl.pki.issueClient("unit-h");
  good = {
    host: "vpn.example.org",
    port: "1194",
    ca: readFileSync(ctl.pki.caPath, "utf8").trim(),
    cert: readFileSync(certPath, "utf8").trim(),
    key: readFileSync(keyPath, "utf8").trim(),
    promtail_address: "172.21.0.1",
    promtail_port: "5151",
  };
});
test.after(() => ctl.close());

const pemBody = (pem: string) => pem.split("\n").slice(1, -1);
const wrap = (label: string, lines: string[]) => [`-----BEGIN ${label}-----`, ...lines, `-----END ${label}-----`].join("\n");

type Case = [name: string, answer: () => unknown];
const data = (patch: Record<string, unknown>) => () => ({ code: 200, message: "ok", data: { ...good, ...patch } });
const without = (field: string) => () => {
  const d = { ...good };
  delete d[field];
  return { code: 200, data: d };
};
const ca = () => good.ca as string;
const key = () => good.key as string;
const certPem = () => (good.cert as string).slice((good.cert as string).indexOf("-----BEGIN"));

const CASES: Case[] = [
  ["newline in host", data({ host: "vpn.example.org\nup /bin/sh" })],
  ["space in host", data({ host: "vpn.example.org up" })],
  ["quote in host", data({ host: 'vpn"example' })],
  ["empty host", data({ host: "" })],
  ["host of the wrong type", data({ host: 1234 })],
  ["huge host", data({ host: `${"a".repeat(63)}.`.repeat(10) + "org" })],
  ["IPv6 host in brackets", data({ host: "[fd00::1]" })],
  ["IPv6 host with a zone", data({ host: "fe80::1%eth0" })],
  ["bracketed IPv6 host with a zone and a port", data({ host: "[fe80::1%eth0]:1194" })],
  ["IPv6 host with two '::'", data({ host: "fd00::1::2" })],
  ["v4-mapped IPv6 host with a bad IPv4 part", data({ host: "::ffff:999.0.2.1" })],
  ["IPv6 promtail_address with a zone", data({ promtail_address: "fe80::5%eth0" })],
  ["all-numeric host that is no IPv4", data({ host: "999.1.1.1" })],
  ["port with an injected line", data({ port: "1194\nup /bin/sh" })],
  ["port 0", data({ port: 0 })],
  ["port 70000", data({ port: "70000" })],
  ["port with a space", data({ port: "11 94" })],
  ["fractional port", data({ port: 1194.5 })],
  ["port null", data({ port: null })],
  ["port as an array", data({ port: ["1194"] })],
  ["missing port", without("port")],
  ["missing host", without("host")],
  ["missing ca", without("ca")],
  ["missing key", without("key")],
  ["</ca> inside the CA's PEM block", () => data({ ca: wrap("CERTIFICATE", [...pemBody(ca()).slice(0, 2), "</ca>", "up /bin/sh", ...pemBody(ca()).slice(2)]) })()],
  ["directive line inside the cert's PEM block", () => data({ cert: wrap("CERTIFICATE", ["script-security 3", ...pemBody(certPem())]) })()],
  ["carriage return hiding a line inside the cert", () => data({ cert: wrap("CERTIFICATE", [pemBody(certPem())[0] + "\r</cert>\rup /bin/sh", ...pemBody(certPem()).slice(1)]) })()],
  ["non-PEM junk as key", data({ key: "this is not a key" })],
  ["cert without END line", () => data({ cert: certPem().replace(/-----END CERTIFICATE-----$/, "") })()],
  ["BEGIN/END labels that differ", () => data({ cert: certPem().replace("-----END CERTIFICATE-----", "-----END PRIVATE KEY-----") })()],
  ["two private keys", () => data({ key: `${key()}\n${key()}` })()],
  ["a certificate where the key goes", () => data({ key: ca() })()],
  ["a private key where the CA goes", () => data({ ca: key() })()],
  ["encrypted private key", () => data({ key: key().replace(/PRIVATE KEY/g, "ENCRYPTED PRIVATE KEY") })()],
  ["PEM headers (Proc-Type) in the key", () => data({ key: wrap("RSA PRIVATE KEY", ["Proc-Type: 4,ENCRYPTED", ...pemBody(key())]) })()],
  ["padding in the middle of base64", () => data({ ca: wrap("CERTIFICATE", ["AB=C", ...pemBody(ca())]) })()],
  ["huge certificate", () => data({ cert: wrap("CERTIFICATE", Array(2000).fill("A".repeat(64))) })()],
  ["too many certificates", () => data({ ca: Array(9).fill(ca()).join("\n") })()],
  ["cert of the wrong type", data({ cert: { pem: "x" } })],
  ["newline in promtail_address (rsyslog injection)", data({ promtail_address: '172.21.0.1"\n*.* action(type="omfile" file="/etc/passwd")' })],
  ["quote in promtail_port", data({ promtail_port: '5151" protocol="udp' })],
  ["missing promtail_address", without("promtail_address")],
  ["newline in vpn_address", data({ vpn_address: "172.21.0.1\nx", api_port: "8080" })],
  ["junk api_port", data({ vpn_address: "172.21.0.1", api_port: "80/evil" })],
  ["data is a string", () => ({ code: 200, data: "host 1.2.3.4" })],
  ["data is null", () => ({ code: 200, data: null })],
  ["code 200 without data", () => ({ code: 200, message: "ok" })],
  ["code is not a number", () => ({ code: "200abc", data: good })],
  ["body is a bare array", () => [200, good]],
];

test("pure: every hostile answer is classified as a failure, the good one as registered", () => {
  assert.is(classifyAnswer(JSON.stringify({ code: 200, data: good }), 200).kind, "registered");
  // IPv6 literals the validator documents as hosts: plain, compressed, v4-mapped.
  for (const host of ["fd00::1", "::1", "::ffff:192.0.2.1", "2001:db8:0:0:0:0:0:1"]) {
    assert.is(classifyAnswer(JSON.stringify({ code: 200, data: { ...good, host } }), 200).kind, "registered", host);
  }
  for (const [name, answer] of CASES) {
    const out = classifyAnswer(JSON.stringify(answer()), 200);
    assert.is(out.kind, "failed", name);
  }
  assert.is(classifyAnswer("<html>502 Bad Gateway</html>", 502).kind, "failed");
});

/** Cases whose run was seen refused (exit 5, 5 logged attempts, nothing written). */
const refused = new Set<string>();

for (const [name, answer] of CASES) {
  test(`refused, nothing written: ${name}`, async () => {
    const dir = testdir({
      "/etc/config/ns-plug": nsPlugConfig({ server: ctl.url, unit_id: "unit-h", token: ctl.token }),
      "/var/run/ns-plug.booted": "",
    });
    const t = makeCtx(dir);
    ctl.override(() => ({ status: 200, body: answer() }));
    try {
      await connectController(t.ctx);
      assert.unreachable("connect succeeded");
    } catch (e) {
      if (!(e instanceof NsPlugError)) throw e;
      assert.is(e.exitCode, 5, e.message);
    } finally {
      ctl.override(undefined);
      await t.close();
    }
    assert.not.ok(dir.exists("/usr/share/ns-plug/client.conf"), "client.conf written");
    assert.not.ok(dir.exists("/var/etc/rsyslog.ns-plug.conf"), "rsyslog file written");
    assert.not.match(dir.readIfExists("/etc/config/rpcd") ?? "", /password/);
    assert.not.match(dir.read("/etc/config/ns-plug"), /vpn_address/);
    // Logged why, as a failed attempt (5 of them), with nothing from the answer spilling over a line.
    const refusals = t.logs.filter((l) => /registration attempt \d\/5 failed/.test(l));
    assert.is(refusals.length, 5, t.logs.join(""));
    assert.ok(t.logs.every((l) => l.endsWith("\n") && !l.slice(0, -1).includes("\n")));
    dir.cleanup();
    refused.add(name);
  });
}

test("figures: refusals observed, not cases listed", () => {
  console.log(`FIGURE controller-hostile: ${refused.size} of ${CASES.length} hostile answers seen refused with nothing written`);
  assert.ok(refused.size >= 25, `only ${refused.size} refusals observed`);
  assert.equal(CASES.map(([n]) => n).filter((n) => !refused.has(n)), []);
});

test("a body larger than 1 MiB is refused without buffering it all", async () => {
  const dir = testdir({
    "/etc/config/ns-plug": nsPlugConfig({ server: ctl.url, unit_id: "unit-h", token: ctl.token }),
    "/var/run/ns-plug.booted": "",
  });
  const t = makeCtx(dir);
  ctl.override(() => ({ status: 200, body: { code: 403, message: "x".repeat(2 * 1024 * 1024) } }));
  try {
    await connectController(t.ctx);
    assert.unreachable("connect succeeded");
  } catch (e) {
    assert.instance(e, NsPlugError);
    assert.match((e as Error).message, /larger than/);
  } finally {
    ctl.override(undefined);
    await t.close();
  }
  assert.not.ok(dir.exists("/usr/share/ns-plug/client.conf"));
  dir.cleanup();
});

test.run();
