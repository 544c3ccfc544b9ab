/**
 * esmithdb.networks of the NS7-shaped inventory, from UCI `network` and
 * `firewall` plus the live addresses (`ifstatus`) when known. Pure.
 */
import { prefixToMask } from "./parse";

export interface UciSectionLike {
  type: string;
  name: string;
  options: ReadonlyMap<string, string | string[]>;
}

export interface LiveAddress {
  ipaddr?: string;
  netmask?: string;
  gateway?: string;
}

export interface NetworkEntry {
  type: "ethernet" | "bridge";
  name: string;
  props: { role: string | null; ipaddr: string; netmask: string; gateway: string; bridge?: string[] };
}

const str = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);
const list = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : v.split(/\s+/).filter(Boolean));

/** The firewall zone an interface belongs to, in the NS7 colour names (lan = green, wan = red). */
export function roleOf(firewall: readonly UciSectionLike[], iface: string): string | null {
  for (const zone of firewall) {
    if (zone.type !== "zone") continue;
    if (!list(zone.options.get("network")).includes(iface)) continue;
    const name = str(zone.options.get("name")) ?? zone.name;
    return name === "lan" ? "green" : name === "wan" ? "red" : name;
  }
  return null;
}

/** Static address from UCI: `ipaddr` may be "a.b.c.d", "a.b.c.d/24", or a list of those. */
export function staticAddress(options: ReadonlyMap<string, string | string[]>): LiveAddress {
  const first = list(options.get("ipaddr"))[0];
  if (!first) return {};
  const [ip, prefix] = first.split("/");
  const netmask = str(options.get("netmask")) ?? (prefix !== undefined ? prefixToMask(Number(prefix)) : undefined);
  return { ipaddr: ip, netmask, gateway: str(options.get("gateway")) };
}

/** Pure: `ifstatus <iface>` JSON → live IPv4 address, mask and default gateway. */
export function liveAddress(status: unknown): LiveAddress {
  const s = status as {
    "ipv4-address"?: Array<{ address?: unknown; mask?: unknown }>;
    route?: Array<{ target?: unknown; mask?: unknown; nexthop?: unknown }>;
  };
  const out: LiveAddress = {};
  const a = Array.isArray(s?.["ipv4-address"]) ? s["ipv4-address"][0] : undefined;
  if (a && typeof a.address === "string") out.ipaddr = a.address;
  if (a && typeof a.mask === "number") out.netmask = prefixToMask(a.mask);
  const def = Array.isArray(s?.route) ? s.route.find((r) => r?.target === "0.0.0.0") : undefined;
  if (def && typeof def.nexthop === "string") out.gateway = def.nexthop;
  return out;
}

/** Interfaces the inventory leaves out, as the original did: IPv6 twins, loopback, tunnels. */
export function skipInterface(name: string, device: string): boolean {
  return name === "lan6" || name === "wan6" || device === "lo" || device.startsWith("ipsec") || device.startsWith("tun");
}

/**
 * Pure: one entry per device (the last interface using a device wins, as in
 * the original), bridges with their ports. `live` holds `ifstatus` answers
 * by interface name; a missing one falls back to the static UCI address.
 */
export function buildNetworks(
  network: readonly UciSectionLike[],
  firewall: readonly UciSectionLike[],
  live: ReadonlyMap<string, LiveAddress> = new Map(),
): NetworkEntry[] {
  const byDevice = new Map<string, NetworkEntry>();
  for (const iface of network) {
    if (iface.type !== "interface") continue;
    const device = str(iface.options.get("device")) ?? str(iface.options.get("ifname"));
    if (!device || skipInterface(iface.name, device)) continue;
    const addr = { ...staticAddress(iface.options), ...definedOnly(live.get(iface.name) ?? {}) };
    const entry: NetworkEntry = {
      type: "ethernet",
      name: device,
      props: {
        role: roleOf(firewall, iface.name),
        ipaddr: addr.ipaddr ?? "",
        netmask: addr.netmask ?? "",
        gateway: addr.gateway ?? "",
      },
    };
    if (device.startsWith("br")) {
      entry.type = "bridge";
      const dev = network.find((d) => d.type === "device" && str(d.options.get("name")) === device);
      entry.props.bridge = dev ? list(dev.options.get("ports")) : [];
    }
    byDevice.set(device, entry);
  }
  return [...byDevice.values()];
}

function definedOnly(a: LiveAddress): LiveAddress {
  const out: LiveAddress = {};
  for (const [k, v] of Object.entries(a)) if (typeof v === "string" && v !== "") out[k as keyof LiveAddress] = v;
  return out;
}
