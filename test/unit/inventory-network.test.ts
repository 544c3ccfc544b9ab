import { test } from "uvu";
import * as assert from "uvu/assert";
import { readFileSync } from "node:fs";
import { parseUci } from "../../src/platform/uci/codec";
import { buildNetworks, liveAddress, roleOf } from "../../src/inventory/network";

const uci = (name: string) =>
  parseUci(readFileSync(new URL(`../fixtures/inventory/root/etc/config/${name}`, import.meta.url), "utf8"), name);

test("networks from UCI: bridges with ports, roles from zones, IPv6 twins, loopback and tunnels left out", () => {
  const nets = buildNetworks(uci("network"), uci("firewall"));
  assert.equal(nets, [
    {
      type: "bridge",
      name: "br-lan",
      props: { role: "green", ipaddr: "192.168.100.238", netmask: "255.255.255.0", gateway: "", bridge: ["eth0", "eth2"] },
    },
    { type: "ethernet", name: "eth1", props: { role: "red", ipaddr: "203.0.113.10", netmask: "255.255.255.0", gateway: "203.0.113.1" } },
    { type: "ethernet", name: "eth3", props: { role: "guests", ipaddr: "10.9.0.1", netmask: "255.255.0.0", gateway: "" } },
  ]);
});

test("live addresses (ifstatus) win over static UCI ones", () => {
  const live = new Map([["wan", liveAddress({ "ipv4-address": [{ address: "198.51.100.7", mask: 25 }], route: [{ target: "0.0.0.0", mask: 0, nexthop: "198.51.100.1" }] })]]);
  const wan = buildNetworks(uci("network"), uci("firewall"), live).find((n) => n.name === "eth1")!;
  assert.equal(wan.props, { role: "red", ipaddr: "198.51.100.7", netmask: "255.255.255.128", gateway: "198.51.100.1" });
  assert.equal(liveAddress(null), {});
  assert.equal(liveAddress({ "ipv4-address": "nope" }), {});
});

test("an interface in no zone has role null; one without a device is skipped, not a crash", () => {
  const net = parseUci("config interface 'x'\n\toption device 'eth9'\n\nconfig interface 'nodev'\n\toption proto 'none'\n", "n");
  assert.equal(buildNetworks(net, []), [{ type: "ethernet", name: "eth9", props: { role: null, ipaddr: "", netmask: "", gateway: "" } }]);
  assert.is(roleOf(uci("firewall"), "nothing"), null);
});

test.run();
