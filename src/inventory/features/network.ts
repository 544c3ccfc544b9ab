/**
 * Network feature facts (python3-nethsec fact_network, fact_dhcp_server,
 * fact_mac_ip_binding, fact_multiwan, fact_qos), with the nethsec.utils
 * helpers they use (get_all_devices_by_zone, get_interface_from_device).
 */
import { createDigest } from "../../platform/hash";
import type { UciSection } from "../../platform/uci/codec";
import { byType, get, list, opt, section, type Options, type Sources } from "./sources";

type Fact = Record<string, unknown>;
type Sections = readonly UciSection[] | undefined;

/**
 * nethsec.inventory.anonymize: a unit without a subscription reports hashes
 * instead of its addresses and names.
 */
export function anonymize(value: string, subscriptionType: string): string {
  if (subscriptionType !== "no") return value;
  return `anon-${createDigest("sha256").update(value).hex().slice(0, 16)}`;
}

/** utils.get_all_devices_by_zone, deduplicated. */
export function devicesByZone(firewall: Sections, network: Sections, zone: string, excludeAliases: boolean): string[] {
  const out = new Set<string>();
  for (const [, z] of byType(firewall, "zone")) {
    if (opt(z, "name") !== zone) continue;
    for (const d of list(z, "device")) out.add(d);
    for (const n of list(z, "network")) {
      const device = get(network, n, "device");
      if (excludeAliases && device.startsWith("@")) continue;
      if (device !== "") out.add(device);
      else {
        const name = get(network, n, "name");
        if (name !== "") out.add(name);
      }
    }
  }
  return [...out];
}

/** utils.get_interface_from_device: the logical interface using `device` (a bond is its own section). */
export function interfaceOfDevice(network: Sections, device: string): string | undefined {
  for (const [name, o] of byType(network, "interface")) {
    const proto = opt(o, "proto");
    if (proto === undefined) continue;
    if (proto === "bonding" && name === device) return name;
    const sdevice = opt(o, "device");
    if (sdevice === undefined) continue;
    if (proto !== "bonding" && device === sdevice) return name;
  }
  return undefined;
}

const V6_PROTOS = ["dhcpv6", "6in4", "6to4", "6rd", "grev6", "grev6tap", "vtiv6"];
const isV6 = (o: Options) =>
  [...o.keys()].some((k) => k.startsWith("ip6") || k === "dhcpv6" || k === "ipv6") || V6_PROTOS.includes(opt(o, "proto") ?? "");

export async function network(s: Sources): Promise<Fact> {
  const [net, fw] = [await s.uci("network"), await s.uci("firewall")];
  const zones: Array<{ name: string; ipv4: number; ipv6: number }> = [];
  const counts = { vlans: 0, bridges: 0, bonds: 0 };
  const zoneNetworkCounts: Record<string, number> = {};
  for (const [, z] of byType(fw, "zone")) {
    const name = opt(z, "name");
    if (name === undefined) continue;
    const info = { name, ipv4: 0, ipv6: 0 };
    const devices = devicesByZone(fw, net, name, true);
    for (const device of devices) {
      const iface = interfaceOfDevice(net, device);
      if (iface === undefined) continue;
      const o = section(net, iface)!;
      if (isV6(o)) info.ipv6++;
      else info.ipv4++;
      const dev = opt(o, "device");
      if (dev !== undefined) {
        if (/\.\d+$/.test(dev)) counts.vlans++;
        if (dev.startsWith("br-")) counts.bridges++;
        if (dev.startsWith("bond-")) counts.bonds++;
      }
    }
    zones.push(info);
    // hotspot and VPN zones have devices but no networks; tun-dedalo stands for the real hotspot interface
    const networks = list(section(fw, `ns_${name}`), "network").length;
    zoneNetworkCounts[name] = networks || devices.filter((d) => !d.startsWith("tun-dedalo")).length;
  }
  const sub = get(await s.uci("ns-plug"), "config", "type", "no");
  const configuration: Record<string, unknown> = {};
  for (const n of s.networks ?? []) {
    const props = { ...n.props };
    if (props.ipaddr) props.ipaddr = anonymize(props.ipaddr, sub);
    if (props.gateway) props.gateway = anonymize(props.gateway, sub);
    configuration[n.name] = { ...n, props };
  }
  return {
    zones,
    interface_counts: counts,
    zone_network_counts: zoneNetworkCounts,
    route_info: { count_ipv6_route: byType(net, "route6").length, count_ipv4_route: byType(net, "route").length },
    configuration,
  };
}

