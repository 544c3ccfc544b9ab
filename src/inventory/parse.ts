/**
 * Parsers for the kernel's text files the inventory reads. Pure: each takes
 * the file's text and returns numbers/strings, or undefined when the text
 * does not hold the fact (the collector turns that into null).
 */

/** /proc/meminfo → bytes. MemAvailable is missing on kernels < 3.14: free + buffers + cache then. */
export function parseMeminfo(text: string):
  | { memTotal: number; memAvailable: number; swapTotal: number; swapFree: number }
  | undefined {
  const kb = new Map<string, number>();
  for (const line of text.split("\n")) {
    const m = /^(\w+(?:\(\w+\))?):\s+(\d+)(?:\s+kB)?\s*$/.exec(line);
    if (m) kb.set(m[1]!, Number(m[2]) * 1024);
  }
  const total = kb.get("MemTotal");
  if (total === undefined) return undefined;
  const available =
    kb.get("MemAvailable") ?? (kb.get("MemFree") ?? 0) + (kb.get("Buffers") ?? 0) + (kb.get("Cached") ?? 0);
  return {
    memTotal: total,
    memAvailable: available,
    swapTotal: kb.get("SwapTotal") ?? 0,
    swapFree: kb.get("SwapFree") ?? 0,
  };
}

export interface CpuInfo {
  count: number;
  /** Distinct model names, in order of first appearance. */
  models: string[];
  /** The CPU reports running under a hypervisor (x86 "hypervisor" flag). */
  hypervisor: boolean;
}

/** /proc/cpuinfo of x86, ARM and MIPS kernels. */
export function parseCpuinfo(text: string): CpuInfo | undefined {
  let count = 0;
  const models: string[] = [];
  let hypervisor = false;
  let fallbackModel: string | undefined;
  for (const line of text.split("\n")) {
    const i = line.indexOf(":");
    if (i < 0) continue;
    const key = line.slice(0, i).trim().toLowerCase();
    const value = line.slice(i + 1).trim();
    if (key === "processor" && /^\d+$/.test(value)) count++;
    else if (key === "model name" || key === "cpu model") {
      if (value && !models.includes(value)) models.push(value);
    } else if ((key === "hardware" || key === "system type" || key === "machine") && value) fallbackModel ??= value;
    else if (key === "flags" && /(^|\s)hypervisor(\s|$)/.test(value)) hypervisor = true;
  }
  if (count === 0) return undefined;
  if (models.length === 0 && fallbackModel) models.push(fallbackModel);
  return { count, models, hypervisor };
}

/** /proc/uptime → whole seconds. */
export function parseUptime(text: string): number | undefined {
  const m = /^(\d+)(?:\.\d+)?\s/.exec(text);
  return m ? Number(m[1]) : undefined;
}

/** /proc/net/arp → number of neighbour entries (the header line does not count). */
export function parseArpCount(text: string): number | undefined {
  const lines = text.split("\n").filter((l) => l.trim() !== "");
  if (lines.length === 0 || !/^IP address/.test(lines[0]!)) return undefined;
  return lines.length - 1;
}

export interface Mount {
  device: string;
  mountpoint: string;
  fstype: string;
}

// /proc/mounts escapes space, tab, newline and backslash as \ooo.
const unescapeMount = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));

export function parseMounts(text: string): Mount[] {
  const out: Mount[] = [];
  for (const line of text.split("\n")) {
    const f = line.trim().split(/\s+/);
    if (f.length < 3 || !f[1]!.startsWith("/")) continue;
    out.push({ device: unescapeMount(f[0]!), mountpoint: unescapeMount(f[1]!), fstype: f[2]! });
  }
  return out;
}

/** Filesystems that hold data (not /proc, /sys, tmpfs, the read-only squashfs ROM, …). */
const PSEUDO = new Set([
  "proc", "sysfs", "devtmpfs", "devpts", "tmpfs", "ramfs", "cgroup", "cgroup2", "debugfs", "tracefs",
  "securityfs", "pstore", "bpf", "mqueue", "hugetlbfs", "configfs", "fusectl", "autofs", "efivarfs",
  "binfmt_misc", "nsfs", "rpc_pipefs", "squashfs", "overlay", "overlayfs",
]);

/** Pure: the mount points whose space the inventory reports: "/" always, plus every data filesystem. */
export function reportedMountpoints(mounts: readonly Mount[]): string[] {
  const points = ["/"];
  for (const m of mounts) {
    if (PSEUDO.has(m.fstype) || points.includes(m.mountpoint)) continue;
    points.push(m.mountpoint);
  }
  return points;
}

/** resolv.conf → nameserver addresses in order. */
export function parseNameservers(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split("\n")) {
    const m = /^\s*nameserver\s+(\S+)/.exec(line);
    if (m && !out.includes(m[1]!)) out.push(m[1]!);
  }
  return out;
}

/**
 * Pure: lscpu's "Hypervisor vendor" from what /sys and /proc show, or
 * "physical". The DMI vendor names the hypervisor more reliably than the CPU
 * flag, which only says "some hypervisor".
 */
export function virtualOf(facts: {
  hypervisorFlag: boolean;
  sysVendor?: string;
  productName?: string;
  hypervisorType?: string;
}): string {
  const vendor = `${facts.sysVendor ?? ""} ${facts.productName ?? ""}`.toLowerCase();
  const known: Array<[RegExp, string]> = [
    [/qemu|kvm/, "KVM"],
    [/vmware/, "VMware"],
    [/microsoft/, "Microsoft"],
    [/innotek|virtualbox/, "Oracle"],
    [/xen/, "Xen"],
    [/parallels/, "Parallels"],
    [/bochs/, "Bochs"],
  ];
  if (facts.hypervisorType?.trim()) return facts.hypervisorType.trim() === "xen" ? "Xen" : facts.hypervisorType.trim();
  for (const [re, name] of known) if (re.test(vendor)) return name;
  return facts.hypervisorFlag ? "unknown" : "physical";
}

/** Pure: is this IPv4 address routable on the Internet (not private, CGNAT, loopback, link-local, …)? */
export function isPublicIPv4(addr: string): boolean {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(addr);
  if (!m) return false;
  const [a, b] = [Number(m[1]), Number(m[2])];
  if ([a, b, Number(m[3]), Number(m[4])].some((n) => n > 255)) return false;
  if (a === 0 || a === 10 || a === 127 || a >= 224) return false;
  if (a === 100 && b >= 64 && b <= 127) return false; // CGNAT
  if (a === 169 && b === 254) return false;
  if (a === 172 && b >= 16 && b <= 31) return false;
  if (a === 192 && b === 168) return false;
  if (a === 192 && b === 0) return false;
  if (a === 198 && (b === 18 || b === 19)) return false;
  return true;
}

/** Pure: prefix length → dotted mask ("24" → "255.255.255.0"). */
export function prefixToMask(prefix: number): string | undefined {
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > 32) return undefined;
  const bits = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return [24, 16, 8, 0].map((s) => (bits >>> s) & 255).join(".");
}
