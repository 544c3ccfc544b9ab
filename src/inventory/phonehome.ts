/**
 * The phonehome facts document (schema
 * https://schema.nethserver.org/facts/2022-12.json), what NethSecurity's
 * /usr/sbin/phonehome prints and send-inventory posts to my.nethesis.it's
 * /proxy/inventory collector. It reuses the inventory just collected (so the
 * features, and any facts.d failure, are computed and logged once) and adds
 * the host facts the NS7 inventory does not carry.
 */
import * as z from "zod/mini";
import type { Ctx } from "../platform/context";
import { randomHex } from "../platform/crypt";
import { createDigest } from "../platform/hash";
import { errorMessage } from "../platform/errors";
import { which } from "../platform/exec";
import { commitPackage, loadPackage } from "../platform/uci/store";
import type { Inventory } from "./collect";
import { anonymize, devicesByZone } from "./features/network";
import { ctxSources, get, list } from "./features/sources";
import { parseMounts, parseNameservers } from "./parse";
import { readPci, type PciDevice } from "./pci";

export const FACTS_SCHEMA = "https://schema.nethserver.org/facts/2022-12.json";

export interface Phonehome {
  $schema: string;
  uuid: string;
  installation: "nethsecurity";
  facts: {
    distro: { name: "NethSecurity"; version: string };
    version: string;
    processors: { count: string; model: string; architecture: string };
    product: { name: string; manufacturer: string; uuid: string };
    virtual: string;
    memory: {
      swap: { used_bytes: number; available_bytes: number };
      system: { used_bytes: number; available_bytes: number };
    };
    pci: PciDevice[];
    mountpoints: Record<string, { total_bytes: number; used_bytes: number; available_bytes: number }>;
    features: Record<string, unknown>;
    fqdn: string;
    timezone: string;
    kernel_version: string;
    uptime_seconds: number;
    default_ipv4: string;
    default_ipv6: string;
    package_updates_available: boolean;
    image_updates_available: boolean;
    dns_servers: string[];
  };
}

/** Kernel filesystems df does not list (no blocks); tmpfs and data filesystems stay. */
const NO_BLOCKS = new Set([
  "proc", "sysfs", "devpts", "cgroup", "cgroup2", "debugfs", "tracefs", "securityfs", "pstore", "bpf", "mqueue",
  "configfs", "fusectl", "efivarfs", "binfmt_misc", "nsfs", "hugetlbfs", "autofs", "rpc_pipefs",
]);

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A random (version 4) UUID. */
export function uuid4(): string {
  const h = [...randomHex(16)];
  h[12] = "4";
  h[16] = ((parseInt(h[16]!, 16) & 3) | 8).toString(16);
  const t = h.join("");
  return `${t.slice(0, 8)}-${t.slice(8, 12)}-${t.slice(12, 16)}-${t.slice(16, 20)}-${t.slice(20)}`;
}

/**
 * Pure: NethSecurity's own version from VERSION_ID ("8-24.10.0-ns.1.5.1" →
 * "1.5.1"), as the schema's `version` (^\d+\.\d+\.?\d*$) wants it.
 */
export function nethsecVersion(versionId: string): string {
  const ns = versionId.split("-")[2]?.slice(3) ?? "";
  if (/^\d+\.\d+\.?\d*$/.test(ns)) return ns;
  return /(\d+\.\d+(?:\.\d+)?)/.exec(versionId.split("-").slice(2).join("-") || versionId)?.[1] ?? "0.0";
}

/** Pure: /proc/meminfo → phonehome memory (get_memory: used = total − free − buffers − cached). */
export function phonehomeMemory(text: string): Phonehome["facts"]["memory"] {
  const kb = new Map<string, number>();
  for (const line of text.split("\n")) {
    const m = /^([\w()]+):\s+(\d+)/.exec(line);
    if (m) kb.set(m[1]!, Number(m[2]) * 1024);
  }
  const g = (k: string) => kb.get(k) ?? 0;
  return {
    swap: { used_bytes: g("SwapTotal") - g("SwapFree"), available_bytes: g("SwapFree") },
    system: {
      used_bytes: kb.size ? g("MemTotal") - g("MemFree") - g("Buffers") - g("Cached") : 0,
      available_bytes: g("MemAvailable"),
    },
  };
}

