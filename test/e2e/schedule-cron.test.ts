/**
 * The cron lines at the unit's offsets (SPEC §6, §3.1 step 5; issues 17 and
 * 12), as installed: uci-defaults/20_ns-plug run by dash with the built bundle
 * in the temp root, and `ns-plug connect` against the loopback controller.
 * A crontab left by the original package is migrated exactly once.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import { mkdirSync, rmSync, symlinkSync } from "node:fs";
import { dirname, join } from "node:path";
import { BUNDLE, REPO, runBundle } from "../helpers/bundle";
import { testdir, type TestDir } from "../helpers/testdir";
import { startController, type Controller } from "../servers/controller";
import { DEMO_SYSTEMS, startPortal } from "../servers/portal";
import { cronLine, type JobId } from "../../src/schedule/jobs";
import { ORIGINAL_CRON_LINES } from "../helpers/original-crontab";

const SCRIPT = join(REPO, "uci-defaults", "20_ns-plug");
const MAC = "00:1b:21:3a:4f:10";
const KEY = `mac:${MAC}`;
const line = (id: JobId) => cronLine(KEY, id);

/** What the original package leaves in root's crontab, update-packages' line included. */
const ORIGINAL = [...ORIGINAL_CRON_LINES, "5 2 * * * sleep $(( RANDOM % 18000 )); /usr/sbin/update-packages"];

let ctl: Controller;
test.before(async () => {
  ctl = await startController({ tls: false, autoApprove: true });
});
test.after(() => ctl.close());

/** A unit root: a physical NIC (the key), a virtual bridge with a lower MAC (ignored), the bundle installed. */
function unit(files: Record<string, string> = {}): TestDir {
  const dir = testdir({
    "/etc/config/ns-plug": "\nconfig main 'config'\n\toption repository_url 'https://mirror.example/x'\n",
    "/sys/class/net/eth0/address": `${MAC}\n`,
    "/sys/class/net/eth0/device/uevent": "DRIVER=igb\n",
    "/sys/class/net/br-lan/address": "00:00:5e:00:53:01\n",
    "/var/run/ns-plug.booted": "",
    ...files,
  });
  const installed = dir.path("/usr/libexec/ns-plug/ns-plug.js");
  mkdirSync(dirname(installed), { recursive: true });
  symlinkSync(BUNDLE, installed);
  dir.standin("uci", "exit 0");
  return dir;
}

function uciDefaults(dir: TestDir): { code: number | null; stderr: string } {
  const r = spawnSync("dash", [SCRIPT], {
    env: { PATH: `${dir.bin}:${process.env.PATH}`, NS_PLUG_ROOT: dir.root, HOME: dir.root },
    encoding: "utf8",
  });
  return { code: r.status, stderr: r.stderr };
}

test("fresh unit: 20_ns-plug writes the three portal jobs at this unit's offsets; `schedule --print` shows the same lines", async () => {
  const dir = unit();
  try {
    const r = uciDefaults(dir);
    assert.is(r.code, 0, r.stderr);
    const tab = dir.read("/etc/crontabs/root");
    assert.is(tab, `${line("backup")}\n${line("heartbeat")}\n${line("inventory")}\n`);
    assert.match(tab, /^\d+ [2-5] \* \* \* sleep \d+; \/usr\/sbin\/send-backup$/m);
    assert.match(tab, /^(\d+,){5}\d+ \* \* \* \* sleep \d+; \/usr\/sbin\/send-heartbeat$/m);
    assert.ok(dir.calls().includes("/etc/init.d/cron restart"), "crond told");
    const p = await runBundle(["schedule", "--print"], { dir });
    assert.is(p.code, 0, p.stderr);
    assert.ok(p.stdout.startsWith(`${line("heartbeat")}\n${line("reports")}\n${line("backup")}\n${line("inventory")}\n`), p.stdout);
    assert.is(uciDefaults(dir).code, 0);
    assert.is(dir.read("/etc/crontabs/root"), tab, "second run: unchanged");
  } finally {
    dir.cleanup();
  }
});

test("upgrade from the original: 20_ns-plug migrates its crontab exactly once; other lines stay as they were", () => {
  const dir = unit({ "/etc/crontabs/root": ORIGINAL.join("\n") + "\n" });
  try {
    assert.is(uciDefaults(dir).code, 0);
    const once = dir.read("/etc/crontabs/root");
    assert.is(
      once,
      [line("backup"), ORIGINAL[1], line("heartbeat"), line("inventory"), line("reports"), ORIGINAL[5]].join("\n") + "\n",
    );
    const restarts = dir.calls().filter((c) => c === "/etc/init.d/cron restart").length;
    assert.is(uciDefaults(dir).code, 0);
    assert.is(dir.read("/etc/crontabs/root"), once, "run twice → unchanged");
    assert.is(dir.calls().filter((c) => c === "/etc/init.d/cron restart").length, restarts, "crond not restarted for nothing");
  } finally {
    dir.cleanup();
  }
});

