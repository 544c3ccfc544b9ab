/**
 * Schedule the periodic jobs in root's crontab at this unit's offsets (SPEC §6,
 * §3.1 step 5): used by `schedule` (run by 20_ns-plug) and by `connect`.
 */
import type { Ctx } from "../platform/context";
import { cronEdit } from "../platform/services";
import { MIGRATED, scheduleCrontab } from "./crontab";
import type { JobId } from "./jobs";
import { readUnitKey } from "./unitKey";

export { JOBS, cronLine, jobOffset, type JobId } from "./jobs";
export { readUnitKey } from "./unitKey";

/** Add the `add` jobs that no line mentions, migrate legacy lines of every job; returns whether the crontab changed. */
export async function ensureSchedule(ctx: Ctx, add: JobId[]): Promise<boolean> {
  const key = await readUnitKey(ctx);
  const changed = await cronEdit(ctx, (t) => scheduleCrontab(t, key, { add, migrate: MIGRATED }));
  if (changed) ctx.log.info(`scheduled ${add.length ? add.join(", ") : "jobs"} at this unit's offsets (/etc/crontabs/root)`);
  return changed;
}