/** Pure: the first global IPv6 address of `devices` in /proc/net/if_inet6. */
export function globalIpv6(ifInet6: string, devices: readonly string[]): string {
  for (const dev of devices) {
    for (const line of ifInet6.split("\n")) {
      const f = line.trim().split(/\s+/);
      if (f.length < 6 || f[5] !== dev || f[3] !== "00" || !/^[0-9a-f]{32}$/i.test(f[0]!)) continue;
      return f[0]!.match(/.{4}/g)!.map((g) => g.replace(/^0+(?=.)/, "")).join(":").toLowerCase();
    }
  }
  return "";
}

/** Pure: a UUID-shaped id derived from `seed` (stable: the same seed gives the same id). */
export function uuidFrom(seed: string): string {
  const h = [...createDigest("sha256").update(seed).hex().slice(0, 32)];
  h[12] = "5"; // name-based
  h[16] = ((parseInt(h[16]!, 16) & 3) | 8).toString(16);
  const t = h.join("");
  return `${t.slice(0, 8)}-${t.slice(8, 12)}-${t.slice(12, 16)}-${t.slice(16, 20)}-${t.slice(20)}`;
}

/**
 * The installation id: phonehome.config.uuid, created (random, saved) the
 * first time, as the original does. Without ns-phonehome's config (package
 * not installed) no config file is made for it: the id is derived from the
 * system id, stable from one send to the next.
 */
async function installationUuid(ctx: Ctx, systemId: string): Promise<string> {
  if (!(await ctx.fs.stat("/etc/config/phonehome"))) return uuidFrom(`ns-plug phonehome ${systemId}`);
  const pkg = await loadPackage(ctx.fs, "phonehome");
  const have = pkg.section("config")?.options.get("uuid");
  if (typeof have === "string" && UUID_RE.test(have)) return have;
  const id = uuid4();
  if (!pkg.section("config")) pkg.setSection("config", "main");
  pkg.set("config", "uuid", id);
  await commitPackage(ctx.fs, pkg);
  return id;
}

/** ns.update's answers, as far as the two flags need them. */
const PackageUpdates = z.looseObject({ updates: z.array(z.unknown()) });
const SystemUpdate = z.looseObject({ currentVersion: z.string(), lastVersion: z.string() });

/** `ns.update call <method>` as the original runs it, bounded; false when absent, failing or not understood. */
async function updateCheck(ctx: Ctx, method: string, decide: (answer: unknown) => boolean): Promise<boolean> {
  const script = ctx.path("/usr/libexec/rpcd/ns.update");
  if (!which(script, undefined)) return false;
  try {
    const r = await ctx.exec(script, ["call", method], { timeoutMs: 10_000, processGroup: true, maxOutput: 1024 * 1024 });
    return r.code === 0 && !r.timedOut && decide(JSON.parse(r.stdout));
  } catch (e) {
    ctx.log.debug(`phonehome: ns.update ${method}: ${errorMessage(e)}`);
    return false;
  }
}

const versionTuple = (v: string) =>
  v.replace(/^NethSecurity /, "").split("-")[0]!.split(".").map(Number);

/** Pure: is `last` a later image than `current` (parse_version tuples compared)? */
export function newerImage(current: string, last: string): boolean {
  const [a, b] = [versionTuple(current), versionTuple(last)];
  if (!current || !last || a.some(Number.isNaN) || b.some(Number.isNaN)) return false;
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if ((b[i] ?? -1) !== (a[i] ?? -1)) return (b[i] ?? -1) > (a[i] ?? -1);
  }
  return false;
}

