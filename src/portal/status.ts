/**
 * /tmp/inventory-sent.json: the outcome of the last inventory upload, read by
 * LuCI through `ns.subscription inventory-status`. Pure helpers + thin I/O.
 */
import type { Ctx } from "../platform/context";
import * as z from "zod/mini";

export const INVENTORY_STATUS_FILE = "/tmp/inventory-sent.json";

const pad = (n: number, w = 2) => String(Math.trunc(Math.abs(n))).padStart(w, "0");

/**
 * Pure: `date -Iseconds` — local time with its offset, e.g.
 * 2024-05-06T09:08:07+02:00. `offsetMinutes` is east of UTC (the opposite
 * sign of Date#getTimezoneOffset).
 */
export function isoWithOffset(d: Date, offsetMinutes: number): string {
  const local = new Date(d.getTime() + offsetMinutes * 60_000);
  const sign = offsetMinutes < 0 ? "-" : "+";
  const off = Math.abs(offsetMinutes);
  return (
    `${local.getUTCFullYear()}-${pad(local.getUTCMonth() + 1)}-${pad(local.getUTCDate())}` +
    `T${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}:${pad(local.getUTCSeconds())}` +
    `${sign}${pad(off / 60)}:${pad(off % 60)}`
  );
}

export interface InventoryStatus {
  status: "success" | "error";
  last_attempt: string;
}

export async function writeInventoryStatus(ctx: Ctx, ok: boolean): Promise<InventoryStatus> {
  const now = ctx.clock.now();
  const status: InventoryStatus = {
    status: ok ? "success" : "error",
    last_attempt: isoWithOffset(now, -now.getTimezoneOffset()),
  };
  await ctx.fs.writeAtomic(INVENTORY_STATUS_FILE, JSON.stringify(status) + "\n", { defaultMode: 0o644 });
  return status;
}

const StatusSchema = z.object({ status: z.enum(["success", "error"]), last_attempt: z.string() });

/** The last outcome, or `{status: "not attempted"}` (the original's answer) when there is none yet or it is unreadable. */
export async function readInventoryStatus(ctx: Ctx): Promise<InventoryStatus | { status: "not attempted" }> {
  const text = await ctx.fs.readIfExists(INVENTORY_STATUS_FILE).catch(() => undefined);
  if (text === undefined) return { status: "not attempted" };
  try {
    const r = StatusSchema.safeParse(JSON.parse(text));
    if (r.success) return r.data;
  } catch {
    /* fall through */
  }
  ctx.log.warning(`${INVENTORY_STATUS_FILE}: unreadable, reported as not attempted`);
  return { status: "not attempted" };
}
