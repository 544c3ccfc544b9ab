/**
 * SPEC §3.6 mapping and status rules, as tables: every endsAt form, every
 * alertname, and the HA override.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { mapAlert, parseRfc3339, statusOf } from "../../src/alerts/map";

const NOW = Date.UTC(2025, 5, 1, 12, 0, 0); // 2025-06-01T12:00:00.000Z

const STATUS: Array<[string, string | null | undefined, "FAILURE" | "OK"]> = [
  ["missing", undefined, "FAILURE"],
  ["null", null, "FAILURE"],
  ["empty", "", "FAILURE"],
  ["Go zero time", "0001-01-01T00:00:00Z", "FAILURE"],
  ["Go zero time with nanoseconds", "0001-01-01T00:00:00.000000000Z", "FAILURE"],
  ["Go zero time with offset", "0001-01-01T00:00:00+00:00", "FAILURE"],
  ["unparseable word", "yesterday", "FAILURE"],
  ["no time zone", "2025-06-01T11:00:00", "FAILURE"],
  ["month 13", "2025-13-01T11:00:00Z", "FAILURE"],
  ["February 30", "2025-02-30T11:00:00Z", "FAILURE"],
  ["February 29 of a common year", "2025-02-29T11:00:00Z", "FAILURE"],
  ["hour 24", "2025-06-01T24:00:00Z", "FAILURE"],
  ["bad offset", "2025-06-01T11:00:00+25:00", "FAILURE"],
  ["ten fractional digits", "2025-06-01T11:00:00.0000000001Z", "FAILURE"],
  ["unix seconds as text", "1748779200", "FAILURE"],
  ["trailing junk", "2025-06-01T11:00:00Zjunk", "FAILURE"],
  ["past, Z", "2025-06-01T11:59:59Z", "OK"],
  ["past, lower-case z", "2025-06-01t11:59:59z", "OK"],
  ["past, nanoseconds", "2025-06-01T11:59:59.123456789Z", "OK"],
  ["past by one nanosecond", "2025-06-01T11:59:59.999999999Z", "OK"],
  ["exactly now", "2025-06-01T12:00:00Z", "OK"],
  ["past, milliseconds", "2025-06-01T11:59:59.5Z", "OK"],
  ["past, +02:00 offset", "2025-06-01T13:59:00+02:00", "OK"],
  ["past, -04:00 offset", "2025-06-01T07:59:00-04:00", "OK"],
  ["past, February 29 of a leap year", "2024-02-29T00:00:00Z", "OK"],
  ["past, leap second", "2016-12-31T23:59:60Z", "OK"],
  ["past, space instead of T", "2025-06-01 11:00:00Z", "OK"],
  ["future by one nanosecond", "2025-06-01T12:00:00.000000001Z", "FAILURE"],
  ["future, Z", "2025-06-01T12:00:01Z", "FAILURE"],
  ["future, nanoseconds", "2025-06-01T12:04:00.999999999Z", "FAILURE"],
  ["future through its offset", "2025-06-01T11:00:00-02:00", "FAILURE"],
  ["far future", "9999-12-31T23:59:59Z", "FAILURE"],
];

for (const [name, endsAt, want] of STATUS) {
  test(`status: endsAt ${name} (${JSON.stringify(endsAt)}) → ${want}`, () => {
    assert.is(statusOf(endsAt, NOW), want);
  });
}

test("parseRfc3339 reads offsets, nanoseconds and years before 100 exactly", () => {
  assert.is(parseRfc3339("2025-06-01T13:00:00+01:00"), NOW);
  assert.is(parseRfc3339("2025-06-01T12:00:00.000000001Z"), NOW + 1);
  assert.is(parseRfc3339("2025-06-01T12:00:00.001Z"), NOW + 1);
  assert.is(parseRfc3339("0001-01-01T00:00:00Z"), -62135596800000);
  assert.is(parseRfc3339("0099-12-31T00:00:00Z"), new Date("0099-12-31T00:00:00Z").getTime());
  assert.is(parseRfc3339("2025-06-01"), undefined);
});

// Out-of-range fields in the *past*: a parser that let them roll over (month 13 → next January)
// would answer OK instead of FAILURE, so these are checked on parseRfc3339 itself.
const INVALID = [
  "2020-00-10T00:00:00Z", "2020-13-01T00:00:00Z", "2020-05-00T00:00:00Z", "2020-04-31T00:00:00Z",
  "2019-02-29T00:00:00Z", "2100-02-29T00:00:00Z", "1900-02-29T00:00:00Z",
  "2020-05-05T24:00:00Z", "2020-05-05T23:60:00Z", "2020-05-05T23:59:61Z",
  "2020-05-05T10:00:00+24:00", "2020-05-05T10:00:00+23:60", "x2020-05-05T10:00:00Z",
];
test("parseRfc3339: every out-of-range field is unparseable (not rolled over)", () => {
  for (const t of INVALID) assert.is(parseRfc3339(t), undefined, t);
});

test("parseRfc3339: edge values are exact (leap days, leap second, :59 offsets, one fractional digit)", () => {
  const at = (iso: string) => new Date(iso).getTime();
  assert.is(parseRfc3339("2000-02-29T00:00:00Z"), at("2000-02-29T00:00:00Z"));
  assert.is(parseRfc3339("2020-02-29T00:00:00Z"), at("2020-02-29T00:00:00Z"));
  assert.is(parseRfc3339("2020-04-30T00:00:00Z"), at("2020-04-30T00:00:00Z"));
  assert.is(parseRfc3339("2016-12-31T23:59:60Z"), at("2016-12-31T23:59:59Z"));
  assert.is(parseRfc3339("2020-05-05T10:00:00+23:00"), at("2020-05-04T11:00:00Z"));
  assert.is(parseRfc3339("2020-05-05T10:00:00+00:59"), at("2020-05-05T09:01:00Z"));
  assert.is(parseRfc3339("2020-05-05T10:00:00+05:30"), at("2020-05-05T04:30:00Z"));
  assert.is(parseRfc3339("2020-05-05T10:00:00-05:30"), at("2020-05-05T15:30:00Z"));
  assert.is(parseRfc3339("2020-05-05T10:00:00.5Z"), at("2020-05-05T10:00:00.500Z"));
  assert.is(parseRfc3339("2020-12-31T23:59:59Z"), at("2020-12-31T23:59:59Z"));
});

const PAST = "2025-06-01T11:00:00Z";
const FIRING = "0001-01-01T00:00:00Z";
type Row = [string, Record<string, string>, string, string | undefined];
const MAPPING: Row[] = [
  ["WanDown firing", { alertname: "WanDown", interface: "wan" }, FIRING, "wan:wan:down FAILURE"],
  ["WanDown resolved", { alertname: "WanDown", interface: "wan2" }, PAST, "wan:wan2:down OK"],
  ["WanDown without interface", { alertname: "WanDown" }, FIRING, "wan:unknown:down FAILURE"],
  ["WanDown without interface resolved", { alertname: "WanDown" }, PAST, "wan:unknown:down OK"],
  ["WanDown with empty interface", { alertname: "WanDown", interface: "" }, FIRING, "wan:unknown:down FAILURE"],
  ["WanDown with a space in interface", { alertname: "WanDown", interface: "wan 1" }, FIRING, "wan:unknown:down FAILURE"],
  ["WanDown with a 65-char interface", { alertname: "WanDown", interface: "x".repeat(65) }, FIRING, "wan:unknown:down FAILURE"],
  ["DiskSpaceCritical /", { alertname: "DiskSpaceCritical", path: "/" }, FIRING, "df:root:percent_bytes:free FAILURE"],
  ["DiskSpaceCritical /boot resolved", { alertname: "DiskSpaceCritical", path: "/boot" }, PAST, "df:boot:percent_bytes:free OK"],
  ["DiskSpaceCritical /tmp", { alertname: "DiskSpaceCritical", path: "/tmp" }, FIRING, undefined],
  ["DiskSpaceCritical /boot/", { alertname: "DiskSpaceCritical", path: "/boot/" }, FIRING, undefined],
  ["DiskSpaceCritical without path", { alertname: "DiskSpaceCritical" }, FIRING, undefined],
  ["BackupEncryptionDisabled", { alertname: "BackupEncryptionDisabled" }, FIRING, "backup:config:notencrypted FAILURE"],
  ["BackupEncryptionDisabled resolved", { alertname: "BackupEncryptionDisabled" }, PAST, "backup:config:notencrypted OK"],
  ["StorageStatus", { alertname: "StorageStatus", severity: "critical" }, FIRING, "storage:status FAILURE"],
  ["StorageStatus resolved", { alertname: "StorageStatus" }, PAST, "storage:status OK"],
  ["HaSyncFailed firing", { alertname: "HaSyncFailed" }, FIRING, "ha:sync:failed FAILURE"],
  ["HaSyncFailed resolved", { alertname: "HaSyncFailed" }, PAST, "ha:sync:failed OK"],
  // HA override: events, not states.
  ["HaPrimaryFailed firing", { alertname: "HaPrimaryFailed" }, FIRING, "ha:primary:failed FAILURE"],
  ["HaPrimaryFailed firing (endsAt in the future)", { alertname: "HaPrimaryFailed" }, "2025-06-01T12:05:00Z", "ha:primary:failed FAILURE"],
  ["HaPrimaryFailed resolved sends nothing", { alertname: "HaPrimaryFailed" }, PAST, undefined],
  ["HaPrimaryRecovered firing → OK", { alertname: "HaPrimaryRecovered" }, FIRING, "ha:primary:failed OK"],
  ["HaPrimaryRecovered resolved sends nothing", { alertname: "HaPrimaryRecovered" }, PAST, undefined],
  ["unknown alertname", { alertname: "NodeDown" }, FIRING, undefined],
  ["alertname with other case", { alertname: "wandown", interface: "wan" }, FIRING, undefined],
  ["no alertname", { interface: "wan" }, FIRING, undefined],
];

for (const [name, labels, endsAt, want] of MAPPING) {
  test(`mapping: ${name} → ${want ?? "nothing"}`, () => {
    const got = mapAlert({ labels, endsAt }, NOW);
    assert.is(got ? `${got.alertId} ${got.status}` : undefined, want);
  });
}

test("mapping: without an installed recovery rule, HaPrimaryFailed follows endsAt (never stuck at FAILURE)", () => {
  const noRule = { haRecoveryRule: false };
  const fmt = (a: ReturnType<typeof mapAlert>) => (a ? `${a.alertId} ${a.status}` : undefined);
  assert.is(fmt(mapAlert({ labels: { alertname: "HaPrimaryFailed" }, endsAt: FIRING }, NOW, noRule)), "ha:primary:failed FAILURE");
  assert.is(fmt(mapAlert({ labels: { alertname: "HaPrimaryFailed" }, endsAt: PAST }, NOW, noRule)), "ha:primary:failed OK");
  // With the rule installed (the default), the resolution still sends nothing.
  assert.is(fmt(mapAlert({ labels: { alertname: "HaPrimaryFailed" }, endsAt: PAST }, NOW, { haRecoveryRule: true })), undefined);
});

test("mapping: a missing endsAt counts as firing, for the HA override too", () => {
  assert.equal(mapAlert({ labels: { alertname: "HaPrimaryRecovered" } }, NOW), { alertId: "ha:primary:failed", status: "OK" });
  assert.equal(mapAlert({ labels: { alertname: "WanDown", interface: "wan" } }, NOW), { alertId: "wan:wan:down", status: "FAILURE" });
});

test.run();
