/**
 * The shipped vmalert rules, evaluated by the real vmalert (Debian's
 * victoria-metrics package) against a real single-node victoria-metrics, with
 * the real alert proxy (the built bundle) as vmalert's notifier and a
 * loopback portal sink behind it: a WAN goes down and / passes 90 %, then
 * both recover; the portal receives exactly the legacy alerts, FAILURE then OK.
 *
 * !!! TEMPLATED COPY: the rules vmalert loads here are the shipped files with
 * !!! every `for:` duration replaced by `for: 2s` (WanDown and
 * !!! DiskSpaceCritical wait 2 minutes on the router; waiting that long here
 * !!! would make this test take minutes). Nothing else differs: the test
 * !!! checks that the copies equal the shipped files line by line apart from
 * !!! `for:` lines. The shipped files themselves pass `vmalert -dryRun`.
 * No group of the shipped files sets `interval:`, so `-evaluationInterval=1s`
 * (a flag, not an edit) makes vmalert evaluate every second.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { REPO } from "../helpers/bundle";
import { testdir } from "../helpers/testdir";
import { registeredConfig, startAlertSink, startProxy } from "../servers/alerts-sink";
import { freePort } from "../helpers/servers";

const VMALERT = "/usr/bin/vmalert";
const VICTORIA = "/usr/bin/victoria-metrics";
const RULES = join(REPO, "files/etc/vmalert/rules");
const SHIPPED = ["backup.yaml", "ha.yaml", "host.yaml", "mwan.yaml", "services.yaml", "storage.yaml"];

function requireBinaries(): void {
  for (const b of [VMALERT, VICTORIA]) {
    if (!existsSync(b)) throw new Error(`${b} is missing: install the Debian package victoria-metrics (scripts/install-deps.sh)`);
  }
}

interface Daemon {
  url: string;
  child: ChildProcess;
  log(): string;
  stop(): Promise<void>;
}

/** Start a VictoriaMetrics program on a free loopback port; ready when `readyPath` answers 200. */
async function startDaemon(bin: string, args: (port: number) => string[], readyPath: string): Promise<Daemon> {
  let log = "";
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const child = spawn(bin, args(port), { stdio: ["ignore", "pipe", "pipe"] });
    child.stdout!.on("data", (b) => (log += b));
    child.stderr!.on("data", (b) => (log += b));
    const url = `http://127.0.0.1:${port}`;
    const t0 = Date.now();
    while (child.exitCode === null && Date.now() - t0 < 20_000) {
      if (await fetch(url + readyPath).then((r) => r.ok, () => false)) {
        return {
          url,
          child,
          log: () => log,
          async stop() {
            if (child.exitCode === null && child.signalCode === null) {
              child.kill("SIGTERM");
              await new Promise((r) => child.once("exit", r));
            }
          },
        };
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    child.kill("SIGKILL");
    // The port may have been taken in between: try again, then give up with the log.
    if (attempt >= 2) throw new Error(`${bin} did not become ready:\n${log}`);
  }
}

/** The templated copy (see the header): every `for:` → `for: 2s`, nothing else. */
function templateRules(dir: string): string[] {
  mkdirSync(dir, { recursive: true });
  return SHIPPED.map((name) => {
    const shipped = readFileSync(join(RULES, name), "utf8");
    const copy = shipped.replace(/^(\s*)for:\s*\S+\s*$/gm, "$1for: 2s");
    const a = shipped.split("\n");
    const b = copy.split("\n");
    assert.is(a.length, b.length, `${name}: same number of lines`);
    a.forEach((line, i) => {
      if (line !== b[i]) assert.match(line, /^\s*for:\s*\S+\s*$/, `${name}:${i + 1}: only for: lines differ`);
    });
    const out = join(dir, name);
    writeFileSync(out, copy);
    return out;
  });
}

test("vmalert -dryRun accepts every shipped rule file; every alert of SPEC §3.6 has a rule", () => {
  requireBinaries();
  const files = readdirSync(RULES).filter((f) => f.endsWith(".yaml")).sort();
  assert.equal(files, SHIPPED);
  let all = "";
  for (const f of files) {
    const r = spawnSync(VMALERT, ["-dryRun", `-rule=${join(RULES, f)}`], { encoding: "utf8" });
    assert.is(r.status, 0, `${f}: ${r.stdout}${r.stderr}`);
    all += readFileSync(join(RULES, f), "utf8");
  }
  const names = [...all.matchAll(/^\s*- alert:\s*(\S+)/gm)].map((m) => m[1]);
  for (const n of ["WanDown", "DiskSpaceCritical", "BackupEncryptionDisabled", "StorageStatus", "HaPrimaryFailed", "HaSyncFailed", "HaPrimaryRecovered"]) {
    assert.ok(names.includes(n), `a rule for ${n}`);
  }
  assert.not.match(all, /^\s*interval:/m, "no group pins its interval: the router's -evaluationInterval applies");
  // And a broken file is refused, so the check above means something.
  const tmp = mkdtempSync(join(tmpdir(), "nsplug-vmrule-"));
  try {
    writeFileSync(join(tmp, "bad.yaml"), "groups:\n  - name: x\n    rules:\n      - alert: A\n        expr: rate(\n");
    assert.is.not(spawnSync(VMALERT, ["-dryRun", `-rule=${join(tmp, "bad.yaml")}`]).status, 0);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test("real victoria-metrics + vmalert + proxy: WAN down, / over 90 % and no backup passphrase reach the portal as legacy alerts, FAILURE then OK", async () => {
  requireBinaries();
  const work = mkdtempSync(join(tmpdir(), "nsplug-vm-"));
  const sink = await startAlertSink();
  const dir = testdir({
    "/etc/config/ns-plug": registeredConfig(sink.alertsUrl, { alert_proxy_loglevel: "debug" }),
    "/etc/vmalert/rules/ha.yaml": readFileSync(join(RULES, "ha.yaml"), "utf8"),
  });
  const proxy = await startProxy(dir);
  const daemons: Daemon[] = [];
  let writer: ReturnType<typeof setInterval> | undefined;
  const t0 = Date.now();
  try {
    const vm = await startDaemon(
      VICTORIA,
      (p) => [`-storageDataPath=${join(work, "data")}`, `-httpListenAddr=127.0.0.1:${p}`, "-search.latencyOffset=0s", "-search.disableCache", "-loggerLevel=ERROR"],
      "/health",
    );
    daemons.push(vm);

    // What telegraf would write every few seconds on a healthy router with two WANs.
    const state: Record<string, number> = {
      'mwan_interface_online{interface="wan"}': 1,
      'mwan_interface_online{interface="wan2"}': 1,
      'disk_used_percent{path="/"}': 40,
      'disk_used_percent{path="/boot"}': 30,
      'disk_used_percent{path="/mnt/data"}': 20,
      "storage_status_error": 0,
      backup_encryption_encrypted: 1,
      'ha_alert_primary_failed_event{role="backup"}': 0,
      'ha_alert_sync_failed_event{role="primary"}': 0,
      'cpu_usage_idle{cpu="cpu-total"}': 90,
      "mem_used_percent": 30,
      "system_load1": 0.2,
      "system_n_cpus": 2,
      'procd_service_running{service="dnsmasq",instance="cfg01",has_respawn="true"}': 1,
      // A one-shot service that is not running: not "down".
      'procd_service_running{service="adblock",instance="instance1",has_respawn="false"}': 0,
    };
    const write = () =>
      fetch(`${vm.url}/api/v1/import/prometheus`, {
        method: "POST",
        body: Object.entries(state).map(([k, v]) => `${k} ${v}`).join("\n") + "\n",
      }).then((r) => assert.is(r.status, 204), () => undefined);
    await write();
    writer = setInterval(() => void write(), 1000);

    const rules = templateRules(join(work, "rules"));
    const vmalert = await startDaemon(
      VMALERT,
      (p) => [
        ...rules.map((r) => `-rule=${r}`),
        `-datasource.url=${vm.url}`,
        `-notifier.url=${proxy.url}`,
        "-evaluationInterval=1s",
        `-httpListenAddr=127.0.0.1:${p}`,
        "-loggerLevel=ERROR",
      ],
      "/health",
    );
    daemons.push(vmalert);

    // Healthy for a few evaluations: nothing reaches the portal.
    await new Promise((r) => setTimeout(r, 4000));
    assert.equal(sink.accepted, [], "a healthy router raises nothing");

    // The WAN goes down, / fills up (and a data disk too, which the portal does not track),
    // and the backup passphrase is removed.
    state['mwan_interface_online{interface="wan"}'] = 0;
    state.backup_encryption_encrypted = 0;
    state['procd_service_running{service="dnsmasq",instance="cfg01",has_respawn="true"}'] = 0;
    state['disk_used_percent{path="/"}'] = 95.5;
    state['disk_used_percent{path="/mnt/data"}'] = 97;
    const down = Date.now();
    await write();
    const has = (id: string, status: string) => sink.accepted.some((a) => a.alert_id === id && a.status === status);
    const failing = ["wan:wan:down", "df:root:percent_bytes:free", "backup:config:notencrypted"];
    await sink.until(() => failing.every((id) => has(id, "FAILURE")), 60_000);
    const firedAfter = Date.now() - down;
    // dnsmasq (respawned by procd) is down: a local-only alert; the one-shot adblock never is.
    await proxy.logged(/ignore \d+ \([^)]*ServiceDown/);
    const firing = (await (await fetch(`${vmalert.url}/api/v1/alerts`)).json()) as { data: { alerts: { labels: Record<string, string> }[] } };
    const downServices = firing.data.alerts.filter((a) => a.labels.alertname === "ServiceDown").map((a) => a.labels.service);
    assert.equal(downServices, ["dnsmasq"], "ServiceDown fires for the respawned daemon only");

    // All recover.
    state['mwan_interface_online{interface="wan"}'] = 1;
    state.backup_encryption_encrypted = 1;
    state['procd_service_running{service="dnsmasq",instance="cfg01",has_respawn="true"}'] = 1;
    state['disk_used_percent{path="/"}'] = 60;
    state['disk_used_percent{path="/mnt/data"}'] = 20;
    await write();
    await sink.until(() => failing.every((id) => has(id, "OK")), 60_000);
    clearInterval(writer);
    writer = undefined;
    // One more evaluation round for anything late, then compare.
    await new Promise((r) => setTimeout(r, 2000));

    const ids = [...new Set(sink.accepted.map((a) => a.alert_id))].sort();
    assert.equal(ids, [...failing].sort(), "exactly the legacy alerts");
    for (const id of ids) {
      const seq = sink.accepted.filter((a) => a.alert_id === id).map((a) => a.status);
      assert.is(seq[0], "FAILURE", `${id}: ${seq}`);
      assert.is(seq[seq.length - 1], "OK", `${id}: ${seq}`);
      assert.ok(seq.indexOf("OK") > seq.lastIndexOf("FAILURE"), `${id}: no FAILURE after OK: ${seq}`);
    }
    assert.ok(sink.accepted.every((a) => a.lk === "SYS-0001"));
    // vmalert's own timing: the templated `for: 2s` holds the alert back at least that long.
    assert.ok(firedAfter >= 2000, `fired after ${firedAfter} ms, not before for: elapsed`);
    // The proxy saw vmalert's local-only alert (the data disk) and dropped it.
    await proxy.logged(/ignore \d+ \([^)]*DiskSpaceWarning/);
    console.log(`vmalert e2e: FAILURE ${firedAfter} ms after the samples; whole test ${Date.now() - t0} ms`);
  } finally {
    if (writer) clearInterval(writer);
    for (const d of daemons.reverse()) await d.stop();
    await proxy.stop("SIGKILL");
    await sink.close();
    dir.cleanup();
    rmSync(work, { recursive: true, force: true });
  }
});

test.run();
