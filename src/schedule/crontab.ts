/**
 * Pure crontab edits for the periodic jobs: add the missing ones at this
 * unit's offsets, and rewrite once the lines left by the original package or
 * by our earlier releases. What is not ours stays byte for byte.
 *
 * HA (ns-ha's 900-ns-plug) disables a job on the backup node by prefixing its
 * line with `#` and enables it by removing that `#`, matching the command
 * names. So a line that mentions a job, commented or not, means the job is
 * scheduled: it is never added again, and a migrated line keeps its `#`.
 */
import { JOBS, cronLine, type JobId } from "./jobs";

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");

/** Does the line run the job (its command as a word: `…; /usr/sbin/send-backup`, `send-backup --x`)? */
export function mentions(line: string, jobId: JobId): boolean {
  const name = escape(JOBS[jobId].name);
  return new RegExp(`(^|[\\s;/#])${name}([\\s;]|$)`).test(line);
}

/** The original's line shape: fixed fields, optional `sleep $(( RANDOM % N ));`, a known path. */
function legacyPattern(jobId: JobId): RegExp | undefined {
  const job = JOBS[jobId];
  if (!("legacyFields" in job)) return undefined;
  const fields = job.legacyFields.split(" ").map(escape).join("\\s+");
  const paths = job.legacyPaths.map(escape).join("|");
  return new RegExp(`^(#*)\\s*${fields}\\s+(?:sleep\\s+\\$\\(\\(\\s*RANDOM\\s*%\\s*\\d+\\s*\\)\\)\\s*;\\s*)?(?:${paths})\\s*$`);
}

/** The job's line for this unit, or undefined when `line` is not a legacy line of the job. */
function migrated(line: string, jobId: JobId, unitKey: string): string | undefined {
  const m = legacyPattern(jobId)?.exec(line);
  return m ? `${m[1]}${cronLine(unitKey, jobId)}` : undefined;
}

export interface ScheduleEdit {
  /** Jobs to schedule when no line mentions them. */
  add: JobId[];
  /** Jobs whose legacy lines are rewritten. */
  migrate: JobId[];
}

/** Jobs whose legacy lines every caller migrates (not `donExpire`: `don` owns its line). */
export const MIGRATED: JobId[] = ["heartbeat", "reports", "backup", "inventory"];

/**
 * Pure: the crontab with the edit applied. Returns `text` itself when there
 * is nothing to do, so running it twice changes nothing the second time.
 */
export function scheduleCrontab(text: string, unitKey: string, edit: ScheduleEdit): string {
  const lines = text === "" ? [] : text.replace(/\n$/, "").split("\n");
  let changed = false;
  const out: string[] = [];
  for (const line of lines) {
    let next = line;
    for (const id of edit.migrate) next = migrated(next, id, unitKey) ?? next;
    // ns-push-reports lives in /usr/bin (SPEC §1): a line of ours that names /usr/sbin would run nothing.
    if (edit.migrate.includes("reports")) next = next.replace(/\/usr\/sbin\/ns-push-reports(?=[\s;]|$)/, JOBS.reports.command);
    // Two lines of the original and of an earlier release for one job end up equal: keep one
    // (the same job twice in a minute is never what anyone meant).
    const bare = next.replace(/^#+/, "");
    if (edit.migrate.some((id) => mentions(next, id)) && out.some((l) => l.replace(/^#+/, "") === bare)) {
      changed = true;
      continue;
    }
    if (next !== line) changed = true;
    out.push(next);
  }
  for (const id of edit.add) {
    if (out.some((l) => mentions(l, id))) continue;
    out.push(cronLine(unitKey, id));
    changed = true;
  }
  return changed ? out.map((l) => `${l}\n`).join("") : text;
}
