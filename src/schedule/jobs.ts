/**
 * The periodic jobs and where each unit runs them (SPEC §6, issue 17). Pure.
 *
 * One portal serves every subscribed unit and one controller thousands, so a
 * schedule shared by the fleet is their load: the original's
 * `*\/10 * * * * sleep $(( RANDOM % 60 ))` sends every heartbeat in the first
 * minute of each 10-minute window. Here each unit runs each job at its own
 * offset, spread uniformly over the job's whole window and derived from a
 * stable unit key, and the offset is written into the cron line (minute field
 * plus a fixed `sleep`), so the period between two runs of one unit stays exact.
 */

/** A job repeated every `everyMin` minutes (a divisor of 60), or once a night inside a window. */
export type Cadence = { everyMin: number } | { dailyFromHour: number; hours: number };

export interface Job {
  /** The command cron runs, path included: the name HA's cron toggling (ns-ha 900-ns-plug) matches. */
  command: string;
  /** The word that identifies the job's lines in a crontab (the command's basename). */
  name: string;
  cadence: Cadence;
  /** The schedule fields of the lines left by the original package and our earlier releases. */
  legacyFields?: string;
  /** Command paths of those lines (a path that no longer exists included). */
  legacyPaths?: string[];
}

export const JOBS = {
  heartbeat: {
    command: "/usr/sbin/send-heartbeat",
    name: "send-heartbeat",
    cadence: { everyMin: 10 },
    legacyFields: "*/10 * * * *",
    legacyPaths: ["/usr/sbin/send-heartbeat"],
  },
  reports: {
    command: "/usr/bin/ns-push-reports",
    name: "ns-push-reports",
    cadence: { everyMin: 15 },
    legacyFields: "*/15 * * * *",
    // The original installs it in /usr/bin; our releases before SPEC §1's revision wrote /usr/sbin.
    legacyPaths: ["/usr/bin/ns-push-reports", "/usr/sbin/ns-push-reports"],
  },
  // Nightly jobs keep the original's starting hour and spread over the next 4 hours
  // (the original: 30 minutes), still at night for the unit and its uplink.
  backup: {
    command: "/usr/sbin/send-backup",
    name: "send-backup",
    cadence: { dailyFromHour: 2, hours: 4 },
    legacyFields: "02 2 * * *",
    legacyPaths: ["/usr/sbin/send-backup"],
  },
  inventory: {
    command: "/usr/sbin/send-inventory",
    name: "send-inventory",
    cadence: { dailyFromHour: 3, hours: 4 },
    legacyFields: "05 3 * * *",
    legacyPaths: ["/usr/sbin/send-inventory"],
  },
  // SPEC §9's `*/10 * * * * /usr/sbin/don expire` is local work (no call out), offered for
  // `don` to use if it wants its line spread too; nothing here adds or migrates it.
  donExpire: {
    command: "/usr/sbin/don expire",
    name: "don",
    cadence: { everyMin: 10 },
  },
} as const satisfies Record<string, Job>;

export type JobId = keyof typeof JOBS;

/** Length of a job's window in seconds: its period, or the night window. */
export function windowSeconds(job: Job): number {
  const c = job.cadence;
  return "everyMin" in c ? c.everyMin * 60 : c.hours * 3600;
}

/**
 * Pure 32-bit hash of a string: FNV-1a over its UTF-8 bytes, then murmur3's
 * finalizer so that keys differing in one character (MACs of one batch) land
 * far apart. Not for secrets; only to spread.
 */
export function hash32(s: string): number {
  let h = 0x811c9dc5;
  for (const b of new TextEncoder().encode(s)) {
    h ^= b;
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * Offset in whole seconds of this unit's run inside the job's window, in
 * [0, window). The job's name is hashed in: a unit's heartbeat and inventory
 * are independent, not stacked at the same second.
 */
export function jobOffset(unitKey: string, jobId: JobId): number {
  const w = windowSeconds(JOBS[jobId]);
  return Math.floor((hash32(`${unitKey}\0${jobId}`) / 2 ** 32) * w);
}

/** The cron line that runs the job at `offset` seconds into its window. */
export function cronLineAt(jobId: JobId, offset: number): string {
  const job: Job = JOBS[jobId];
  const c = job.cadence;
  const sec = offset % 60;
  if ("everyMin" in c) {
    const first = Math.floor(offset / 60) % c.everyMin;
    const minutes: number[] = [];
    for (let m = first; m < 60; m += c.everyMin) minutes.push(m);
    // A list, not `m-59/10`: every crond (busybox included) reads it the same way.
    return `${minutes.join(",")} * * * * sleep ${sec}; ${job.command}`;
  }
  const minute = Math.floor(offset / 60) % 60;
  const hour = (c.dailyFromHour + Math.floor(offset / 3600)) % 24;
  return `${minute} ${hour} * * * sleep ${sec}; ${job.command}`;
}

/** This unit's cron line for the job. */
export function cronLine(unitKey: string, jobId: JobId): string {
  return cronLineAt(jobId, jobOffset(unitKey, jobId));
}

/**
 * When the line written by `cronLine` starts the job, in seconds from the
 * start of the window (cron's minute plus the sleep): what the fleet
 * simulation (bench/fleet.bench.mjs) feeds on, read back from the line itself.
 */
export function lineStartSeconds(line: string): number | undefined {
  const m = /^(\d+)[,\d]* (\d+|\*) \* \* \* sleep (\d+); /.exec(line);
  if (!m) return undefined;
  const hourPart = m[2] === "*" ? 0 : Number(m[2]);
  return hourPart * 3600 + Number(m[1]) * 60 + Number(m[3]);
}