test("HA backup node: lines commented out by ns-ha stay commented (migrated), nothing is added again", () => {
  const dir = unit({ "/etc/crontabs/root": ORIGINAL.map((l) => (l.includes("send-") || l.includes("ns-push") ? `#${l}` : l)).join("\n") + "\n" });
  try {
    assert.is(uciDefaults(dir).code, 0);
    const tab = dir.read("/etc/crontabs/root");
    for (const id of ["backup", "heartbeat", "inventory", "reports"] as JobId[]) {
      assert.is(tab.split("\n").filter((l) => l.includes(line(id).split("; ")[1]!)).join("|"), `#${line(id)}`, id);
    }
  } finally {
    dir.cleanup();
  }
});

test("no working bundle: 20_ns-plug still schedules the original's lines (migrated by the next run)", () => {
  const dir = unit();
  try {
    rmSync(dir.path("/usr/libexec/ns-plug/ns-plug.js"));
    const r = uciDefaults(dir);
    assert.is(r.code, 0, r.stderr);
    assert.is(dir.read("/etc/crontabs/root"), [ORIGINAL[0], ORIGINAL[2], ORIGINAL[3]].join("\n") + "\n");
    symlinkSync(BUNDLE, dir.path("/usr/libexec/ns-plug/ns-plug.js"));
    assert.is(uciDefaults(dir).code, 0);
    assert.is(dir.read("/etc/crontabs/root"), `${line("backup")}\n${line("heartbeat")}\n${line("inventory")}\n`);
  } finally {
    dir.cleanup();
  }
});

function joined(extra: Record<string, string>): TestDir {
  return unit({
    "/etc/config/ns-plug":
      `\nconfig main 'config'\n\toption server '${ctl.url}'\n\toption unit_id 'u-${Math.random().toString(36).slice(2)}'\n` +
      `\toption token '${ctl.token}'\n\toption type 'enterprise'\n\toption system_id 'S'\n`,
    ...extra,
  });
}

async function connect(dir: TestDir): Promise<void> {
  // As /etc/init.d/ns-plug restart: its stop forgets the backoff count, so no wait here.
  rmSync(dir.path("/var/run/ns-plug.backoff"), { force: true });
  const r = await runBundle(["connect"], { dir, timeoutMs: 60_000 });
  assert.is(r.code, 0, r.stderr);
}

test("connect (subscribed unit): the reports line at this unit's offset in /usr/bin; again: unchanged", async () => {
  const dir = joined({ "/etc/crontabs/root": "0 4 * * * /usr/bin/other\n" });
  try {
    await connect(dir);
    assert.is(dir.read("/etc/crontabs/root"), `0 4 * * * /usr/bin/other\n${line("reports")}\n`);
    await connect(dir);
    assert.is(dir.read("/etc/crontabs/root"), `0 4 * * * /usr/bin/other\n${line("reports")}\n`);
  } finally {
    dir.cleanup();
  }
});

test("connect on a unit upgraded from the original (/usr/bin line) or from our earlier release (/usr/sbin line): exactly one working line", async () => {
  for (const tab of [
    ORIGINAL.join("\n") + "\n",
    "*/15 * * * * sleep $(( RANDOM % 60 )); /usr/sbin/ns-push-reports\n",
    "*/15 * * * * sleep $(( RANDOM % 60 )); /usr/bin/ns-push-reports\n*/15 * * * * sleep $(( RANDOM % 60 )); /usr/sbin/ns-push-reports\n",
  ]) {
    const dir = joined({ "/etc/crontabs/root": tab });
    try {
      await connect(dir);
      const out = dir.read("/etc/crontabs/root");
      const reports = out.split("\n").filter((l) => l.includes("ns-push-reports"));
      assert.equal(reports, [line("reports")], tab);
      await connect(dir);
      assert.is(dir.read("/etc/crontabs/root"), out, "again: unchanged");
    } finally {
      dir.cleanup();
    }
  }
});

test("register (portal): the portal jobs are scheduled at this unit's offsets; a line HA commented out stays so", async () => {
  const portal = await startPortal();
  const ha = `#${ORIGINAL[2]}`; // send-heartbeat, disabled on an HA backup node
  const dir = unit({ "/etc/crontabs/root": `${ha}\n` });
  try {
    const sys = DEMO_SYSTEMS[0]!;
    const r = await runBundle(["register", sys.type, sys.secret], { dir, env: portal.env });
    assert.is(r.code, 0, r.stderr);
    assert.is(dir.read("/etc/crontabs/root"), `#${line("heartbeat")}\n${line("backup")}\n${line("inventory")}\n`);
  } finally {
    await portal.close();
    dir.cleanup();
  }
});

test.run();
