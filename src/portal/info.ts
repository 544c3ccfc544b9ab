/**
 * The portals' system info answer (SPEC §3.4) and what LuCI shows of it. Pure.
 *
 * Both portals answer `{id, uuid, subscription: {status, valid_until,
 * subscription_plan: {name}}, …}`; we check the fields we use and keep the
 * rest as it came, since `subscription-info` prints the whole answer.
 */
import * as z from "zod/mini";

const nullableString = z.optional(z.nullable(z.string()));

/** A system id goes into UCI and into URLs: a UUID-like token, nothing that could end a line or a URL part. */
export const SYSTEM_ID_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export const InfoSchema = z.looseObject({
  id: z.optional(z.nullable(z.union([z.number(), z.string()]))),
  uuid: z.optional(z.nullable(z.string())),
  subscription: z.optional(
    z.nullable(
      z.looseObject({
        status: nullableString,
        valid_until: nullableString,
        subscription_plan: z.optional(z.nullable(z.looseObject({ name: nullableString }))),
      }),
    ),
  ),
});
export type PortalInfo = z.infer<typeof InfoSchema>;

/** Pure: the system id in an info answer, or undefined when it has none (missing, null, empty, malformed). */
export function systemIdOf(info: PortalInfo): string | undefined {
  const id = info.uuid;
  if (typeof id !== "string" || !SYSTEM_ID_RE.test(id)) return undefined;
  return id;
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:([Zz])|([+-])(\d{2}):?(\d{2}))?$/;

/**
 * Pure: `valid_until` → milliseconds since the epoch, or 0 when absent or
 * unreadable. RFC 3339 with or without fractional seconds (the original's
 * strptime format required them and turned `…:05Z` into 1970). No zone = UTC.
 */
export function parseValidUntil(value: string | null | undefined): number {
  if (typeof value !== "string") return 0;
  const m = RFC3339.exec(value.trim());
  if (!m) return 0;
  const [, y, mo, d, h, mi, s, frac, , sign, oh, om] = m;
  const ms = frac ? Number(frac.slice(0, 3).padEnd(3, "0")) : 0;
  const utc = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), ms);
  if (Number.isNaN(utc) || Number(mo) > 12 || Number(d) > 31 || Number(h) > 23 || Number(mi) > 59 || Number(s) > 60) {
    return 0;
  }
  const offset = sign ? (sign === "-" ? -1 : 1) * (Number(oh) * 60 + Number(om)) * 60_000 : 0;
  return utc - offset;
}

/** What the `ns.subscription info` rpcd method returns (the original's keys, typo included). */
export type SubscriptionSummary =
  | { systemd_id: "" }
  | {
      server_id: number | string | null;
      systemd_id: string;
      plan: string;
      expiration: number;
      active: boolean;
      type: string;
    };

/** Pure: the portal's info → LuCI's summary. */
export function summarize(info: PortalInfo, type: string): SubscriptionSummary {
  const uuid = typeof info.uuid === "string" ? info.uuid : "";
  if (!uuid) return { systemd_id: "" };
  const sub = info.subscription ?? undefined;
  return {
    server_id: info.id ?? null,
    systemd_id: uuid,
    plan: sub?.subscription_plan?.name ?? "-",
    expiration: parseValidUntil(sub?.valid_until),
    active: sub?.status === "valid",
    type,
  };
}

/** Pure: the summary when the portal could not be asked (the original's fallback: the saved id, nothing else). */
export function offlineSummary(systemId: string, type: string): SubscriptionSummary {
  return { server_id: null, systemd_id: systemId, plan: "-", expiration: 0, active: false, type };
}
