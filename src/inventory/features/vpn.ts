/** VPN feature facts (python3-nethsec fact_openvpn_rw, fact_openvpn_tun, fact_wireguard). */
import { byType, opt, truthy, type Sources } from "./sources";

type Fact = Record<string, unknown>;

export async function openvpn_rw(s: Sources): Promise<Fact> {
  const all = byType(await s.uci("openvpn"), "openvpn");
  let enabled = 0;
  let server = 0;
  for (const [, o] of all) {
    if (!opt(o, "ns_auth_mode")) continue;
    server++;
    if (opt(o, "enabled") === "1") enabled++;
  }
  // road warrior servers are the NethSecurity-managed (ns_*) sections with an authentication mode
  const instances = all
    .filter(([name, o]) => name.startsWith("ns_") && o.has("ns_auth_mode"))
    .map(([name, o]) => ({
      section: name,
      authentication: opt(o, "ns_auth_mode") ?? null,
      user_database: opt(o, "ns_user_db") ?? null,
      mode: opt(o, "dev_type") ?? null,
    }));
  return { enabled, server, instances };
}

export async function openvpn_tun(s: Sources): Promise<Fact> {
  let client = 0;
  let server = 0;
  const tunnels: Array<{ section: string; mode: string | null }> = [];
  for (const [name, o] of byType(await s.uci("openvpn"), "openvpn")) {
    if (o.has("ns_auth_mode") || !name.startsWith("ns_")) continue;
    if (opt(o, "client") === "1" || opt(o, "ns_client") === "1") client++;
    else server++;
    tunnels.push({ section: name, mode: opt(o, "dev_type") ?? null });
  }
  return { client, server, tunnels };
}

export async function wireguard(s: Sources): Promise<Fact> {
  const net = await s.uci("network");
  const servers: Record<string, { peers: number; routing_all_traffic: number }> = {};
  for (const [iface, o] of byType(net, "interface")) {
    if (opt(o, "proto") !== "wireguard") continue;
    const peers = byType(net, `wireguard_${iface}`);
    servers[iface] = {
      peers: peers.length,
      routing_all_traffic: peers.filter(([, p]) => truthy(opt(p, "ns_route_all_traffic"))).length,
    };
  }
  return { enabled: Object.keys(servers).length > 0, servers };
}

