/**
 * /etc/config/ns-plug, section 'config' (SPEC §2), parsed once at the edge
 * into a typed object. Features receive NsPlugConfig and never read UCI
 * strings themselves. Empty strings mean "not set" (UCI has no null).
 */
import * as z from "zod/mini";
import { describeIssues } from "./platform/schema";
import { ConfigError } from "./platform/errors";
import { redact } from "./platform/log";
import type { Ctx } from "./platform/context";
import { loadPackage, type UciPackage } from "./platform/uci/store";

export const PACKAGE = "ns-plug";
export const SECTION = "config";

const text = z.optional(z.string());
const flag = z.optional(z.enum(["0", "1", "true", "false", "yes", "no", "on", "off"]));
const int = z.optional(z.string().check(z.regex(/^[0-9]{1,6}$/, "expected a whole number")));

const RawSchema = z.object({
  server: text,
  unit_id: text,
  token: text,
  unit_name: text,
  description: text,
  tls_verify: flag,
  tun_mtu: int,
  mssfix: int,
  vpn_address: text,
  api_port: int,
  type: z.optional(z.enum(["enterprise", "community", ""])),
  system_id: text,
  secret: text,
  api_url: text,
  alerts_url: text,
  inventory_url: text,
  backup_url: text,
  repository_url: text,
  channel: text,
  alert_proxy_loglevel: z.optional(z.enum(["error", "warning", "info", "debug"])),
});

export interface NsPlugConfig {
  server?: string;
  unitId?: string;
  token?: string;
  unitName?: string;
  description?: string;
  tlsVerify: boolean;
  tunMtu?: number;
  mssfix?: number;
  vpnAddress?: string;
  apiPort?: number;
  type?: "enterprise" | "community";
  systemId?: string;
  secret?: string;
  apiUrl?: string;
  alertsUrl?: string;
  inventoryUrl?: string;
  backupUrl?: string;
  repositoryUrl?: string;
  channel?: string;
  alertProxyLoglevel: "error" | "warning" | "info" | "debug";
}

const nonEmpty = (v: string | undefined) => (v === undefined || v === "" ? undefined : v);
const num = (v: string | undefined) => (nonEmpty(v) === undefined ? undefined : Number(v));

/** Pure: the options of section 'config' (lists are not valid here) → typed config. */
export function parseNsPlugConfig(options: Record<string, string | string[]>): NsPlugConfig {
  const known: Record<string, unknown> = {};
  for (const key of Object.keys(RawSchema.shape)) if (key in options) known[key] = options[key];
  const r = RawSchema.safeParse(known);
  if (!r.success) {
    throw new ConfigError(`/etc/config/ns-plug: invalid option ${describeIssues(r.error.issues as never)}`);
  }
  const o = r.data;
  return {
    server: nonEmpty(o.server),
    unitId: nonEmpty(o.unit_id),
    token: nonEmpty(o.token),
    unitName: nonEmpty(o.unit_name),
    description: nonEmpty(o.description),
    tlsVerify: !["0", "false", "no", "off"].includes(o.tls_verify ?? "1"),
    tunMtu: num(o.tun_mtu),
    mssfix: num(o.mssfix),
    vpnAddress: nonEmpty(o.vpn_address),
    apiPort: num(o.api_port),
    type: o.type === "" ? undefined : o.type,
    systemId: nonEmpty(o.system_id),
    secret: nonEmpty(o.secret),
    apiUrl: nonEmpty(o.api_url),
    alertsUrl: nonEmpty(o.alerts_url),
    inventoryUrl: nonEmpty(o.inventory_url),
    backupUrl: nonEmpty(o.backup_url),
    repositoryUrl: nonEmpty(o.repository_url),
    channel: nonEmpty(o.channel),
    alertProxyLoglevel: o.alert_proxy_loglevel ?? "warning",
  };
}

/** Load the package and parse its main section. The package is returned for later set/commit. */
export async function readNsPlugConfig(ctx: Ctx): Promise<{ pkg: UciPackage; config: NsPlugConfig }> {
  const pkg = await loadPackage(ctx.fs, PACKAGE);
  const options: Record<string, string | string[]> = {};
  for (const [k, v] of pkg.section(SECTION)?.options ?? []) options[k] = v;
  const config = parseNsPlugConfig(options);
  // From here on these never reach a log line or an error message.
  redact.add(config.secret);
  redact.add(config.token);
  return { pkg, config };
}
