/**
 * Per-unit schedule offsets (src/schedule/jobs.ts) and the crontab migration
 * (src/schedule/crontab.ts): pure functions, seeded inputs.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { JOBS, cronLine, cronLineAt, jobOffset, lineStartSeconds, windowSeconds, type JobId } from "../../src/schedule/jobs";
import { MIGRATED, mentions, scheduleCrontab } from "../../src/schedule/crontab";
import { mulberry32 as rng } from "../helpers/seed";
import { ORIGINAL_CRON_LINES } from "../helpers/original-crontab";


const hex2 = (n: number) => n.toString(16).padStart(2, "0");
/** One manufacturing batch: consecutive MACs, the least random keys a fleet can have. */
const batchMacs = (n: number) =>
  Array.from({ length: n }, (_, i) => `mac:00:1b:21:${hex2((i >> 16) & 255)}:${hex2((i >> 8) & 255)}:${hex2(i & 255)}`);
/** VMs: random MACs and machine-ids from a seeded source. */
function randomKeys(n: number, seed: number): string[] {
  const r = rng(seed);
  return Array.from({ length: n }, () => `machine-id:${Array.from({ length: 32 }, () => Math.floor(r() * 16).toString(16)).join("")}`);
}

const PORTAL_JOBS: JobId[] = ["heartbeat", "reports", "backup", "inventory"];

/** Pearson's chi-square of the offsets over `bins` equal bins of the job's window. */
function chiSquare(keys: string[], id: JobId, bins: number): { chi: number; maxDev: number } {
  const w = windowSeconds(JOBS[id]);
  const counts = new Array<number>(bins).fill(0);
  for (const k of keys) counts[Math.floor((jobOffset(k, id) * bins) / w)]!++;
  const e = keys.length / bins;
  return {
    chi: counts.reduce((s, c) => s + (c - e) ** 2 / e, 0),
    maxDev: Math.max(...counts.map((c) => Math.abs(c - e) / e)),
  };
}

// Chi-square with 99 degrees of freedom: p = 0.001 at 148.2. A fixed key set, so the figure is the same every run.
const CHI_99_P001 = 148.2;

for (const [label, keys] of [
  ["one batch of consecutive MACs", batchMacs(100_000)],
  ["random machine-ids (seeded)", randomKeys(100_000, 17)],
] as const) {
  test(`uniform over every job's whole window: 100,000 units, ${label}`, () => {
    for (const id of PORTAL_JOBS) {
      const { chi, maxDev } = chiSquare(keys, id, 100);
      assert.ok(chi < CHI_99_P001, `${id}: chi-square ${chi.toFixed(1)} over 100 bins`);
      assert.ok(maxDev < 0.12, `${id}: a bin is ${(maxDev * 100).toFixed(1)} % off the mean`);
    }
  });
}

test("every second of the window is reachable, and nothing outside it", () => {
  const keys = randomKeys(20_000, 5);
  for (const id of PORTAL_JOBS) {
    const w = windowSeconds(JOBS[id]);
    const seen = new Set(keys.map((k) => jobOffset(k, id)));
    for (const o of seen) assert.ok(Number.isInteger(o) && o >= 0 && o < w, `${id}: ${o}`);
    if (w <= 900) assert.ok(seen.size > w * 0.99, `${id}: ${seen.size} of ${w} seconds used`);
  }
});

test("stable for one unit: same key, same offsets and lines, whatever else ran before", () => {
  const key = "mac:00:1b:21:3a:4f:10";
  const first = PORTAL_JOBS.map((id) => cronLine(key, id));
  randomKeys(1000, 3).forEach((k) => cronLine(k, "heartbeat"));
  assert.equal(PORTAL_JOBS.map((id) => cronLine(key, id)), first);
  assert.is.not(cronLine("mac:00:1b:21:3a:4f:11", "heartbeat"), first[0], "the next MAC lands elsewhere");
});

test("a unit's jobs are independent: heartbeat and reports offsets are not the same fraction of their windows", () => {
  const keys = randomKeys(50_000, 9);
  let same = 0;
  for (const k of keys) if (Math.floor(jobOffset(k, "heartbeat") / 60) === Math.floor(jobOffset(k, "reports") / 90)) same++;
  // Independent: 1 in 10 units share the tenth; a shared hash would make it all of them.
  assert.ok(Math.abs(same / keys.length - 0.1) < 0.01, `${same}`);
});

test("cron lines: minute list + fixed sleep, read back to the same start", () => {
  assert.is(cronLineAt("heartbeat", 0), "0,10,20,30,40,50 * * * * sleep 0; /usr/sbin/send-heartbeat");
  assert.is(cronLineAt("heartbeat", 599), "9,19,29,39,49,59 * * * * sleep 59; /usr/sbin/send-heartbeat");
  assert.is(cronLineAt("reports", 437), "7,22,37,52 * * * * sleep 17; /usr/bin/ns-push-reports");
  assert.is(cronLineAt("backup", 0), "0 2 * * * sleep 0; /usr/sbin/send-backup");
  assert.is(cronLineAt("backup", 14_399), "59 5 * * * sleep 59; /usr/sbin/send-backup");
  assert.is(cronLineAt("inventory", 3 * 3600 + 61), "1 6 * * * sleep 1; /usr/sbin/send-inventory");
  assert.is(cronLineAt("donExpire", 125), "2,12,22,32,42,52 * * * * sleep 5; /usr/sbin/don expire");
  for (const o of [0, 1, 59, 60, 437, 599]) assert.is(lineStartSeconds(cronLineAt("heartbeat", o)), o);
  assert.is(lineStartSeconds(cronLineAt("backup", 7_201)), 4 * 3600 + 1);
});

