/**
 * `features` and `rpms` of `inventory` (the built bundle) on fixture roots
 * that look like real units: a small office box (multiwan, OpenVPN road
 * warrior, threat shield, DPI and more on), a bare unit just installed, and
 * an HA pair member. Every built-in fact (python3-nethsec's fact_* names,
 * fields and value types) is asserted on its own.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { cpSync, statSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { runBundle } from "../helpers/bundle";
import { testdir, type TestDir } from "../helpers/testdir";
import { checkFacts202212 } from "./facts-schema";

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/inventory/${name}`, import.meta.url));

const ALL_FACTS = [
  "adblock", "backups", "certificates_info", "clm", "controller", "database_stats", "ddns", "default_password",
  "dhcp_server", "dpi", "extra_packages", "firewall_stats", "flashstart", "ha", "hotspot", "ipsec", "mac_ip_binding",
  "multiwan", "nathelpers", "netifyd", "network", "openvpn_rw", "openvpn_tun", "proxy_pass", "qos", "rpcd_users",
  "snmp", "snort", "storage", "subscription_status", "threat_shield", "ui", "wireguard",
];

async function inventoryOf(name: string): Promise<{ dir: TestDir; inv: Record<string, any> }> {
  const dir = testdir();
  cpSync(fixture(name), dir.root, { recursive: true });
  const r = await runBundle(["inventory"], { dir });
  assert.is(r.code, 0, r.stderr);
  assert.not.match(r.stderr, /skipped/, "no built-in fact failed");
  return { dir, inv: JSON.parse(r.stdout) };
}

const NO_SNORT = {
  enabled: false, policy: "", oink_enabled: false, disabled_rules: 0, suppressed_rules: 0,
  bypass_src_ipv4: 0, bypass_src_ipv6: 0, bypass_dst_ipv4: 0, bypass_dst_ipv6: 0,
};
const NO_FIREWALL_OBJECTS = { domains: 0, hosts: 0, port_forward: { allowed_from: 0, destination_to: 0 }, mwan_rules: 0, rules: { forward: 0, input: 0, output: 0 } };

test("office box: multiwan, OpenVPN road warrior, threat shield, DPI …", async () => {
  const { dir, inv } = await inventoryOf("office");
  try {
    const f = inv.features;
    assert.equal(Object.keys(f), ALL_FACTS, "every fact, in the original's (sorted) order");
    assert.equal(f.multiwan, { enabled: true, policies: { backup: 1, balance: 1, custom: 0 }, rules: 2 });
    assert.equal(f.openvpn_rw, {
      enabled: 1, server: 1,
      instances: [{ section: "ns_roadwarrior1", authentication: "username_password_certificate", user_database: "main", mode: "tun" }],
    });
    assert.equal(f.openvpn_tun, { client: 1, server: 1, tunnels: [{ section: "ns_branch", mode: "tun" }, { section: "ns_hq", mode: "tun" }] });
    assert.equal(f.threat_shield, { enabled: true, community: 2, enterprise: 2 });
    assert.equal(f.dpi, { enabled: true, rules: 2 });
    assert.equal(f.netifyd, { enabled: true });
    assert.equal(f.wireguard, { enabled: true, servers: { wg1: { peers: 2, routing_all_traffic: 1 } } });
    assert.equal(f.dhcp_server, { count: 2, static_leases: 2, dynamic_leases: 2, dns_records_count: 1, dns_forwarder_enabled: true });
    assert.equal(f.mac_ip_binding, { disabled: 0, "soft-binding": 1, "hard-binding": 1 });
    assert.equal(f.qos, { count: 1, rules: [{ enabled: true, upload: 20, download: 100 }] });
    assert.equal(f.snort, {
      enabled: true, policy: "balanced", oink_enabled: true, disabled_rules: 2, suppressed_rules: 1,
      bypass_src_ipv4: 1, bypass_src_ipv6: 0, bypass_dst_ipv4: 2, bypass_dst_ipv6: 0,
    });
    assert.equal(f.firewall_stats, {
      firewall: {
        port_forward: 2, nat: { masquerade: 1, snat: 1, accept: 1 }, netmap: { source: 1, destination: 0 },
        rules: { forward: 2, input: 1, output: 1 },
      },
      objects: { domains: 1, hosts: 2, port_forward: { allowed_from: 1, destination_to: 0 }, mwan_rules: 1, rules: { forward: 1, input: 0, output: 0 } },
    });
    assert.equal(f.network.zones, [{ name: "lan", ipv4: 2, ipv6: 0 }, { name: "wan", ipv4: 2, ipv6: 0 }, { name: "rwopenvpn", ipv4: 0, ipv6: 0 }]);
    assert.equal(f.network.interface_counts, { vlans: 1, bridges: 1, bonds: 0 });
    assert.equal(f.network.zone_network_counts, { lan: 2, wan: 2, rwopenvpn: 1 });
    assert.equal(f.network.route_info, { count_ipv6_route: 0, count_ipv4_route: 1 });
    assert.equal(Object.keys(f.network.configuration), ["br-lan", "eth1", "eth2", "eth0.20"]);
    assert.equal(f.network.configuration.eth1.props, { role: "red", ipaddr: "203.0.113.10", netmask: "255.255.255.248", gateway: "203.0.113.9" }, "subscribed: not anonymized");
    assert.equal(f.certificates_info, { custom_certificates: { count: 1 }, acme_certificates: { count: 2, issued: 1, pending: 1 } });
    assert.equal(f.ui, { luci: false, port443: true, port9090: true });
    assert.equal(f.subscription_status, { status: "enterprise" });
    assert.equal(f.controller, { enabled: true });
    assert.equal(f.rpcd_users, { count: 1 });
    assert.equal(f.database_stats, { main: { users: 2 } });
    assert.equal(f.proxy_pass, { count: 1 });
    assert.equal(f.nathelpers, { count: 4, enabled: true });
    assert.equal(f.ddns, { enabled: true });
    assert.equal(f.snmp, { enabled: true });
    assert.equal(f.default_password, { default_password: true }, "root still has the factory password");
    assert.equal(f.backups, { backup_passphrase: true, passphrase_date: Math.floor(statSync(dir.path("/etc/backup.pass")).mtimeMs / 1000) });
    assert.equal(f.ipsec, { count: -1 }, "ipsec not installed: -1, as the original");
    for (const off of ["adblock"]) assert.equal(f[off], { enabled: false, community: 0, enterprise: 0 }, off);
    assert.equal(f.hotspot, { enabled: false, server: "", interface: "" });
    assert.equal(f.flashstart, { enabled: false, bypass: 0, pro_plus: false, custom_servers: 0 });
    assert.equal(f.ha, { enabled: false, vips: 0 });
    assert.equal(f.storage, { enabled: false });
    assert.equal(f.clm, { enabled: false });
    assert.equal(f.extra_packages, { count: 0, packages: [] }, "opkg image: no apk world");
    assert.equal(inv.rpms, { "nethserver-firewall-base-ui": "2.4.5-r1" }, "ns-ui from the opkg status file");
  } finally {
    dir.cleanup();
  }
});

test("bare unit: every fact present, services off, the original's answers for what is not installed", async () => {
  const { dir, inv } = await inventoryOf("bare");
  try {
    const f = inv.features;
    assert.equal(Object.keys(f), ALL_FACTS);
    assert.equal(f.multiwan, { enabled: false, policies: { backup: 0, balance: 0, custom: 0 }, rules: 0 });
    assert.equal(f.openvpn_rw, { enabled: 0, server: 0, instances: [] });
    assert.equal(f.openvpn_tun, { client: 0, server: 0, tunnels: [] });
    assert.equal(f.threat_shield, { enabled: false, community: 0, enterprise: 0 });
    assert.equal(f.adblock, { enabled: false, community: 0, enterprise: 0 });
    assert.equal(f.dpi, { enabled: false, rules: 0 });
    assert.equal(f.netifyd, { enabled: false });
    assert.equal(f.wireguard, { enabled: false, servers: {} });
    assert.equal(f.dhcp_server, { count: 1, static_leases: 0, dynamic_leases: 0, dns_records_count: 0, dns_forwarder_enabled: false });
    assert.equal(f.mac_ip_binding, { disabled: 1, "soft-binding": 0, "hard-binding": 0 });
    assert.equal(f.qos, { count: 0, rules: [] });
    assert.equal(f.snort, NO_SNORT);
    assert.equal(f.firewall_stats, {
      firewall: { port_forward: 0, nat: { masquerade: 0, snat: 0, accept: 0 }, netmap: { source: 0, destination: 0 }, rules: { forward: 0, input: 0, output: 0 } },
      objects: NO_FIREWALL_OBJECTS,
    });
    assert.equal(f.network.zones, [{ name: "lan", ipv4: 1, ipv6: 0 }, { name: "wan", ipv4: 1, ipv6: 0 }]);
    assert.equal(f.network.interface_counts, { vlans: 0, bridges: 1, bonds: 0 });
    assert.equal(f.network.zone_network_counts, { lan: 1, wan: 2 });
    assert.equal(f.network.route_info, { count_ipv6_route: 0, count_ipv4_route: 0 });
    assert.match(f.network.configuration["br-lan"].props.ipaddr, /^anon-[0-9a-f]{16}$/, "no subscription: addresses anonymized");
    assert.equal(f.certificates_info, { custom_certificates: { count: 0 }, acme_certificates: { count: 0, issued: 0, pending: 0 } });
    assert.equal(f.ui, { luci: false, port443: true, port9090: false });
    assert.equal(f.subscription_status, { status: "no" });
    assert.equal(f.controller, { enabled: false });
    assert.equal(f.rpcd_users, { count: 0 });
    assert.equal(f.database_stats, {});
    assert.equal(f.proxy_pass, { count: 0 });
    assert.equal(f.nathelpers, { count: 0, enabled: false });
    assert.equal(f.ddns, { enabled: false });
    assert.equal(f.snmp, { enabled: false });
    assert.equal(f.default_password, { default_password: false }, "password changed");
    assert.equal(f.backups, {}, "no passphrase: {} as the original");
    assert.equal(f.ipsec, { count: -1 });
    assert.equal(f.hotspot, { enabled: false, server: "", interface: "" });
    assert.equal(f.flashstart, { enabled: false, bypass: 0, pro_plus: false, custom_servers: 0 });
    assert.equal(f.ha, { enabled: false, vips: 0 });
    assert.equal(f.storage, { enabled: false });
    assert.equal(f.clm, { enabled: false });
    assert.equal(f.extra_packages, { count: 0, packages: [] });
    assert.equal(inv.rpms, { "nethserver-firewall-base-ui": "2.5.0-r1" }, "ns-ui from apk's installed database");
  } finally {
    dir.cleanup();
  }
});

test("HA pair member: keepalived VIPs, hotspot, IPsec, storage, CLM, extra packages", async () => {
  const { dir, inv } = await inventoryOf("ha-member");
  try {
    const f = inv.features;
    assert.equal(Object.keys(f), ALL_FACTS);
    assert.equal(f.ha, { enabled: true, vips: 2 });
    assert.equal(f.hotspot, { enabled: true, server: "https://my.nethspot.com/api", interface: "eth3" });
    assert.equal(f.ipsec, { count: 2 });
    assert.equal(f.storage, { enabled: true });
    assert.equal(f.clm, { enabled: true });
    assert.equal(f.extra_packages, { count: 2, packages: ["iperf3", "tcpdump"] });
    assert.equal(f.adblock, { enabled: true, community: 1, enterprise: 1 });
    assert.equal(f.flashstart, { enabled: true, bypass: 1, pro_plus: true, custom_servers: 2 });
    assert.equal(f.subscription_status, { status: "community" });
    assert.equal(f.network.zones, [{ name: "lan", ipv4: 2, ipv6: 0 }, { name: "wan", ipv4: 1, ipv6: 0 }]);
    assert.equal(f.network.zone_network_counts, { lan: 3, wan: 1 });
    assert.equal(f.network.configuration.eth1.props.ipaddr, "198.51.100.7");
    assert.equal(f.firewall_stats.firewall.rules, { forward: 0, input: 1, output: 0 });
    assert.equal(f.mac_ip_binding, { disabled: 3, "soft-binding": 0, "hard-binding": 0 });
    assert.equal(f.multiwan, { enabled: false, policies: { backup: 0, balance: 0, custom: 0 }, rules: 0 });
    assert.equal(f.dhcp_server, { count: 0, static_leases: 0, dynamic_leases: 0, dns_records_count: 0, dns_forwarder_enabled: false });
    assert.equal(f.snort, NO_SNORT);
    assert.equal(f.default_password, { default_password: false });
    assert.equal(f.backups, {});
    assert.equal(inv.rpms, { "nethserver-firewall-base-ui": "2.6.1-r1" });
  } finally {
    dir.cleanup();
  }
});

test("inventory --phonehome: the facts document, schema-valid, with the same features", async () => {
  const dir = testdir();
  cpSync(fixture("root"), dir.root, { recursive: true });
  dir.write("/etc/config/phonehome", "config main 'config'\n\toption enabled '1'\n");
  // ns-api's update checks, as the original asks them
  dir.standin(
    "/usr/libexec/rpcd/ns.update",
    `case "$2" in
  check-package-updates) echo '{"updates": [{"package": "ns-api", "currentVersion": "1.0", "lastVersion": "1.1"}]}' ;;
  check-system-update) echo '{"currentVersion": "NethSecurity 8.6.0-ns.1.6.0", "lastVersion": "NethSecurity 8.6.0-ns.1.6.0"}' ;;
esac`,
  );
  try {
    const r = await runBundle(["inventory", "--phonehome"], { dir });
    assert.is(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout);
    assert.equal(checkFacts202212(doc), []);
    assert.match(dir.read("/etc/config/phonehome"), new RegExp(`option uuid '${doc.uuid}'`), "installation id saved");
    const f = doc.facts;
    assert.equal(f.distro, { name: "NethSecurity", version: "8-24.10.0-ns.1.5.1" });
    assert.is(f.version, "1.5.1");
    assert.equal(f.processors, { count: "2", model: "Intel Xeon Processor (Cascadelake)", architecture: "x86_64" });
    assert.is(f.product.name, "Standard PC (Q35 + ICH9, 2009)");
    assert.is(f.product.manufacturer, "QEMU");
    assert.match(f.product.uuid, /^anon-[0-9a-f]{16}$/, "no subscription: the hardware id is anonymized");
    assert.match(f.fqdn, /^anon-/);
    assert.is(f.virtual, "KVM");
    assert.equal(f.memory, {
      swap: { used_bytes: (524284 - 522236) * 1024, available_bytes: 522236 * 1024 },
      system: { used_bytes: 277786624, available_bytes: 1702344 * 1024 },
    });
    assert.ok("/" in f.mountpoints && "/tmp" in f.mountpoints, Object.keys(f.mountpoints).join());
    for (const p of ["/proc", "/sys", "/rom", "/overlay", "/dev"]) assert.not.ok(p in f.mountpoints, p);
    assert.equal(Object.keys(f.mountpoints["/"]), ["total_bytes", "used_bytes", "available_bytes"]);
    assert.is(f.timezone, "Europe/Rome");
    assert.is(f.uptime_seconds, 93412);
    assert.equal(f.dns_servers, ["1.1.1.1", "9.9.9.9"]);
    assert.is(f.package_updates_available, true, "ns.update lists a package update");
    assert.is(f.image_updates_available, false, "the image is the latest");
    assert.ok(dir.calls().includes("/usr/libexec/rpcd/ns.update call check-system-update"));
    assert.equal(f.pci, [
      {
        class_id: "0200", vendor_id: "8086", device_id: "100e", revision: "03", class_name: "Ethernet controller",
        vendor_name: "Intel Corporation", device_name: "82540EM Gigabit Ethernet Controller", driver: "e1000",
      },
      {
        class_id: "0106", vendor_id: "8086", device_id: "2922", revision: "02", class_name: "SATA controller",
        vendor_name: "Intel Corporation", device_name: "82801IR/IO/IH (ICH9R/DO/DH) 6 port SATA Controller [AHCI mode]", driver: "ahci",
      },
    ]);
    const plain = JSON.parse((await runBundle(["inventory"], { dir })).stdout);
    assert.equal(f.features, plain.features);
  } finally {
    dir.cleanup();
  }
});

test.run();
