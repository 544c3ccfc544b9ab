// Pure parts of ns.plug (the join code is the controller feature's, tested there): tunnel address, last push, firewall zone edits.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { lastPushSent, tunAddress } from "../../src/rpcd/plug-status";
import { addDeviceToZone, removeDeviceFromZones } from "../../src/rpcd/firewall-zone";
import { UciPackage } from "../../src/platform/uci/store";
import { parseUci, serializeUci } from "../../src/platform/uci/codec";

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
