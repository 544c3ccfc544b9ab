// Pure parts of ns.plug: join code, tunnel address, last push, firewall zone edits.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { decodeJoinCode } from "../../src/rpcd/join-code";
import { lastPushSent, tunAddress } from "../../src/rpcd/plug-status";
import { addDeviceToZone, removeDeviceFromZones } from "../../src/rpcd/firewall-zone";
import { UciPackage } from "../../src/platform/uci/store";
import { parseUci, serializeUci } from "../../src/platform/uci/codec";

const b64 = (v: unknown) => Buffer.from(typeof v === "string" ? v : JSON.stringify(v)).toString("base64");
const GOOD = { fqdn: "controller.example.org", token: "d8f0a0c5e1b64c2e", unit_id: "7e3c9a2b-1f0d-4b6e-9a51-3c2d1e0f9a8b" };

test("join code: base64 JSON {fqdn, token, unit_id}", () => {
  assert.equal(decodeJoinCode(b64(GOOD)), { fqdn: GOOD.fqdn, token: GOOD.token, unitId: GOOD.unit_id });
});

test("join code: URL-safe alphabet, missing padding, line breaks, extra keys", () => {
  const code = b64({ ...GOOD, fqdn: "c.example.org:8443", extra: "~~~???" });
  const urlSafe = code.replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  assert.is(decodeJoinCode(urlSafe)?.fqdn, "c.example.org:8443");
  assert.is(decodeJoinCode(code.slice(0, 20) + "\n" + code.slice(20))?.token, GOOD.token);
  assert.is(decodeJoinCode(b64({ ...GOOD, fqdn: "[2001:db8::1]:443" }))?.fqdn, "[2001:db8::1]:443");
});

test("join code: anything else is refused", () => {
  const bad = [
    "", "not base64!", b64("not json"), b64("[1]"), b64({ fqdn: GOOD.fqdn, token: GOOD.token }),
    b64({ ...GOOD, fqdn: "evil.org\n\toption server 'x'" }), b64({ ...GOOD, fqdn: "a b" }),
    b64({ ...GOOD, fqdn: "x'y" }), b64({ ...GOOD, token: "" }), b64({ ...GOOD, token: "a b" }),
    b64({ ...GOOD, unit_id: "../x" }), b64({ ...GOOD, unit_id: 5 }),
    Buffer.from([0xff, 0xfe, 0x7b]).toString("base64"),
  ];
  for (const c of bad) assert.is(decodeJoinCode(c), undefined, c);
});

const IP_JSON = JSON.stringify([
  {
    ifindex: 9, ifname: "tun-nsplug", flags: ["POINTOPOINT", "UP"], mtu: 1500,
    addr_info: [
      { family: "inet6", local: "fe80::1", prefixlen: 64 },
      { family: "inet", local: "172.21.0.7", prefixlen: 16 },
    ],
  },
]);

test("tunnel address: the IPv4 of `ip -j address show`, null otherwise", () => {
  assert.is(tunAddress(IP_JSON), "172.21.0.7");
  assert.is(tunAddress('[{"ifname":"tun-nsplug","addr_info":[]}]'), null);
  assert.is(tunAddress('[{"addr_info":[{"family":"inet6","local":"fe80::1"}]}]'), null);
  assert.is(tunAddress("[]"), null);
  assert.is(tunAddress('Device "tun-nsplug" does not exist.'), null);
  assert.is(tunAddress('{"x":1}'), null);
});

test("last push: newest crond start of ns-push-reports, local time, year rollover", () => {
  const log = [
    "Mar  3 10:00:00 fw crond[1]: USER root pid 10 cmd sleep $(( RANDOM % 60 )); /usr/bin/ns-push-reports",
    "Mar  3 10:15:01 fw crond[1]: USER root pid 11 cmd sleep $(( RANDOM % 60 )); /usr/bin/ns-push-reports",
    "Mar  3 10:15:02 fw crond[1]: USER root pid 12 cmd /usr/bin/send-heartbeat",
    "",
  ].join("\n");
  const now = new Date(2025, 2, 3, 12, 0, 0);
  assert.is(lastPushSent(log, now), Math.floor(new Date(2025, 2, 3, 10, 15, 1).getTime() / 1000));
  assert.is(lastPushSent("Dec 31 23:59:59 fw crond[1]: USER root pid 1 cmd ns-push-reports\n", new Date(2025, 0, 1, 0, 5)),
    Math.floor(new Date(2024, 11, 31, 23, 59, 59).getTime() / 1000));
  assert.is(lastPushSent("nothing here\n", now), -1);
  assert.is(lastPushSent("", now), -1);
});

test("firewall: tun-nsplug joins the lan zone once and leaves every zone", () => {
  const text = "\nconfig zone\n\toption name 'lan'\n\tlist network 'lan'\n\nconfig zone\n\toption name 'wan'\n\toption device 'tun-nsplug'\n";
  const pkg = new UciPackage("firewall", parseUci(text));
  assert.ok(addDeviceToZone(pkg, "lan", "tun-nsplug"));
  assert.not.ok(addDeviceToZone(pkg, "lan", "tun-nsplug"));
  assert.not.ok(addDeviceToZone(pkg, "dmz", "tun-nsplug"));
  assert.match(serializeUci(pkg.sections()), "option name 'lan'\n\tlist network 'lan'\n\tlist device 'tun-nsplug'\n");
  assert.ok(removeDeviceFromZones(pkg, "tun-nsplug"));
  assert.not.match(serializeUci(pkg.sections()), "tun-nsplug");
  assert.not.ok(removeDeviceFromZones(pkg, "tun-nsplug"));
});

test.run();
