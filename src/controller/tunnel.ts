/**
 * The controller tunnel's own networks, from `ip -j address show dev
 * tun-nsplug`: vpn_address is trusted only inside them (SPEC §3.7). The
 * ingest URL through the tunnel is plain HTTP carrying unit_id:token, so an
 * address the controller names outside the tunnel — or a hostname, which
 * DNS could send anywhere — would put the token on the open network.
 * Pure except readTunnelNetworks.
 */
import * as z from "zod/mini";
import type { Ctx } from "../platform/context";
import { errorMessage } from "../platform/errors";

export const TUN_DEVICE = "tun-nsplug";

export interface Network {
  family: "inet" | "inet6";
  local: string;
  prefixlen: number;
}

const IpAddr = z.array(
  z.object({
    addr_info: z.optional(z.array(z.object({
      family: z.optional(z.string()),
      local: z.optional(z.string()),
      prefixlen: z.optional(z.number()),
    }))),
  }),
);

/** Pure: the device's networks in `ip -j address show` output; [] for anything unexpected. */
export function parseNetworks(ipJson: string): Network[] {
  let v: unknown;
  try {
    v = JSON.parse(ipJson);
  } catch {
    return [];
  }
  const r = IpAddr.safeParse(v);
  if (!r.success) return [];
  const out: Network[] = [];
  for (const link of r.data) {
    for (const a of link.addr_info ?? []) {
      if ((a.family === "inet" || a.family === "inet6") && a.local && a.prefixlen !== undefined) {
        out.push({ family: a.family, local: a.local, prefixlen: a.prefixlen });
      }
    }
  }
  return out;
}

/** Pure: an IPv4 or IPv6 literal as a number, or undefined. */
export function ipValue(ip: string): { family: "inet" | "inet6"; value: bigint } | undefined {
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip);
  if (v4) {
    const parts = v4.slice(1).map(Number);
    if (parts.some((p) => p > 255)) return undefined;
    return { family: "inet", value: parts.reduce((acc, p) => (acc << 8n) | BigInt(p), 0n) };
  }
  if (!/^[0-9A-Fa-f:.]+$/.test(ip) || !ip.includes(":")) return undefined;
  let text = ip;
  const tail = /(\d{1,3}(?:\.\d{1,3}){3})$/.exec(ip); // ::ffff:1.2.3.4
  if (tail) {
    const t = ipValue(tail[1]!);
    if (!t) return undefined;
    text = `${ip.slice(0, -tail[1]!.length)}${(t.value >> 16n).toString(16)}:${(t.value & 0xffffn).toString(16)}`;
  }
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const head = halves[0] ? halves[0].split(":") : [];
  const rest = halves.length === 2 && halves[1] ? halves[1].split(":") : [];
  const fill = halves.length === 2 ? 8 - head.length - rest.length : 0;
  if (fill < 0 || (halves.length === 1 && head.length !== 8)) return undefined;
  const groups = [...head, ...Array<string>(fill).fill("0"), ...rest];
  if (groups.length !== 8 || groups.some((g) => !/^[0-9A-Fa-f]{1,4}$/.test(g))) return undefined;
  return { family: "inet6", value: groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n) };
}

/** Pure: whether `ip` (a literal) lies inside one of `networks`. A hostname never does. */
export function insideTunnel(ip: string, networks: readonly Network[]): boolean {
  const a = ipValue(ip);
  if (!a) return false;
  return networks.some((n) => {
    const b = ipValue(n.local);
    if (!b || b.family !== a.family) return false;
    const bits = a.family === "inet" ? 32 : 128;
    if (n.prefixlen < 0 || n.prefixlen > bits) return false;
    const shift = BigInt(bits - n.prefixlen);
    return a.value >> shift === b.value >> shift;
  });
}

/** The tunnel device's networks now; [] when it is down, or `ip` fails. */
export async function readTunnelNetworks(ctx: Ctx): Promise<Network[]> {
  try {
    const r = await ctx.exec("ip", ["-j", "address", "show", "dev", TUN_DEVICE], { timeoutMs: 5_000 });
    return r.code === 0 ? parseNetworks(r.stdout) : [];
  } catch (e) {
    ctx.log.warning(`ip: ${errorMessage(e)}`);
    return [];
  }
}
