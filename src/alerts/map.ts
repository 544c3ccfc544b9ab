/**
 * Pure mapping of one Alertmanager alert to the portal's legacy alert
 * (SPEC §3.6). No I/O: `now` is passed in.
 */
import type { WebhookAlert } from "./schema";

export type LegacyStatus = "FAILURE" | "OK";

export interface LegacyAlert {
  alertId: string;
  status: LegacyStatus;
}

/** Go's zero time.Time, which Alertmanager sends as endsAt of a firing alert. */
const GO_ZERO_TIME_MS = -62_135_596_800_000; // 0001-01-01T00:00:00Z

const RFC3339 =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;

/**
 * RFC 3339 → epoch milliseconds, or undefined when unparseable. Written out
 * because Date.parse is lenient in implementation-defined ways and Go
 * prints up to nine fractional digits (nanoseconds).
 */
export function parseRfc3339(text: string): number | undefined {
  const m = RFC3339.exec(text);
  if (!m) return undefined;
  const [y, mo, d, h, mi, s, oh, om] = [1, 2, 3, 4, 5, 6, 10, 11].map((i) => Number(m[i] ?? 0)) as number[] as [
    number, number, number, number, number, number, number, number,
  ];
  // 2000 is a leap year, 2001 is not: day 0 of the next month = last day of this one.
  const daysInMonth = new Date(Date.UTC(isLeap(y) ? 2000 : 2001, mo, 0)).getUTCDate();
  if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth || h > 23 || mi > 59 || s > 60 || oh > 23 || om > 59) {
    return undefined;
  }
  // Date.UTC maps years 0–99 to 1900–1999; setUTCFullYear does not. A leap second counts as :59.
  const date = new Date(Date.UTC(2000, mo - 1, d, h, mi, Math.min(s, 59)));
  date.setUTCFullYear(y, mo - 1, d);
  // Rounded up to the millisecond: compared with an integer `now`, "later than now" stays exact.
  const ms = Math.ceil(Number((m[7] ?? "0").padEnd(9, "0")) / 1e6);
  const offsetMs = m[8] ? 0 : (m[9] === "-" ? -1 : 1) * (oh * 60 + om) * 60_000;
  return date.getTime() + ms - offsetMs;
}

function isLeap(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

/**
 * SPEC status rule: endsAt missing, empty, Go's zero time, unparseable or in
 * the future → FAILURE (still firing); in the past (or now) → OK (resolved).
 */
export function statusOf(endsAt: string | null | undefined, nowMs: number): LegacyStatus {
  if (!endsAt) return "FAILURE";
  const t = parseRfc3339(endsAt);
  if (t === undefined || t <= GO_ZERO_TIME_MS) return "FAILURE";
  return t > nowMs ? "FAILURE" : "OK";
}

/** Interface names go into the alert id: keep them short and printable. */
const INTERFACE = /^[\x21-\x7e]{1,64}$/;

export interface MapOptions {
  /**
   * A rule producing `HaPrimaryRecovered` is installed (alerts/ha-rules.ts
   * looks in /etc/vmalert/rules). Without one, nothing would ever bring
   * `ha:primary:failed` back to OK, so `HaPrimaryFailed` falls back to the
   * default endsAt mapping (its resolution sends OK). Default: installed.
   */
  haRecoveryRule?: boolean;
}

/**
 * One alert → the legacy alert to send, or undefined when nothing is sent
 * (unknown alertname, unmapped path, or an HA resolution).
 */
export function mapAlert(alert: WebhookAlert, nowMs: number, opts: MapOptions = {}): LegacyAlert | undefined {
  const labels = alert.labels;
  const label = (k: string) => (Object.hasOwn(labels, k) ? labels[k] : undefined);
  const status = statusOf(alert.endsAt, nowMs);
  switch (label("alertname")) {
    case "WanDown": {
      // As the original: an alert without a usable interface label still
      // reaches the portal, as wan:unknown:down, rather than being lost.
      const iface = label("interface");
      return { alertId: `wan:${iface && INTERFACE.test(iface) ? iface : "unknown"}:down`, status };
    }
    case "DiskSpaceCritical": {
      const path = label("path");
      if (path === "/") return { alertId: "df:root:percent_bytes:free", status };
      if (path === "/boot") return { alertId: "df:boot:percent_bytes:free", status };
      return undefined;
    }
    case "BackupEncryptionDisabled":
      return { alertId: "backup:config:notencrypted", status };
    case "StorageStatus":
      return { alertId: "storage:status", status };
    case "HaSyncFailed":
      return { alertId: "ha:sync:failed", status };
    // HA alerts are events firing for a short window: the window's end is not
    // a recovery, so resolutions send nothing (legacy semantics) — as long as
    // a HaPrimaryRecovered rule exists to send the OK.
    case "HaPrimaryFailed":
      if (opts.haRecoveryRule === false) return { alertId: "ha:primary:failed", status };
      return status === "FAILURE" ? { alertId: "ha:primary:failed", status: "FAILURE" } : undefined;
    case "HaPrimaryRecovered":
      return status === "FAILURE" ? { alertId: "ha:primary:failed", status: "OK" } : undefined;
    default:
      return undefined;
  }
}
