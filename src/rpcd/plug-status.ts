/**
 * Pure pieces of `ns.plug status`: the tunnel address from
 * `ip -j address show dev tun-nsplug`, and when cron last ran
 * ns-push-reports, from the syslog file.
 */
import * as z from "zod/mini";

const IpAddr = z.array(
  z.object({
    addr_info: z.optional(z.array(z.object({ family: z.optional(z.string()), local: z.optional(z.string()) }))),
  }),
);

/** IPv4 address of the device in `ip -j address show dev <dev>` output, or null. */
export function tunAddress(ipJson: string): string | null {
  let v: unknown;
  try {
    v = JSON.parse(ipJson);
  } catch {
    return null;
  }
  const r = IpAddr.safeParse(v);
  if (!r.success) return null;
  for (const link of r.data) {
    const a = (link.addr_info ?? []).find((i) => i.family === "inet" && i.local);
    if (a?.local) return a.local;
  }
  return null;
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
// busybox/cronie crond logs each job it starts: "… crond[123]: USER root pid 4567 cmd <command>"
const CRON_LINE = /USER root pid \d+ cmd .*ns-push-reports/;
const STAMP = /^([A-Z][a-z]{2}) +(\d{1,2}) (\d{2}):(\d{2}):(\d{2}) /;

/**
 * Epoch seconds of the newest cron start of ns-push-reports in a syslog
 * file (`Mon DD HH:MM:SS …`, local time, no year), -1 when none. The year
 * is the current one, or the previous one when that date is still ahead.
 */
export function lastPushSent(messages: string, now: Date): number {
  const lines = messages.split("\n");
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i]!;
    if (!CRON_LINE.test(line)) continue;
    const m = STAMP.exec(line);
    const month = m ? MONTHS.indexOf(m[1]!) : -1;
    if (!m || month < 0) continue;
    const at = (year: number) => new Date(year, month, Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5]));
    let d = at(now.getFullYear());
    if (d.getTime() > now.getTime() + 86_400_000) d = at(now.getFullYear() - 1);
    return Math.floor(d.getTime() / 1000);
  }
  return -1;
}
