/**
 * A real Alertmanager (Debian's prometheus-alertmanager) on loopback with a
 * webhook receiver pointing at the proxy bundle: alerts posted to its API
 * reach the loopback portal as legacy alerts, firing then resolved.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readFileSync } from "node:fs";
import { REPO } from "../helpers/bundle";
import { testdir } from "../helpers/testdir";
import { registeredConfig, startAlertSink, startProxy } from "../servers/alerts-sink";
import { freePort } from "../helpers/servers";

const ALERTMANAGER = "/usr/bin/prometheus-alertmanager";

async function startAlertmanager(webhookUrl: string): Promise<{ url: string; child: ChildProcess; log(): string; stop(): Promise<void> }> {
  if (!existsSync(ALERTMANAGER)) {
    throw new Error(`${ALERTMANAGER} is missing: install the Debian package prometheus-alertmanager (scripts/install-deps.sh)`);
  }
  const dir = mkdtempSync(join(tmpdir(), "nsplug-am-"));
  const config = join(dir, "alertmanager.yml");
  writeFileSync(
    config,
    [
      "route:",
      "  receiver: ns-plug",
      "  group_by: ['alertname', 'interface', 'path']",
      "  group_wait: 1s",
      "  group_interval: 1s",
      "  repeat_interval: 1h",
      "receivers:",
      "  - name: ns-plug",
      "    webhook_configs:",
      `      - url: '${webhookUrl}'`,
      "        send_resolved: true",
      "",
    ].join("\n"),
  );
  const check = spawnSync("amtool", ["check-config", config], { encoding: "utf8" });
  assert.is(check.status, 0, `amtool check-config: ${check.stdout}${check.stderr}`);
  let log = "";
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const child = spawn(
      ALERTMANAGER,
      [`--config.file=${config}`, `--storage.path=${join(dir, "data")}`, `--web.listen-address=127.0.0.1:${port}`, "--cluster.listen-address="],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    child.stdout!.on("data", (b) => (log += b));
    child.stderr!.on("data", (b) => (log += b));
    const url = `http://127.0.0.1:${port}`;
    const t0 = Date.now();
    while (child.exitCode === null && Date.now() - t0 < 15_000) {
      const ready = await fetch(`${url}/-/ready`).then((r) => r.ok, () => false);
      if (ready) {
        return {
          url,
          child,
          log: () => log,
          stop: async () => {
            child.kill("SIGTERM");
            if (child.exitCode === null) await new Promise((r) => child.once("exit", r));
            rmSync(dir, { recursive: true, force: true });
          },
        };
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    child.kill("SIGKILL");
    // The port picked may have been taken in between: one more try, then give up with its log.
    if (attempt >= 2) throw new Error(`Alertmanager did not become ready:\n${log}`);
  }
}

async function postAlerts(amUrl: string, alerts: unknown[]): Promise<void> {
  const res = await fetch(`${amUrl}/api/v2/alerts`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(alerts),
  });
  assert.is(res.status, 200, `Alertmanager refused the alerts: ${await res.text()}`);
}

test("real Alertmanager → proxy → portal: legacy alerts arrive firing, then resolved; HA resolution sends nothing", async () => {
  const sink = await startAlertSink();
  const dir = testdir({
    "/etc/config/ns-plug": registeredConfig(sink.alertsUrl, { alert_proxy_loglevel: "debug" }),
    // The shipped HA rules, as on the router: their HaPrimaryRecovered rule turns the HA override on.
    "/etc/vmalert/rules/ha.yaml": readFileSync(join(REPO, "files/etc/vmalert/rules/ha.yaml"), "utf8"),
  });
  // Nothing may outlive a failure here: an open sink would keep this file's process (and CI) waiting.
  let proxy: Awaited<ReturnType<typeof startProxy>> | undefined;
  let am: Awaited<ReturnType<typeof startAlertmanager>> | undefined;
  try {
    proxy = await startProxy(dir);
    am = await startAlertmanager(`${proxy.url}/`);
    const startsAt = new Date(Date.now() - 60_000).toISOString();
    const alerts = [
      { labels: { alertname: "WanDown", interface: "wan", severity: "critical" }, annotations: { summary: "wan down" } },
      { labels: { alertname: "DiskSpaceCritical", path: "/", severity: "critical" }, annotations: {} },
      { labels: { alertname: "HaPrimaryFailed", severity: "critical" }, annotations: {} },
      { labels: { alertname: "NodeExporterDown" }, annotations: {} },
    ];
    await postAlerts(am.url, alerts.map((a) => ({ ...a, startsAt })));
    const has = (id: string, status: string) => (a: typeof sink.accepted) => a.some((x) => x.alert_id === id && x.status === status);
    await sink.until((a) => ["wan:wan:down", "df:root:percent_bytes:free", "ha:primary:failed"].every((id) => has(id, "FAILURE")(a)));

    const endsAt = new Date().toISOString();
    await postAlerts(am.url, alerts.map((a) => ({ ...a, startsAt, endsAt })));
    await sink.until((a) => has("wan:wan:down", "OK")(a) && has("df:root:percent_bytes:free", "OK")(a));
    // The HA resolution reaches the proxy too (its own group): the proxy ignores it.
    await proxy.logged(/webhook: forward nothing; ignore 1 \(HaPrimaryFailed\)/);
    assert.equal(await proxy.stop("SIGTERM"), { code: 0, signal: null });

    const seq = (id: string) => sink.accepted.filter((x) => x.alert_id === id).map((x) => x.status);
    for (const id of ["wan:wan:down", "df:root:percent_bytes:free"]) {
      const s = seq(id);
      assert.is(s[0], "FAILURE", `${id}: ${s}`);
      assert.is(s[s.length - 1], "OK", `${id}: ${s}`);
      assert.ok(s.indexOf("OK") > s.lastIndexOf("FAILURE"), `${id}: never FAILURE after OK: ${s}`);
    }
    assert.not.ok(seq("ha:primary:failed").includes("OK"), "HaPrimaryFailed's resolution sends nothing");
    assert.ok(sink.accepted.every((x) => x.lk === "SYS-0001"));
    assert.not.ok(sink.accepted.some((x) => /NodeExporter/.test(x.alert_id)));
  } finally {
    await am?.stop();
    await proxy?.stop("SIGKILL");
    await sink.close();
    dir.cleanup();
  }
});

test.run();
