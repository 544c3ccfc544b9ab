import { test } from "uvu";
import * as assert from "uvu/assert";
import { InfoSchema, offlineSummary, parseValidUntil, summarize, systemIdOf } from "../../src/portal/info";
import { isoWithOffset } from "../../src/portal/status";

test("valid_until with and without fractional seconds (the original turned the second into 1970)", () => {
  const plain = parseValidUntil("2030-01-02T03:04:05Z");
  assert.is(plain, Date.UTC(2030, 0, 2, 3, 4, 5));
  assert.is(parseValidUntil("2030-01-02T03:04:05.000000Z"), plain);
  assert.is(parseValidUntil("2030-01-02T03:04:05.123456Z"), plain + 123);
  assert.is(parseValidUntil("2030-01-02T03:04:05.5Z"), plain + 500);
  assert.is(parseValidUntil("2030-01-02T05:04:05+02:00"), plain);
  assert.is(parseValidUntil("2030-01-01T22:04:05-05:00"), plain);
  assert.is(parseValidUntil("2030-01-02 03:04:05"), plain, "no zone: UTC");
});

test("an unreadable or missing valid_until is 0, never a throw", () => {
  for (const v of [null, undefined, "", "tomorrow", "2030-13-01T00:00:00Z", "2030-01-02T25:00:00Z", "1700000000"]) {
    assert.is(parseValidUntil(v as string), 0, String(v));
  }
});

test("summary: the rpcd info keys, expiration in ms, active when status is valid", () => {
  const info = InfoSchema.parse({
    id: 42,
    uuid: "u-1",
    extra: { kept: true },
    subscription: { status: "valid", valid_until: "2031-05-06T07:08:09.123456Z", subscription_plan: { name: "Gold" } },
  });
  assert.equal(summarize(info, "community"), {
    server_id: 42,
    systemd_id: "u-1",
    plan: "Gold",
    expiration: Date.UTC(2031, 4, 6, 7, 8, 9, 123),
    active: true,
    type: "community",
  });
  const expired = InfoSchema.parse({ id: 1, uuid: "u", subscription: { status: "expired", valid_until: null } });
  assert.equal(summarize(expired, "enterprise"), {
    server_id: 1, systemd_id: "u", plan: "-", expiration: 0, active: false, type: "enterprise",
  });
  assert.equal(summarize(InfoSchema.parse({ uuid: null }), "x"), { systemd_id: "" });
  assert.equal(offlineSummary("u", "community"), { server_id: null, systemd_id: "u", plan: "-", expiration: 0, active: false, type: "community" });
});

test("system id: missing, null, empty or malformed uuid means no system", () => {
  assert.is(systemIdOf(InfoSchema.parse({ uuid: "6c2f1d8e-0000-4000-8000-000000000001" })), "6c2f1d8e-0000-4000-8000-000000000001");
  for (const uuid of [undefined, null, "", "a\nb", "has space", "x".repeat(200), "a/b"]) {
    assert.is(systemIdOf(InfoSchema.parse({ uuid })), undefined, JSON.stringify(uuid));
  }
  assert.not.ok(InfoSchema.safeParse({ uuid: 12 }).success);
  assert.not.ok(InfoSchema.safeParse([]).success);
});

test("last_attempt is `date -Iseconds`: local time with its offset", () => {
  const d = new Date(Date.UTC(2024, 4, 6, 7, 8, 9, 999));
  assert.is(isoWithOffset(d, 0), "2024-05-06T07:08:09+00:00");
  assert.is(isoWithOffset(d, 120), "2024-05-06T09:08:09+02:00");
  assert.is(isoWithOffset(d, -330), "2024-05-06T01:38:09-05:30");
  assert.is(isoWithOffset(new Date(Date.UTC(2024, 0, 1, 0, 30)), -60), "2023-12-31T23:30:00-01:00");
});

test.run();
