/**
 * The inventory (SPEC §3.4): NS7-compatible JSON from /proc, /sys,
 * /etc/os-release and UCI, read through ctx.fs so that a test root feeds
 * fixture trees. Every fact is read on its own: one that can't be read is
 * null and is logged at debug level; collecting never throws.
 */
import { parse as parseIni } from "ini";
import type { Ctx } from "../platform/context";
import { which } from "../platform/exec";
import { errorMessage } from "../platform/errors";
import { loadPackage } from "../platform/uci/store";
import { collectPluginFacts } from "./facts";
import { BUILTIN_FACTS, collectBuiltinFacts } from "./features";
import { ctxSources } from "./features/sources";
import { inventoryRpms } from "./packages";
import { buildNetworks, liveAddress, skipInterface, type LiveAddress, type NetworkEntry } from "./network";
import {
  isPublicIPv4, parseArpCount, parseCpuinfo, parseMeminfo, parseMounts, parseNameservers, parseUptime,
  reportedMountpoints, virtualOf,
} from "./parse";

export interface Inventory {
  arp_macs: number | null;
  dmi: {
    product: { name: string | null; uuid: string | null };
    bios: { version: string | null; vendor: string | null };
    board: { product: string | null; manufacturer: string | null };
  };
  virtual: string | null;
  kernel: string | null;
  kernelrelease: string | null;
  networking: { fqdn: string | null };
  os: { type: string; name: string; release: { full: string | null; major: number }; family: string };
  processors: { count: number | null; models: string[] | null; isa: string | null };
  timezone: string | null;
  system_uptime: { seconds: number | null };
  esmithdb: { networks: NetworkEntry[] | null; configuration: unknown[] };
  memory: {
    swap: { used_bytes: number; available_bytes: number } | null;
    system: { used_bytes: number; available_bytes: number } | null;
  };
  mountpoints: Record<string, { used_bytes: number; available_bytes: number } | null> | null;
  public_ip: string | null;
  features: Record<string, Record<string, unknown>>;
  /** NS7's package map; NethSecurity reports its UI version as `nethserver-firewall-base-ui`. */
  rpms: Record<string, string>;
}

/** Run `read`; on any failure log why and give null. */
async function fact<T>(ctx: Ctx, name: string, read: () => Promise<T | undefined>): Promise<T | null> {
  try {
    const v = await read();
    if (v === undefined) ctx.log.debug(`inventory: ${name}: not available`);
    return v === undefined ? null : v;
  } catch (e) {
    ctx.log.debug(`inventory: ${name}: ${errorMessage(e)}`);
    return null;
  }
}

const firstLine = (t: string | undefined) => {
  const v = t?.split("\n")[0]?.trim();
  return v ? v : undefined;
};

async function readLine(ctx: Ctx, path: string): Promise<string | undefined> {
  return firstLine(await ctx.fs.readIfExists(path));
}

async function readIni(ctx: Ctx, path: string): Promise<Record<string, string>> {
  const text = await ctx.fs.readIfExists(path);
  if (text === undefined) return {};
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(parseIni(text))) if (typeof v === "string") out[k] = v;
  return out;
}

/** board.json (OpenWrt's board detection) names embedded boards that have no DMI. */
async function boardJson(ctx: Ctx): Promise<{ id?: string; name?: string }> {
  const text = await ctx.fs.readIfExists("/etc/board.json");
  if (!text) return {};
  const model = (JSON.parse(text) as { model?: { id?: unknown; name?: unknown } }).model;
  return {
    id: typeof model?.id === "string" ? model.id : undefined,
    name: typeof model?.name === "string" ? model.name : undefined,
  };
}

async function liveAddresses(ctx: Ctx, names: string[]): Promise<Map<string, LiveAddress>> {
  const out = new Map<string, LiveAddress>();
  if (!which("ifstatus", ctx.env.PATH)) return out;
  for (const name of names) {
    try {
      const r = await ctx.exec("ifstatus", [name], { timeoutMs: 5000 });
      if (r.code === 0) out.set(name, liveAddress(JSON.parse(r.stdout)));
    } catch (e) {
      ctx.log.debug(`inventory: ifstatus ${name}: ${errorMessage(e)}`);
    }
  }
  return out;
}

