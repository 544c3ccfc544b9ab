/**
 * `inventory` (SPEC §3.4) run by the bundle against a fixture root: every
 * top-level key with the right type, facts.d plugins merged or skipped, and
 * an empty root giving nulls instead of a crash.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { cpSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { runBundle } from "../helpers/bundle";
import { testdir } from "../helpers/testdir";

const FIXTURE = fileURLToPath(new URL("../fixtures/inventory/root", import.meta.url));
const FACTS = "/usr/share/ns-plug/facts.d";

const KEYS = [
  "arp_macs", "dmi", "virtual", "kernel", "kernelrelease", "networking", "os", "processors", "timezone",
  "system_uptime", "esmithdb", "memory", "mountpoints", "public_ip", "features",
];

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

test("fixture root: every SPEC §3.4 key, right types and values; garbage plugin skipped", async () => {
  const dir = testdir();
  cpSync(FIXTURE, dir.root, { recursive: true });
  dir.write(`${FACTS}/acme_vendor.sh`, `#!/bin/sh\necho '{"enabled": true, "engine": "netifyd"}'\n`, 0o755);
  dir.write(`${FACTS}/dpi.sh`, `#!/bin/sh\necho '{"enabled": "from a plugin"}'\n`, 0o755);
  dir.write(`${FACTS}/garbage`, "#!/bin/sh\necho 'Traceback (most recent call last):'\n", 0o755);
  dir.standin("ifstatus", `[ "$1" = wan ] || exit 1\necho '{"up": true, "ipv4-address": [{"address": "198.51.100.7", "mask": 24}], "route": [{"target": "0.0.0.0", "mask": 0, "nexthop": "198.51.100.1"}]}'`);
  try {
    const r = await runBundle(["inventory"], { dir });
    assert.is(r.code, 0, r.stderr);
    assert.is(r.stdout.split("\n").length, 2, "one line of JSON");
    const inv = JSON.parse(r.stdout) as Record<string, any>;
    for (const k of KEYS) assert.ok(k in inv, `missing ${k}`);

    assert.is(inv.arp_macs, 3);
    assert.equal(inv.dmi, {
      product: { name: "Standard PC (Q35 + ICH9, 2009)", uuid: "4c4c4544-0042-3510-8052-b4c04f4e3232" },
      bios: { version: "rel-1.16.3-0-ga6ed6b701f0a-prebuilt.qemu.org", vendor: "SeaBIOS" },
      board: { product: null, manufacturer: "QEMU" },
    });
    assert.is(inv.virtual, "KVM");
    assert.is(inv.kernel, "Linux");
    assert.is(inv.kernelrelease, "6.6.73");
    assert.equal(inv.networking, { fqdn: "fw1.example.org" });
    assert.equal(inv.os, { type: "nextsecurity", name: "NextSec", release: { full: "8-24.10.0-ns.1.5.1", major: 7 }, family: "OpenWRT" });
    assert.equal(inv.processors, { count: 2, models: ["Intel Xeon Processor (Cascadelake)"], isa: "x86_64" });
    assert.is(inv.timezone, "Europe/Rome");
    assert.equal(inv.system_uptime, { seconds: 93412 });

    const nets = inv.esmithdb.networks as Array<Record<string, any>>;
    assert.equal(nets.map((n) => `${n.type}:${n.name}:${n.props.role}:${n.props.ipaddr}`), [
      "bridge:br-lan:green:192.168.100.238", "ethernet:eth1:red:198.51.100.7", "ethernet:eth3:guests:10.9.0.1",
    ]);
    assert.equal(nets[0]!.props.bridge, ["eth0", "eth2"]);
    assert.is(nets[1]!.props.gateway, "198.51.100.1", "live address from ifstatus");
    assert.equal(inv.esmithdb.configuration, [
      { name: "sysconfig", type: "configuration", props: { Version: "8-24.10.0-ns.1.5.1" } },
      { name: "dns", type: "configuration", props: { NameServers: "1.1.1.1,9.9.9.9" } },
      { name: "SystemName", type: "fw1" },
      { name: "DomainName", type: "example.org" },
    ]);

    assert.equal(inv.memory, {
      swap: { used_bytes: (524284 - 522236) * 1024, available_bytes: 522236 * 1024 },
      system: { used_bytes: (2030048 - 1702344) * 1024, available_bytes: 1702344 * 1024 },
    });
    assert.equal(Object.keys(inv.mountpoints), ["/", "/overlay", "/boot"]);
    for (const p of ["/", "/overlay"]) {
      assert.ok(Number.isInteger(inv.mountpoints[p].used_bytes) && inv.mountpoints[p].available_bytes > 0, p);
    }
    assert.is(inv.mountpoints["/boot"], null, "not mounted under the test root: null");
    assert.is(inv.public_ip, "198.51.100.7");

    assert.equal(inv.features.acme_vendor, { enabled: true, engine: "netifyd" }, "a facts.d plugin adds its feature");
    assert.equal(inv.features.dpi, { enabled: false, rules: 0 }, "built-in facts win over a plugin of the same name");
    assert.match(r.stderr, /facts plugin \S+dpi.sh skipped: feature 'dpi' is built in/);
    assert.match(r.stderr, /facts plugin \S+garbage skipped: output is not JSON/);
    assert.equal(inv.rpms, {}, "ns-ui not installed: no UI version");
  } finally {
    dir.cleanup();
  }
});

test("empty root: every fact null (or empty), same keys, exit 0", async () => {
  const dir = testdir();
  try {
    const r = await runBundle(["inventory"], { dir });
    assert.is(r.code, 0, r.stderr);
    const inv = JSON.parse(r.stdout) as Record<string, any>;
    for (const k of KEYS) assert.ok(k in inv, `missing ${k}`);
    for (const k of ["arp_macs", "virtual", "kernel", "kernelrelease", "timezone", "public_ip"]) assert.is(inv[k], null, k);
    assert.equal(inv.dmi.product, { name: null, uuid: null });
    assert.equal(inv.networking, { fqdn: null });
    assert.equal(inv.processors, { count: null, models: null, isa: null });
    assert.equal(inv.system_uptime, { seconds: null });
    assert.is(inv.esmithdb.networks, null);
    assert.equal(inv.memory, { swap: null, system: null });
    assert.ok(isObj(inv.mountpoints) && "/" in inv.mountpoints);
    // nothing installed: every built-in fact still answers, with the original's defaults
    assert.equal(inv.features.ipsec, { count: -1 });
    assert.equal(inv.features.backups, {});
    assert.equal(inv.features.multiwan, { enabled: false, policies: { backup: 0, balance: 0, custom: 0 }, rules: 0 });
    assert.equal(inv.features.network, {
      zones: [], interface_counts: { vlans: 0, bridges: 0, bonds: 0 }, zone_network_counts: {},
      route_info: { count_ipv6_route: 0, count_ipv4_route: 0 }, configuration: {},
    });
    assert.is(Object.keys(inv.features).length, 33);
    assert.equal(inv.rpms, {});
    assert.is(inv.os.release.full, null);
  } finally {
    dir.cleanup();
  }
});

test("a corrupt UCI file or unreadable source is a null fact, not a crash", async () => {
  const dir = testdir({
    "/etc/config/network": "config interface 'lan'\n\toption device 'br-lan\n", // unterminated quote
    "/etc/config/system": "config system\n\toption zonename 'UTC'\n",
    "/proc/meminfo": "garbage\n",
    "/etc/board.json": "{not json",
  });
  try {
    const r = await runBundle(["inventory"], { dir, env: { NS_PLUG_LOGLEVEL: "debug" } });
    assert.is(r.code, 0, r.stderr);
    const inv = JSON.parse(r.stdout);
    assert.is(inv.esmithdb.networks, null);
    assert.is(inv.timezone, "UTC");
    assert.equal(inv.memory, { swap: null, system: null });
    assert.match(r.stderr, /inventory: uci network: /);
  } finally {
    dir.cleanup();
  }
});

test("--help exits 0", async () => {
  const r = await runBundle(["inventory", "--help"]);
  assert.is(r.code, 0);
  assert.match(r.stdout, /Usage: inventory/);
});

test.run();
