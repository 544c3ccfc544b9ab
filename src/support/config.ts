/**
 * /etc/config/don, section `config main 'config'` (SPEC §9), parsed once.
 * An empty `system_id` falls back to ns-plug's (the subscription's).
 */
import * as z from "zod/mini";
import type { Ctx } from "../platform/context";
import { ConfigError } from "../platform/errors";
import { describeIssues } from "../platform/schema";
import { loadPackage } from "../platform/uci/store";

export interface DonConfig {
  server: string;
  /** Router paths. */
  ca: string;
  sshKey: string;
  systemId?: string;
  /** Seconds to wait for the tunnel address (option `connect_timeout`, default 60). */
  connectTimeout: number;
}

export const DEFAULTS = {
  server: "sos.nethesis.it",
  ca: "/etc/don/nethesis.pem",
  ssh_key: "/etc/don/nethesis.pub",
  connect_timeout: "60",
} as const;

const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/;
const IPV6 = /^[0-9A-Fa-f:.]{2,45}$/;
/** Paths end up in OpenVPN's and sshd's config files: no whitespace, quotes, `%` or `\`. */
const PATH = /^\/[A-Za-z0-9._\/+-]*$/;

const opt = (re: RegExp, what: string) => z.optional(z.string().check(z.refine((v) => v === "" || re.test(v), what)));

const RawSchema = z.object({
  server: opt(new RegExp(`${HOSTNAME.source}|${IPV6.source}`), "not a hostname or IP address"),
  ca: opt(PATH, "not an absolute path of plain characters"),
  ssh_key: opt(PATH, "not an absolute path of plain characters"),
  system_id: opt(/^[A-Za-z0-9._:-]{1,128}$/, "not a system id"),
  connect_timeout: opt(/^[0-9]{1,4}$/, "not a number of seconds"),
});

const or = (v: string | undefined, d: string) => (v === undefined || v === "" ? d : v);

/** Pure: the two sections' options → config. */
export function parseDonConfig(don: Record<string, unknown>, nsPlugSystemId: unknown): DonConfig {
  const known: Record<string, unknown> = {};
  for (const k of Object.keys(RawSchema.shape)) if (k in don) known[k] = don[k];
  const r = RawSchema.safeParse(known);
  if (!r.success) throw new ConfigError(`/etc/config/don: invalid option ${describeIssues(r.error.issues as never)}`);
  const o = r.data;
  const fallback = typeof nsPlugSystemId === "string" && /^[A-Za-z0-9._:-]{1,128}$/.test(nsPlugSystemId) ? nsPlugSystemId : undefined;
  const timeout = Number(or(o.connect_timeout, DEFAULTS.connect_timeout));
  return {
    server: or(o.server, DEFAULTS.server),
    ca: or(o.ca, DEFAULTS.ca),
    sshKey: or(o.ssh_key, DEFAULTS.ssh_key),
    systemId: o.system_id || fallback,
    connectTimeout: timeout > 0 ? timeout : Number(DEFAULTS.connect_timeout),
  };
}

export async function readDonConfig(ctx: Ctx): Promise<DonConfig> {
  const don = await loadPackage(ctx.fs, "don");
  const plug = await loadPackage(ctx.fs, "ns-plug");
  const options = Object.fromEntries(don.section("config")?.options ?? []);
  return parseDonConfig(options, plug.getString("config", "system_id"));
}