export async function buildPhonehome(ctx: Ctx, inv: Inventory): Promise<Phonehome> {
  const s = ctxSources(ctx, inv.esmithdb.networks);
  const read = async (p: string) => (await ctx.fs.readIfExists(p).catch(() => undefined)) ?? "";
  const osRelease = await read("/etc/os-release");
  const versionId = /^VERSION_ID=["']?([^"'\n]*)/m.exec(osRelease)?.[1] ?? "";
  const sub = get(await s.uci("ns-plug"), "config", "type", "no");
  const system = (await s.uci("system")) ?? [];
  const sysOpt = (name: string) => {
    for (const sec of system) {
      const v = sec.options.get(name);
      if (typeof v === "string") return v;
    }
    return "";
  };
  const [firewall, network] = [await s.uci("firewall"), await s.uci("network")];
  const wanDevices = devicesByZone(firewall, network, "wan", false);
  const wanIp = inv.esmithdb.networks?.find((n) => n.props.role === "red" && n.props.ipaddr)?.props.ipaddr ?? "";
  const ipv6 = globalIpv6(await read("/proc/net/if_inet6"), wanDevices);
  const dnsmasq = list((await s.uci("dhcp"))?.find((x) => x.name === "ns_dnsmasq")?.options, "server");
  const mountpoints: Phonehome["facts"]["mountpoints"] = {};
  for (const m of parseMounts(await read("/proc/mounts"))) {
    const point = m.mountpoint;
    if (NO_BLOCKS.has(m.fstype) || ["/rom", "/overlay", "/dev"].includes(point) || point in mountpoints) continue;
    const sp = await ctx.fs.statfs(point).catch(() => undefined);
    // df (what the original reads) leaves out filesystems without blocks
    if (sp && sp.totalBytes > 0) {
      mountpoints[point] = { total_bytes: sp.totalBytes, used_bytes: sp.usedBytes, available_bytes: sp.availableBytes };
    }
  }
  const productUuid = inv.dmi.product.uuid ?? "";
  // both checks may ask the update server: side by side, they cost one 10 s bound at most
  const [packageUpdates, imageUpdates] = await Promise.all([
    updateCheck(ctx, "check-package-updates", (a) => {
      const r = PackageUpdates.safeParse(a);
      return r.success && r.data.updates.length > 0;
    }),
    updateCheck(ctx, "check-system-update", (a) => {
      const r = SystemUpdate.safeParse(a);
      return r.success && newerImage(r.data.currentVersion, r.data.lastVersion);
    }),
  ]);
  return {
    $schema: FACTS_SCHEMA,
    uuid: await installationUuid(ctx, get(await s.uci("ns-plug"), "config", "system_id")),
    installation: "nethsecurity",
    facts: {
      distro: { name: "NethSecurity", version: versionId },
      version: nethsecVersion(versionId),
      processors: {
        count: String(inv.processors.count ?? 0), // the original's `grep | wc -l`: a string
        model: inv.processors.models?.[0] ?? "",
        architecture: inv.processors.isa ?? "",
      },
      product: {
        name: inv.dmi.product.name ?? "",
        manufacturer: inv.dmi.board.manufacturer ?? "",
        uuid: productUuid ? anonymize(productUuid, sub) : "",
      },
      virtual: inv.virtual ?? "physical",
      memory: phonehomeMemory(await read("/proc/meminfo")),
      pci: await readPci(ctx),
      mountpoints,
      features: inv.features,
      fqdn: sysOpt("hostname") ? anonymize(sysOpt("hostname"), sub) : "",
      timezone: sysOpt("zonename"),
      kernel_version: (await read("/proc/version")).split(/\s+/)[2] ?? "",
      uptime_seconds: inv.system_uptime.seconds ?? 0,
      // no lookup of our address on third-party resolvers: the first WAN address, as the original's fallback
      default_ipv4: wanIp ? anonymize(wanIp, sub) : "",
      default_ipv6: ipv6 ? anonymize(ipv6, sub) : "",
      package_updates_available: packageUpdates,
      image_updates_available: imageUpdates,
      dns_servers: dnsmasq.length ? dnsmasq : parseNameservers(await read("/tmp/resolv.conf.d/resolv.conf.auto")),
    },
  };
}
