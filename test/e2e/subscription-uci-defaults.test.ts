/**
 * uci-defaults/20_ns-plug (SPEC §6) run by a real POSIX shell (dash) under a
 * temp root (NS_PLUG_ROOT), with a `uci` stand-in backed by our UCI store.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import { mkdirSync, symlinkSync } from "node:fs";
import { dirname, join } from "node:path";
import { BUNDLE, REPO } from "../helpers/bundle";
import { cronLine } from "../../src/schedule/jobs";
import { UCI_STANDIN, words } from "../helpers/uci-standin";
import { testdir, type TestDir } from "../helpers/testdir";
import { nsPlugOptions } from "./subscription-fixture";

const SCRIPT = join(REPO, "uci-defaults", "20_ns-plug");
// The unit's NIC is the key of its cron offsets (src/schedule/): fixed, so the lines are known.
const KEY = "mac:52:54:00:12:34:56";
const CRON = [cronLine(KEY, "backup"), cronLine(KEY, "heartbeat"), cronLine(KEY, "inventory")];

function root(files: Record<string, string> = {}): TestDir {
  const dir = testdir({
    "/etc/config/ns-plug": "\nconfig main 'config'\n\toption tls_verify '1'\n",
    "/sys/class/net/eth0/address": "52:54:00:12:34:56\n",
    "/sys/class/net/eth0/device/uevent": "",
    ...files,
  });
  dir.standin("uci", `exec node --import tsx '${UCI_STANDIN}' "$@"`);
  // The bundle as installed: 20_ns-plug asks it for the cron lines.
  const installed = dir.path("/usr/libexec/ns-plug/ns-plug.js");
  mkdirSync(dirname(installed), { recursive: true });
  symlinkSync(BUNDLE, installed);
  return dir;
}

function runScript(dir: TestDir): { code: number | null; stderr: string } {
  const r = spawnSync("dash", [SCRIPT], {
    env: { PATH: `${dir.bin}:${process.env.PATH}`, NS_PLUG_ROOT: dir.root, HOME: dir.root },
    encoding: "utf8",
  });
  return { code: r.status, stderr: r.stderr };
}

const uciCalls = (dir: TestDir) => dir.calls().filter((c) => c.startsWith("uci"));

test("shellcheck: clean as POSIX sh", () => {
  const r = spawnSync("shellcheck", ["-s", "sh", SCRIPT], { encoding: "utf8" });
  if (r.error) assert.unreachable(`shellcheck could not run: ${r.error.message}`);
  assert.is(r.status, 0, r.stdout + r.stderr);
});

test("fresh root: three cron lines, /etc/repo-channel, default repository_url; idempotent", () => {
  const dir = root();
  try {
    const first = runScript(dir);
    assert.is(first.code, 0, first.stderr);
    assert.is(dir.read("/etc/crontabs/root"), CRON.join("\n") + "\n");
    assert.is(dir.read("/etc/repo-channel"), "stable\n");
    assert.is(nsPlugOptions(dir).repository_url, "https://updates.nethsecurity.nethserver.org/stable");
    assert.ok(uciCalls(dir).includes("uci batch"));

    const config = dir.read("/etc/config/ns-plug");
    const calls = uciCalls(dir).length;
    const second = runScript(dir);
    assert.is(second.code, 0, second.stderr);
    assert.is(dir.read("/etc/crontabs/root"), CRON.join("\n") + "\n", "no duplicate lines");
    assert.is(dir.read("/etc/config/ns-plug"), config);
    // Only looked (repository_url set; the unsubscribed-unit migration of SPEC §10 finds it current).
    assert.equal(
      uciCalls(dir).slice(calls),
      ["uci -q get ns-plug.config.repository_url", "uci -q get ns-plug.config.system_id", "uci -q get ns-plug.config.repository_url"],
      "only looked",
    );
  } finally {
    dir.cleanup();
  }
});

test("existing crontab: other lines kept, a missing final newline fixed, our own schedules respected", () => {
  const dir = root({
    "/etc/crontabs/root": "0 4 * * * /usr/bin/other\n15 1 * * * /usr/sbin/send-backup",
    "/etc/repo-channel": "dev\n",
  });
  try {
    assert.is(runScript(dir).code, 0);
    assert.is(dir.read("/etc/crontabs/root"), ["0 4 * * * /usr/bin/other", "15 1 * * * /usr/sbin/send-backup", CRON[1], CRON[2]].join("\n") + "\n");
    assert.is(dir.read("/etc/repo-channel"), "dev\n", "kept");
    assert.is(nsPlugOptions(dir).repository_url, "https://updates.nethsecurity.nethserver.org/dev");
  } finally {
    dir.cleanup();
  }
});

test("a set repository_url is left alone", () => {
  const dir = root({ "/etc/config/ns-plug": "\nconfig main 'config'\n\toption repository_url 'https://mirror.example/x'\n" });
  try {
    const before = dir.read("/etc/config/ns-plug");
    assert.is(runScript(dir).code, 0);
    assert.is(dir.read("/etc/config/ns-plug"), before);
  } finally {
    dir.cleanup();
  }
});

test("registered unit without repository_url: the subscribed feed; the secret goes through stdin, never argv", () => {
  const secret = `it's $(id) "q"`;
  const dir = root({
    "/etc/config/ns-plug":
      "\nconfig main 'config'\n\toption type 'enterprise'\n\toption system_id 'abc-123'\n" +
      `\toption secret '${secret.replace(/'/g, "'\\''")}'\n`,
  });
  try {
    const r = runScript(dir);
    assert.is(r.code, 0, r.stderr);
    assert.is(nsPlugOptions(dir).repository_url, `https://abc-123:${secret}@distfeed.nethesis.it/repository/enterprise/nethsecurity`);
    assert.is(nsPlugOptions(dir).secret, secret);
    for (const c of dir.calls()) assert.not.ok(c.includes(secret), `argv carried the secret: ${c}`);
  } finally {
    dir.cleanup();
  }
});

test("the uci stand-in's batch tokenizer reads quoting like libuci", () => {
  assert.equal(words(`set a.b.c='it'\\''s "x"' x\\ y "d\\"q"`), ["set", `a.b.c=it's "x"`, "x y", 'd"q']);
});

test.run();
