/**
 * The controller's 200 answer is untrusted input (SPEC §4): every value that
 * reaches client.conf, the rsyslog file or UCI is checked here first. A
 * value either passes whole or the answer is refused; nothing is "cleaned"
 * except the PEM fields, which are rebuilt from their validated blocks.
 */
import * as z from "zod/mini";
import { describeIssues } from "../platform/schema";
import { extractPem } from "./pem";

const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/;
const ipv4 = z.ipv4();
const ipv6 = z.ipv6();

/** Pure: a hostname, IPv4 or IPv6 literal (no brackets, no zone, no whitespace, no quotes). */
export function isHost(v: string): boolean {
  if (v.includes(":")) return v.length <= 45 && ipv6.safeParse(v).success;
  // All-numeric names are never hostnames (RFC 3696 §2): "999.1.1.1" must be a valid IPv4 or nothing.
  if (/^[0-9.]+$/.test(v)) return ipv4.safeParse(v).success;
  return HOSTNAME.test(v);
}

/** Pure: a port given as a number or a string of digits → 1–65535, else undefined. */
export function toPort(v: unknown): number | undefined {
  let n: number;
  if (typeof v === "number") n = v;
  else if (typeof v === "string" && /^[0-9]{1,5}$/.test(v)) n = Number(v);
  else return undefined;
  return Number.isInteger(n) && n >= 1 && n <= 65535 ? n : undefined;
}

const host = z.string().check(
  z.maxLength(253, "too long"),
  z.refine(isHost, "not a hostname, IPv4 or IPv6 address"),
);
const port = z.union([z.number(), z.string().check(z.maxLength(5, "too long"))]).check(
  z.refine((v) => toPort(v) !== undefined, "not a port number 1-65535"),
);
const pemText = z.string().check(z.maxLength(64 * 1024, "too long"));

const DataSchema = z.object({
  host,
  port,
  ca: pemText,
  cert: pemText,
  key: pemText,
  promtail_address: host,
  promtail_port: port,
  // Optional: absent, null or "" all mean "not given" (the original read them with jq's `// empty`).
  api_port: z.optional(z.union([port, z.literal(""), z.null()])),
  vpn_address: z.optional(z.union([host, z.literal(""), z.null()])),
});

/** What a successful registration gives us, every field validated. */
export interface ControllerData {
  host: string;
  port: number;
  ca: string;
  cert: string;
  key: string;
  promtailAddress: string;
  promtailPort: number;
  /** Both or neither (SPEC §3.1 step 5 saves them only together). */
  vpnAddress?: string;
  apiPort?: number;
}

export type DataResult = { ok: true; data: ControllerData } | { ok: false; why: string };

/** Pure: validate the `data` object of a 200 answer. */
export function parseRegistrationData(data: unknown): DataResult {
  const r = DataSchema.safeParse(data);
  if (!r.success) return { ok: false, why: describeIssues(r.error.issues as never) };
  const d = r.data;
  const out: Partial<ControllerData> = {
    host: d.host,
    port: toPort(d.port)!,
    promtailAddress: d.promtail_address,
    promtailPort: toPort(d.promtail_port)!,
  };
  for (const [field, kind] of [["ca", "certificates"], ["cert", "certificates"], ["key", "key"]] as const) {
    const pem = extractPem(d[field], kind);
    if (!pem.ok) return { ok: false, why: `${field}: ${pem.why}` };
    out[field] = pem.pem;
  }
  // Only an IP literal: a name could resolve outside the tunnel (tunnel.ts); the public URL is used instead.
  const vpnIsIp = !!d.vpn_address && (ipv4.safeParse(d.vpn_address).success || ipv6.safeParse(d.vpn_address).success);
  if (vpnIsIp && d.api_port !== undefined && d.api_port !== null && d.api_port !== "") {
    out.vpnAddress = d.vpn_address!;
    out.apiPort = toPort(d.api_port)!;
  }
  return { ok: true, data: out as ControllerData };
}
