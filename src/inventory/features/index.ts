/**
 * The built-in feature facts: NethSecurity's own inventory facts
 * (python3-nethsec `nethsec.inventory.fact_*`), computed in-process from one
 * read of each UCI config and state file. They are part of the bundle rather
 * than one executable each because a fact is a few file reads: starting a
 * Node (or Python) process per fact would cost more than all of them together
 * (bench/inventory.bench.mjs). facts.d plugins add facts the package does not
 * know about.
 */
import type { Ctx } from "../../platform/context";
import { errorMessage } from "../../platform/errors";
import { firewall_stats } from "./firewall";
import { dhcp_server, mac_ip_binding, multiwan, network, qos } from "./network";
import * as svc from "./services";
import type { Sources } from "./sources";
import { openvpn_rw, openvpn_tun, wireguard } from "./vpn";

type FactFn = (s: Sources) => Promise<Record<string, unknown>>;

/** Name → fact, in the original's order (Python's dir(): sorted by name). */
export const BUILTIN_FACTS: ReadonlyMap<string, FactFn> = new Map(
  Object.entries({
    adblock: svc.adblock,
    backups: svc.backups,
    certificates_info: svc.certificates_info,
    clm: svc.clm,
    controller: svc.controller,
    database_stats: svc.database_stats,
    ddns: svc.ddns,
    default_password: svc.default_password,
    dhcp_server,
    dpi: svc.dpi,
    extra_packages: svc.extra_packages,
    firewall_stats,
    flashstart: svc.flashstart,
    ha: svc.ha,
    hotspot: svc.hotspot,
    ipsec: svc.ipsec,
    mac_ip_binding,
    multiwan,
    nathelpers: svc.nathelpers,
    netifyd: svc.netifyd,
    network,
    openvpn_rw,
    openvpn_tun,
    proxy_pass: svc.proxy_pass,
    qos,
    rpcd_users: svc.rpcd_users,
    snmp: svc.snmp,
    snort: svc.snort,
    storage: svc.storage,
    subscription_status: svc.subscription_status,
    threat_shield: svc.threat_shield,
    ui: svc.ui,
    wireguard,
  }).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
);

/** Every built-in fact; one that throws is logged and left out, the others still count. */
export async function collectBuiltinFacts(ctx: Ctx, s: Sources): Promise<Record<string, Record<string, unknown>>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const [name, fn] of BUILTIN_FACTS) {
    try {
      out[name] = await fn(s);
    } catch (e) {
      ctx.log.warning(`inventory: fact ${name} skipped: ${errorMessage(e)}`);
    }
  }
  return out;
}
