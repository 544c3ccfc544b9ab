/**
 * Issue 9 §2, hostile webhook bodies to the alert proxy (the built bundle,
 * running): each hostile value as a WAN interface label, as an alert name,
 * as endsAt; oversized, NUL-laden, deeply nested and prototype-polluting
 * bodies. Every request gets an answer (200, 400 or 413), the process never
 * dies, and what reaches the portal is either nothing or exactly the value,
 * carried as JSON data (never a shell, never a second log line).
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import type { ChildProcess } from "node:child_process";
import { startBundle } from "../helpers/bundle";
import { testdir, type TestDir } from "../helpers/testdir";
import { startPortal, type Portal } from "../servers/portal";
import { canaryClean, HOSTILE } from "./lib/hostile";

const SYS = { type: "enterprise" as const, secret: "wh-secret-51b", uuid: "77777777-2222-4333-8444-555555555555" };
const future = "2999-01-01T00:00:00Z";
let portal: Portal;
let dir: TestDir;
let proxy: ChildProcess;
let port = 0;
let stderr = "";
let cases = 0;

const alert = (labels: Record<string, string>, extra: Record<string, unknown> = {}) => ({ status: "firing", labels, endsAt: future, ...extra });
const post = async (body: string | Uint8Array) =>
  (await fetch(`http://127.0.0.1:${port}/api/v2/alerts`, { method: "POST", body, headers: { "content-type": "application/json" } })).status;

/** Send a marker alert and wait until it arrives: everything posted before it was handled by then. */
let marker = 0;
async function settle(): Promise<void> {
  const status = ++marker % 2 ? "FAILURE" : "OK";
  const n = portal.stored.alerts.length;
  assert.is(await post(JSON.stringify({ alerts: [alert({ alertname: "StorageStatus" }, status === "OK" ? { endsAt: "2001-01-01T00:00:00Z" } : {})] })), 200);
  await portal.waitFor(() => portal.stored.alerts.slice(n).some((a) => a.alert_id === "storage:status" && a.status === status), 30_000);
}