test("HA's command names find every line (commented, with arguments, any path); longer names do not", () => {
  assert.ok(mentions("#1,11 * * * * sleep 3; /usr/sbin/send-heartbeat", "heartbeat"));
  assert.ok(mentions("*/5 * * * * ns-push-reports", "reports"));
  assert.ok(mentions("0 1 * * * /usr/sbin/send-backup --force", "backup"));
  assert.not.ok(mentions("0 4 * * * /usr/bin/send-backup-of-something-else", "backup"));
});

const KEY = "mac:00:1b:21:3a:4f:10";
const ORIGINAL = [...ORIGINAL_CRON_LINES, "0 4 * * * /usr/bin/other"].join("\n") + "\n";
const ALL = { add: ["backup", "heartbeat", "inventory"] as JobId[], migrate: MIGRATED };

test("the original's crontab is migrated once: our lines at the unit's offsets, other lines as they were", () => {
  const once = scheduleCrontab(ORIGINAL, KEY, ALL);
  assert.is(
    once,
    [
      cronLine(KEY, "backup"),
      "02 3 * * * sleep $(( RANDOM % 1800 )); /usr/libexec/backup-encryption-alert",
      cronLine(KEY, "heartbeat"),
      cronLine(KEY, "inventory"),
      cronLine(KEY, "reports"),
      "0 4 * * * /usr/bin/other",
    ].join("\n") + "\n",
  );
  assert.is(scheduleCrontab(once, KEY, ALL), once, "twice: unchanged");
  assert.is(scheduleCrontab(once, "mac:00:00:5e:00:53:01", ALL), once, "a later key change does not move a written line");
});

test("HA's commented lines stay commented (migrated, never re-added or enabled); HA's enable then gives our line", () => {
  const disabled = ORIGINAL.split("\n").map((l) => (/send-|ns-push/.test(l) ? `#${l}` : l)).join("\n");
  const out = scheduleCrontab(disabled, KEY, ALL);
  assert.ok(out.includes(`#${cronLine(KEY, "heartbeat")}\n`), out);
  assert.ok(out.includes(`#${cronLine(KEY, "reports")}\n`), out);
  for (const l of out.split("\n").filter((l) => /send-heartbeat|send-backup|send-inventory|ns-push-reports/.test(l))) {
    assert.ok(l.startsWith("#"), `enabled: ${l}`);
  }
  // ns-ha's update_cron enable is sed 's/^#//' on the matching lines.
  const enabled = out.split("\n").map((l) => (mentions(l, "heartbeat") ? l.replace(/^#/, "") : l)).join("\n");
  assert.ok(enabled.includes(`\n${cronLine(KEY, "heartbeat")}\n`));
  assert.is(scheduleCrontab(out, KEY, ALL), out);
});

test("reports: an earlier release's /usr/sbin line is migrated; both the original's and ours → exactly one line", () => {
  const ours = "*/15 * * * * sleep $(( RANDOM % 60 )); /usr/sbin/ns-push-reports\n";
  const reports = { add: ["reports"] as JobId[], migrate: MIGRATED };
  assert.is(scheduleCrontab(ours, KEY, reports), `${cronLine(KEY, "reports")}\n`);
  const both = "*/15 * * * * sleep $(( RANDOM % 60 )); /usr/bin/ns-push-reports\n" + ours;
  assert.is(scheduleCrontab(both, KEY, reports), `${cronLine(KEY, "reports")}\n`);
  // An admin's own schedule is kept; only a path that no longer exists is corrected.
  assert.is(scheduleCrontab("*/5 * * * * /usr/sbin/ns-push-reports\n", KEY, reports), "*/5 * * * * /usr/bin/ns-push-reports\n");
});

test("an admin's own schedules are respected; a missing final newline is fixed only when adding", () => {
  const custom = "0 4 * * * /usr/bin/other\n15 1 * * * /usr/sbin/send-backup";
  assert.is(
    scheduleCrontab(custom, KEY, ALL),
    `0 4 * * * /usr/bin/other\n15 1 * * * /usr/sbin/send-backup\n${cronLine(KEY, "heartbeat")}\n${cronLine(KEY, "inventory")}\n`,
  );
  const complete = `${cronLine(KEY, "backup")}\n${cronLine(KEY, "heartbeat")}\n${cronLine(KEY, "inventory")}`;
  assert.is(scheduleCrontab(complete, KEY, ALL), complete, "nothing to do: byte for byte");
  assert.is(scheduleCrontab("", KEY, { add: [], migrate: MIGRATED }), "");
});

test.run();
