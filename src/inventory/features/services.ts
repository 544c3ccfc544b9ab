/**
 * Feature facts of single services, after python3-nethsec's
 * `nethsec.inventory.fact_*` (same names, fields and value types). Each reads
 * the service's UCI config and state files; a service that is not installed
 * reads as its defaults (disabled, zero), as the original's `default=` does.
 */
import { verifyPassword } from "../../platform/crypt";
import { byType, get, list, opt, section, truthy, type Sources } from "./sources";

type Fact = Record<string, unknown>;

/** Enterprise feeds are the vendor's (nethesis*, yoroi*), the rest are community ones. */
function feeds(names: readonly string[]): { community: number; enterprise: number } {
  let enterprise = 0;
  for (const f of names) if (f.startsWith("nethesis") || f.startsWith("yoroi")) enterprise++;
  return { community: names.length - enterprise, enterprise };
}

/** Python configparser, only as far as fact_netifyd needs it: `key = value` in `[section]`. */
export function iniValue(text: string, sec: string, key: string): string | undefined {
  let cur = "";
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#") || line.startsWith(";")) continue;
    const h = /^\[(.+)\]$/.exec(line);
    if (h) {
      cur = h[1]!;
      continue;
    }
    const m = /^([^=:]+?)\s*[=:]\s*(.*)$/.exec(line);
    if (m && cur === sec && m[1]!.toLowerCase() === key) return m[2]!;
  }
  return undefined;
}

export async function hotspot(s: Sources): Promise<Fact> {
  const d = await s.uci("dedalo");
  return {
    enabled: get(d, "config", "disabled", "1") === "0",
    server: get(d, "config", "api_url"),
    interface: get(d, "config", "interface"),
  };
}

export async function netifyd(s: Sources): Promise<Fact> {
  const text = await s.read("/etc/netifyd.conf");
  return { enabled: (text === undefined ? "no" : (iniValue(text, "netifyd", "enable_sink") ?? "no")) === "yes" };
}

export async function flashstart(s: Sources): Promise<Fact> {
  const g = section(await s.uci("flashstart"), "global");
  return {
    enabled: opt(g, "enabled") === "1",
    bypass: list(g, "bypass").length,
    pro_plus: truthy(opt(g, "proplus")),
    custom_servers: list(g, "custom_servers").length,
  };
}

export async function subscription_status(s: Sources): Promise<Fact> {
  return { status: get(await s.uci("ns-plug"), "config", "type", "no") };
}

export async function controller(s: Sources): Promise<Fact> {
  const c = section(await s.uci("ns-plug"), "config");
  return { enabled: Boolean(opt(c, "server") && opt(c, "unit_id") && opt(c, "token")) };
}

export async function rpcd_users(s: Sources): Promise<Fact> {
  // root and the controller's login (random username, section 'controller') are not administrators' accounts
  const logins = byType(await s.uci("rpcd"), "login").filter(([name, o]) => opt(o, "username") !== "root" && name !== "controller");
  return { count: logins.length };
}

export async function threat_shield(s: Sources): Promise<Fact> {
  const g = section(await s.uci("banip"), "global");
  return { enabled: opt(g, "ban_enabled") === "1", ...feeds(list(g, "ban_feed")) };
}

export async function adblock(s: Sources): Promise<Fact> {
  const g = section(await s.uci("adblock"), "global");
  return { enabled: opt(g, "ts_enabled") === "1", ...feeds(list(g, "adb_sources")) };
}

export async function ui(s: Sources): Promise<Fact> {
  const c = section(await s.uci("ns-ui"), "config");
  return {
    luci: opt(c, "luci_enable") === "1",
    port443: opt(c, "nsui_enable") === "1",
    port9090: opt(c, "nsui_extra_enable") === "1" && (opt(c, "nsui_extra_port") ?? "0") === "9090",
  };
}

export async function storage(s: Sources): Promise<Fact> {
  return { enabled: get(await s.uci("fstab"), "ns_data", "enabled", "0") === "1" };
}

export async function clm(s: Sources): Promise<Fact> {
  return { enabled: get(await s.uci("ns-clm"), "config", "enabled", "0") === "1" };
}

export async function proxy_pass(s: Sources): Promise<Fact> {
  return { count: byType(await s.uci("nginx"), "location").filter(([, o]) => Boolean(opt(o, "proxy_pass"))).length };
}

export async function dpi(s: Sources): Promise<Fact> {
  const d = await s.uci("dpi");
  return {
    enabled: get(d, "config", "enabled", "0") === "1",
    rules: byType(d, "rule").filter(([, o]) => opt(o, "enabled") === "1").length,
  };
}

/** apk's world file: one constraint a line; the package name is what precedes any version operator. */
export function worldNames(text: string | undefined): Set<string> {
  const names = new Set<string>();
  for (const raw of (text ?? "").split("\n")) {
    const line = raw.trim();
    if (!line || line.startsWith("#") || line.startsWith("!")) continue;
    const name = line.split(/[<>=~]/, 1)[0]!.trim();
    if (name) names.add(name);
  }
  return names;
}