test.before(async () => {
  portal = await startPortal({ systems: [SYS] });
  dir = testdir({
    "/etc/config/ns-plug": {
      content: `\nconfig main 'config'\n\toption type 'enterprise'\n\toption system_id '${SYS.uuid}'\n\toption secret '${SYS.secret}'\n\toption alerts_url '${portal.url}/isa/'\n`,
      mode: 0o600,
    },
  });
  proxy = startBundle(["ns-plug-alert-proxy", "--listen", "127.0.0.1:0"], { dir });
  proxy.stderr!.on("data", (b) => (stderr += b));
  port = await new Promise<number>((resolve) => {
    let out = "";
    proxy.stdout!.on("data", (b) => {
      out += b;
      const m = /listening on 127\.0\.0\.1:(\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
  });
});

test.after(async () => {
  if (proxy?.exitCode === null) proxy.kill("SIGKILL");
  await portal?.close();
  dir?.cleanup();
});

for (const [name, value] of Object.entries(HOSTILE)) {
  test(`WanDown interface label: ${name} → 200; the portal gets exactly wan:<value>:down, or wan:unknown:down`, async () => {
    cases++;
    const n = portal.stored.alerts.length;
    const body = JSON.stringify({ alerts: [alert({ alertname: "WanDown", interface: value })] });
    assert.is(await post(body), Buffer.byteLength(body) > 1 << 20 ? 413 : 200, "answered (413 over 1 MiB)");
    await settle();
    const got = portal.stored.alerts.slice(n).filter((a) => a.alert_id !== "storage:status");
    const printable = /^[\x21-\x7e]{1,64}$/.test(value);
    const want = Buffer.byteLength(body) > 1 << 20 ? [] : [printable ? `wan:${value}:down` : "wan:unknown:down"];
    assert.equal(got.map((a) => a.alert_id), want, "delivered as data, exactly, or as wan:unknown:down");
    assert.equal(canaryClean(), []);
  });
}

const BODIES: Array<[string, () => string | Uint8Array, number]> = [
  ["alertname of 1 MB (under the body limit)", () => JSON.stringify({ alerts: [alert({ alertname: "x".repeat(1000 * 1000) })] }), 200],
  ["body over 1 MiB", () => JSON.stringify({ alerts: [alert({ alertname: "WanDown", interface: "x".repeat(2 << 20) })] }), 413],
  ["raw NUL bytes", () => new Uint8Array([0x7b, 0, 0, 0x7d]), 400],
  ["100,000 levels of nesting", () => "[".repeat(100_000) + "]".repeat(100_000), 400],
  ["__proto__ and constructor keys holding objects", () => '{"alerts":[{"status":"firing","labels":{"alertname":"WanDown","interface":"wan","__proto__":{"polluted":"yes"},"constructor":{"prototype":{"x":1}}},"endsAt":"2999-01-01T00:00:00Z"}]}', 400],
  ["__proto__ label holding a string", () => '{"alerts":[{"status":"firing","labels":{"alertname":"WanDown","interface":"wan","__proto__":"polluted"},"endsAt":"2999-01-01T00:00:00Z"}]}', 200],
  ["endsAt $(…) (unparseable → FAILURE)", () => JSON.stringify({ alerts: [alert({ alertname: "HaSyncFailed" }, { endsAt: HOSTILE["$(…)"] })] }), 200],
  ["4,000 alerts in one body", () => JSON.stringify(Array.from({ length: 4_000 }, (_, i) => alert({ alertname: "WanDown", interface: `eth${i % 50}` }))), 200],
  ["20,000 JSON objects (over the parser's limit)", () => JSON.stringify(Array.from({ length: 10_000 }, (_, i) => alert({ alertname: "WanDown", interface: `eth${i % 50}` }))), 400],
  ["labels not an object", () => JSON.stringify({ alerts: [{ status: "firing", labels: "WanDown", endsAt: future }] }), 400],
  ["UTF-16 surrogate halves", () => '{"alerts":[{"status":"firing","labels":{"alertname":"WanDown","interface":"\\ud800x"},"endsAt":"2999-01-01T00:00:00Z"}]}', 200],
];

for (const [name, body, code] of BODIES) {
  test(`webhook body: ${name} → ${code}, the proxy keeps serving`, async () => {
    cases++;
    assert.is(await post(body()), code);
    await settle();
    assert.is(proxy.exitCode, null, `still running: ${stderr.slice(-500)}`);
    assert.is(({} as Record<string, unknown>).polluted, undefined);
  });
}

test("after the corpus: deliveries are legacy ids only, the log has one line per record, SIGTERM exits 0", async () => {
  const ids = portal.stored.alerts.map((a) => a.alert_id);
  const legacy = /^(wan:[\x21-\x7e]{1,64}:down|df:(root|boot):percent_bytes:free|backup:config:notencrypted|storage:status|ha:(sync|primary):failed)$/;
  assert.equal(ids.filter((id) => !legacy.test(id)), []);
  assert.ok(ids.includes("ha:sync:failed") && portal.stored.alerts.find((a) => a.alert_id === "ha:sync:failed")!.status === "FAILURE");
  proxy.kill("SIGTERM");
  const code = await new Promise<number | null>((r) => (proxy.exitCode !== null ? r(proxy.exitCode) : proxy.on("exit", (c) => r(c))));
  assert.is(code, 0);
  const lines = stderr.split("\n").filter(Boolean);
  assert.equal(lines.filter((l) => !l.startsWith("ns-plug-alert-proxy: ")), [], "every log line is a record of its own");
  assert.not.match(stderr, /^\s+at |internal error/m);
  console.log(`\nFIGURE hostile corpus: webhook bodies: ${cases} cases, ${portal.stored.alerts.length} deliveries checked`);
});

test.run();