export async function collectInventory(ctx: Ctx, opts: { factsDir?: string; factsTimeoutMs?: number } = {}): Promise<Inventory> {
  const dmi = (f: string) => readLine(ctx, `/sys/class/dmi/id/${f}`);
  const board = await boardJson(ctx).catch(() => ({}) as { id?: string; name?: string });
  const osRelease = await readIni(ctx, "/etc/os-release").catch(() => ({}) as Record<string, string>);
  const openwrtRelease = await readIni(ctx, "/etc/openwrt_release").catch(() => ({}) as Record<string, string>);
  const hostname = await fact(ctx, "hostname", () => readLine(ctx, "/proc/sys/kernel/hostname"));
  const cpu = await fact(ctx, "cpuinfo", async () => parseCpuinfo((await ctx.fs.readIfExists("/proc/cpuinfo")) ?? ""));
  const mem = await fact(ctx, "meminfo", async () => parseMeminfo((await ctx.fs.readIfExists("/proc/meminfo")) ?? ""));
  const release = osRelease.VERSION ?? null;

  // loadPackage reads a missing file as an empty config; for the inventory a missing file is an unknown fact.
  const uciSections = async (name: string) =>
    (await ctx.fs.stat(`/etc/config/${name}`)) ? (await loadPackage(ctx.fs, name)).sections() : undefined;
  const network = await fact(ctx, "uci network", () => uciSections("network"));
  const firewall = (await fact(ctx, "uci firewall", () => uciSections("firewall"))) ?? [];
  const ifaces = (network ?? [])
    .filter((s) => s.type === "interface")
    .filter((s) => {
      const dev = s.options.get("device") ?? s.options.get("ifname");
      return typeof dev === "string" && !skipInterface(s.name, dev);
    })
    .map((s) => s.name);
  const live = await liveAddresses(ctx, ifaces);
  const networks = network ? buildNetworks(network, firewall, live) : null;
  const nameservers = await fact(ctx, "resolv.conf", async () => {
    const t = await ctx.fs.readIfExists("/tmp/resolv.conf.d/resolv.conf.auto");
    return t === undefined ? undefined : parseNameservers(t);
  });

  const mountpoints = await fact(ctx, "mounts", async () => {
    const mounts = parseMounts((await ctx.fs.readIfExists("/proc/mounts")) ?? "");
    const out: Record<string, { used_bytes: number; available_bytes: number } | null> = {};
    for (const point of reportedMountpoints(mounts)) {
      const s = await ctx.fs.statfs(point).catch(() => undefined);
      out[point] = s ? { used_bytes: s.usedBytes, available_bytes: s.availableBytes } : null;
    }
    return out;
  });

  const publicIp =
    networks?.find((n) => n.props.role === "red" && isPublicIPv4(n.props.ipaddr))?.props.ipaddr ?? null;

  return {
    arp_macs: await fact(ctx, "arp", async () => parseArpCount((await ctx.fs.readIfExists("/proc/net/arp")) ?? "")),
    dmi: {
      product: {
        name: await fact(ctx, "dmi product_name", async () => (await dmi("product_name")) ?? board.name),
        uuid: await fact(ctx, "dmi product_uuid", () => dmi("product_uuid")),
      },
      bios: {
        version: await fact(ctx, "dmi bios_version", () => dmi("bios_version")),
        vendor: await fact(ctx, "dmi bios_vendor", () => dmi("bios_vendor")),
      },
      board: {
        product: await fact(ctx, "dmi board_name", async () => (await dmi("board_name")) ?? board.id),
        manufacturer: await fact(ctx, "dmi sys_vendor", () => dmi("sys_vendor")),
      },
    },
    virtual: cpu
      ? virtualOf({
          hypervisorFlag: cpu.hypervisor,
          sysVendor: (await dmi("sys_vendor").catch(() => undefined)) ?? undefined,
          productName: (await dmi("product_name").catch(() => undefined)) ?? undefined,
          hypervisorType: (await readLine(ctx, "/sys/hypervisor/type").catch(() => undefined)) ?? undefined,
        })
      : null,
    kernel: await fact(ctx, "ostype", () => readLine(ctx, "/proc/sys/kernel/ostype")),
    kernelrelease: await fact(ctx, "osrelease", () => readLine(ctx, "/proc/sys/kernel/osrelease")),
    networking: { fqdn: hostname },
    // The original's constants: the portal keys NethSecurity inventories on them.
    os: { type: "nextsecurity", name: "NextSec", release: { full: release, major: 7 }, family: "OpenWRT" },
    processors: {
      count: cpu?.count ?? null,
      models: cpu?.models ?? null,
      isa: await fact(ctx, "arch", async () => (await readLine(ctx, "/proc/sys/kernel/arch")) ?? openwrtRelease.DISTRIB_ARCH),
    },
    timezone: await fact(ctx, "uci system zonename", async () => {
      const sys = (await loadPackage(ctx.fs, "system")).sectionsOfType("system")[0];
      const z = sys?.options.get("zonename");
      return typeof z === "string" && z !== "" ? z : undefined;
    }),
    system_uptime: { seconds: await fact(ctx, "uptime", async () => parseUptime((await ctx.fs.readIfExists("/proc/uptime")) ?? "")) },
    esmithdb: {
      networks,
      configuration: [
        { name: "sysconfig", type: "configuration", props: { Version: release } },
        { name: "dns", type: "configuration", props: { NameServers: nameservers ? nameservers.join(",") : null } },
        { name: "SystemName", type: hostname ? hostname.split(".")[0] : null },
        { name: "DomainName", type: hostname ? hostname.split(".").slice(1).join(".") : null },
      ],
    },
    memory: {
      swap: mem ? { used_bytes: mem.swapTotal - mem.swapFree, available_bytes: mem.swapFree } : null,
      system: mem ? { used_bytes: mem.memTotal - mem.memAvailable, available_bytes: mem.memAvailable } : null,
    },
    mountpoints,
    public_ip: publicIp,
    features: {
      ...(await collectBuiltinFacts(ctx, ctxSources(ctx, networks))),
      ...(await collectPluginFacts(ctx, opts.factsDir, opts.factsTimeoutMs, new Set(BUILTIN_FACTS.keys()))),
    },
    rpms: await inventoryRpms(ctx),
  };
}
