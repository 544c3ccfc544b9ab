/**
 * The request → answer step of the proxy (pure): methods, both body forms,
 * and what is refused with which reason.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { answerRequest } from "../../src/alerts/webhook";
import { MAX_CONTAINERS, MAX_LABELS, parseWebhookBody } from "../../src/alerts/schema";

const NOW = Date.UTC(2025, 5, 1, 12, 0, 0);
const post = (body: string | Uint8Array) =>
  answerRequest({ method: "POST", body: typeof body === "string" ? new TextEncoder().encode(body) : body }, NOW);

const AM_BODY = {
  receiver: "proxy",
  status: "firing",
  alerts: [
    {
      status: "firing",
      labels: { alertname: "WanDown", interface: "wan", severity: "critical" },
      annotations: { summary: "WAN wan is down", nested: { deep: [1, 2, { x: null }] } },
      startsAt: "2025-06-01T11:58:00.123456789Z",
      endsAt: "0001-01-01T00:00:00Z",
      generatorURL: "http://localhost/graph",
      fingerprint: "0123456789abcdef",
    },
    {
      status: "resolved",
      labels: { alertname: "DiskSpaceCritical", path: "/boot" },
      annotations: {},
      startsAt: "2025-06-01T10:00:00Z",
      endsAt: "2025-06-01T11:00:00.5Z",
    },
    { status: "firing", labels: { alertname: "SomethingElse" }, endsAt: "0001-01-01T00:00:00Z" },
  ],
  groupLabels: {},
  commonLabels: {},
  externalURL: "http://am",
  version: "4",
  groupKey: "{}:{}",
  truncatedAlerts: 0,
};

test("Alertmanager's envelope: mapped alerts in body order, the rest counted as ignored, 200", () => {
  const r = post(JSON.stringify(AM_BODY));
  assert.is(r.answer.status, 200);
  assert.equal(r.alerts, [
    { alertId: "wan:wan:down", status: "FAILURE" },
    { alertId: "df:boot:percent_bytes:free", status: "OK" },
  ]);
  assert.equal(r.ignored, ["SomethingElse"]);
  assert.is(r.refused, undefined);
});

test("vmalert's bare array is accepted too", () => {
  const r = post(JSON.stringify([{ labels: { alertname: "StorageStatus" }, annotations: {}, startsAt: "2025-06-01T11:00:00Z" }]));
  assert.is(r.answer.status, 200);
  assert.equal(r.alerts, [{ alertId: "storage:status", status: "FAILURE" }]);
});

test("empty alert lists are fine and forward nothing", () => {
  for (const body of ["[]", '{"alerts":[]}']) {
    const r = post(body);
    assert.is(r.answer.status, 200, body);
    assert.equal(r.alerts, []);
  }
});

test("GET and HEAD answer 200 (health); other methods 405", () => {
  const empty = new Uint8Array();
  assert.is(answerRequest({ method: "GET", body: empty }, NOW).answer.status, 200);
  assert.is(answerRequest({ method: "HEAD", body: empty }, NOW).answer.status, 200);
  for (const m of ["PUT", "DELETE", "PATCH", "OPTIONS"]) assert.is(answerRequest({ method: m, body: empty }, NOW).answer.status, 405, m);
});

const REFUSED: Array<[string, string | Uint8Array, RegExp]> = [
  ["truncated JSON", '{"alerts": [{"labels": {', /not valid JSON/],
  ["not UTF-8", new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]), /not UTF-8/],
  ["a string", '"alerts"', /value: expected object/],
  ["null", "null", /expected object/],
  ["alerts missing", '{"receiver":"x"}', /alerts: expected array/],
  ["alerts is an object", '{"alerts":{"labels":{}}}', /alerts: expected array/],
  ["labels missing", '{"alerts":[{"endsAt":"x"}]}', /alerts\.0\.labels: expected record/],
  ["a label is a number", '{"alerts":[{"labels":{"alertname":5}}]}', /alerts\.0\.labels\.alertname: expected string/],
  ["endsAt is a number", '[{"labels":{},"endsAt":1}]', /0\.endsAt: expected string/],
  ["element is an array", "[[1]]", /0: expected object/],
];
for (const [name, body, reason] of REFUSED) {
  test(`400 with a short reason: ${name}`, () => {
    const r = post(body);
    assert.is(r.answer.status, 400);
    assert.match(r.answer.body ?? "", reason);
    assert.ok((r.answer.body ?? "").length < 300);
    assert.equal(r.alerts, []);
  });
}

test("a control character in a label name never reaches the reason verbatim", () => {
  const r = parseWebhookBody(new TextEncoder().encode('{"alerts":[{"labels":{"a\\nb":1}}]}'));
  assert.is(r.ok, false);
  if (!r.ok) assert.not.match(r.reason, /\n/);
});

test("a __proto__ label changes nothing", () => {
  // zod drops the key; the mapping reads own labels only, never the prototype's.
  const r = post('[{"labels":{"__proto__":{"alertname":"WanDown","interface":"wan"}}}]');
  assert.is(r.answer.status, 200);
  assert.equal(r.alerts, []);
  assert.is(({} as Record<string, unknown>).alertname, undefined);
  const r2 = post('[{"labels":{"__proto__":"x","alertname":"StorageStatus"}}]');
  assert.equal(r2.alerts, [{ alertId: "storage:status", status: "FAILURE" }]);
});

test("resource bounds: up to MAX_LABELS labels and MAX_CONTAINERS objects/arrays pass, one more is refused", () => {
  const labels = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`l${i}`, "v"]));
  assert.is(post(JSON.stringify([{ labels: labels(MAX_LABELS) }])).answer.status, 200);
  const many = post(JSON.stringify([{ labels: labels(MAX_LABELS + 1) }]));
  assert.is(many.answer.status, 400);
  assert.match(many.answer.body ?? "", /0\.labels: more than 256 labels/);
  // Each alert is 2 containers ({ and {); the array itself is 1.
  const alerts = (n: number) => JSON.stringify(Array.from({ length: n }, () => ({ labels: {} })));
  const fit = Math.floor((MAX_CONTAINERS - 1) / 2);
  assert.is(post(alerts(fit)).answer.status, 200);
  const big = post(alerts(fit + 1));
  assert.is(big.answer.status, 400);
  assert.match(big.answer.body ?? "", /more than 10000 JSON objects and arrays/);
});

test("only the first bad alert is reported (no issue per element)", () => {
  const r = post(JSON.stringify([{ labels: {} }, { labels: 1 }, { labels: 2 }]));
  assert.is(r.answer.status, 400);
  assert.match(r.answer.body ?? "", /^not an Alertmanager webhook: 1\.labels: expected record\n$/);
});

test.run();