export async function dhcp_server(s: Sources): Promise<Fact> {
  const d = await s.uci("dhcp");
  const count = byType(d, "dhcp").filter(([, o]) => opt(o, "dhcpv4") === "server" || opt(o, "dhcpv6") === "server").length;
  const hosts = byType(d, "host");
  const staticMacs = hosts.filter(([, o]) => o.has("mac") && o.has("ip")).map(([, o]) => (opt(o, "mac") ?? "").toLowerCase());
  let dynamic = 0;
  for (const line of ((await s.read("/tmp/dhcp.leases")) ?? "").split("\n")) {
    const mac = line.split(" ")[1];
    if (mac !== undefined && !staticMacs.includes(mac.toLowerCase())) dynamic++;
  }
  let forwarder = false;
  let records = 0;
  const domains = byType(d, "domain").length;
  for (const [, o] of byType(d, "dnsmasq")) {
    if (list(o, "server").length) forwarder = true;
    records += domains; // the original counts every domain record once per dnsmasq instance
  }
  return { count, static_leases: hosts.length, dynamic_leases: dynamic, dns_records_count: records, dns_forwarder_enabled: forwarder };
}

export async function mac_ip_binding(s: Sources): Promise<Fact> {
  // The original asks ns.dhcp list-interfaces: the static-address interfaces outside the wan zone,
  // whose dhcp section carries the same name.
  const [net, fw, d] = [await s.uci("network"), await s.uci("firewall"), await s.uci("dhcp")];
  const wan = new Set(byType(fw, "zone").filter(([, z]) => opt(z, "name") === "wan").flatMap(([, z]) => list(z, "network")));
  const ret = { disabled: 0, "soft-binding": 0, "hard-binding": 0 };
  for (const [iface, o] of byType(net, "interface")) {
    if (opt(o, "proto") !== "static" || wan.has(iface) || iface === "loopback" || opt(o, "device") === "lo") continue;
    const b = get(d, iface, "ns_binding");
    if (b === "" || b === "0") ret.disabled++;
    else if (b === "1") ret["soft-binding"]++;
    else if (b === "2") ret["hard-binding"]++;
  }
  return ret;
}

/** mwan.index_policies' type: one member custom, equal metrics balance, distinct metrics backup. */
export function policyType(metrics: readonly number[]): "backup" | "balance" | "custom" {
  if (metrics.length === 1) return "custom";
  if (metrics.every((m) => m === metrics[0])) return "balance";
  if (metrics.every((m, i) => metrics.indexOf(m) === i)) return "backup";
  return "custom";
}

export async function multiwan(s: Sources): Promise<Fact> {
  const m = await s.uci("mwan3");
  const policies = byType(m, "policy");
  const counts = { backup: 0, balance: 0, custom: 0 };
  for (const [, p] of policies) {
    counts[policyType(list(p, "use_member").map((member) => Number(get(m, member, "metric", "0"))))]++;
  }
  return { enabled: policies.length > 0, policies: counts, rules: byType(m, "rule").length };
}

export async function qos(s: Sources): Promise<Fact> {
  const rules: Array<{ enabled: boolean; upload: number; download: number }> = [];
  for (const [, o] of byType(await s.uci("qosify"), "interface")) {
    if (opt(o, "disabled") !== "0") continue;
    const up = parseInt((opt(o, "bandwidth_up") ?? "").replace(/mbit$/, ""), 10);
    const down = parseInt((opt(o, "bandwidth_down") ?? "").replace(/mbit$/, ""), 10);
    if (Number.isNaN(up) || Number.isNaN(down)) continue;
    rules.push({ enabled: true, upload: up, download: down });
  }
  return { count: rules.length, rules };
}