export async function extra_packages(s: Sources): Promise<Fact> {
  const base = worldNames(await s.read("/rom/etc/apk/world"));
  const current = worldNames(await s.read("/etc/apk/world"));
  // no base world (opkg images, unreadable squashfs): report nothing rather than the whole world
  const extras = base.size ? [...current].filter((n) => !base.has(n)).sort() : [];
  return { count: extras.length, packages: extras };
}

export async function ipsec(s: Sources): Promise<Fact> {
  const c = await s.uci("ipsec");
  // the original's get_all_by_type gives None for a missing config, and len(None) lands in its -1
  return { count: c === undefined ? -1 : byType(c, "remote").length };
}

export async function nathelpers(s: Sources): Promise<Fact> {
  const text = await s.read("/etc/modules.d/ns-nathelpers");
  const count = text ? text.split("\n").length - (text.endsWith("\n") ? 1 : 0) : 0;
  return { count, enabled: count > 0 };
}

/** rc.common `enabled`: the init script has its S??<name> link in /etc/rc.d. */
async function initEnabled(s: Sources, name: string): Promise<boolean> {
  if (!(await s.exists(`/etc/init.d/${name}`))) return false;
  return (await s.list("/etc/rc.d")).some((f) => new RegExp(`^S\\d\\d${name}$`).test(f));
}

/** procd `running`, read from /proc instead of asking ubus: a process of that name exists. */
async function processRunning(s: Sources, comm: string): Promise<boolean> {
  for (const pid of await s.list("/proc")) {
    if (!/^\d+$/.test(pid)) continue;
    if ((await s.read(`/proc/${pid}/comm`))?.trim() === comm) return true;
  }
  return false;
}

export async function ddns(s: Sources): Promise<Fact> {
  return { enabled: await initEnabled(s, "ddns") };
}

export async function snmp(s: Sources): Promise<Fact> {
  return { enabled: (await s.exists("/etc/init.d/snmpd")) && (await processRunning(s, "snmpd")) };
}

export async function snort(s: Sources): Promise<Fact> {
  const c = await s.uci("snort");
  const main = section(c, "snort");
  const nfq = section(c, "nfq");
  return {
    enabled: truthy(opt(main, "enabled")),
    policy: opt(main, "ns_policy") ?? "",
    oink_enabled: Boolean(opt(main, "oinkcode")),
    disabled_rules: list(main, "ns_disabled_rules").length,
    suppressed_rules: list(main, "ns_suppress").length,
    bypass_src_ipv4: list(nfq, "bypass_src_v4").length,
    bypass_src_ipv6: list(nfq, "bypass_src_v6").length,
    bypass_dst_ipv4: list(nfq, "bypass_dst_v4").length,
    bypass_dst_ipv6: list(nfq, "bypass_dst_v6").length,
  };
}

export async function backups(s: Sources): Promise<Fact> {
  const mtime = await s.mtime("/etc/backup.pass");
  // the original answers {} when the passphrase file is missing (its getmtime raises)
  return mtime === undefined ? {} : { backup_passphrase: true, passphrase_date: mtime };
}

export async function ha(s: Sources): Promise<Fact> {
  const k = await s.uci("keepalived");
  return { enabled: byType(k, "vrrp_instance").length > 0, vips: byType(k, "ipaddress").length };
}

/** The factory password NethSecurity ships with. */
const FACTORY_PASSWORD = "Nethesis,1234";

export async function default_password(s: Sources): Promise<Fact> {
  // The original tries `ubus call session login` as root; rpcd checks root against /etc/shadow,
  // so the same answer comes from the shadow hash, with no process and no session left behind.
  const shadow = await s.read("/etc/shadow");
  const hash = shadow?.split("\n").find((l) => l.startsWith("root:"))?.split(":")[1] ?? "";
  return { default_password: hash !== "" && verifyPassword(FACTORY_PASSWORD, hash) };
}

export async function certificates_info(s: Sources): Promise<Fact> {
  const files = await s.list("/etc/nginx/custom_certs");
  const custom = files.filter((f) => f.endsWith(".crt") && files.includes(`${f.slice(0, -4)}.key`)).length;
  const acme = { count: 0, issued: 0, pending: 0 };
  const certs = byType(await s.uci("acme"), "cert");
  // the original reads ['enabled'] of every cert first: one without it stops the ACME count at zero
  if (certs.every(([, o]) => o.has("enabled"))) {
    for (const [, o] of certs.filter(([, c]) => opt(c, "enabled") === "1")) {
      const domain = list(o, "domains")[0];
      if (domain === undefined) break;
      acme.count++;
      if (await s.exists(`/etc/ssl/acme/${domain}.fullchain.crt`)) acme.issued++;
      else acme.pending++;
    }
  }
  return { custom_certificates: { count: custom }, acme_certificates: acme };
}

export async function database_stats(s: Sources): Promise<Fact> {
  const u = await s.uci("users");
  const out: Record<string, { users: number }> = {};
  for (const db of (u ?? []).filter((x) => x.type === "local" || x.type === "ldap")) {
    out[db.name] = { users: byType(u, "user").filter(([, o]) => opt(o, "database") === db.name).length };
  }
  return out;
}
