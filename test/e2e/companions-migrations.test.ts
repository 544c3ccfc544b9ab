/**
 * The SPEC §10 migrations (uci-defaults) run by a real POSIX shell (dash)
 * on a root prepared as the original package left it, twice: the first run
 * migrates, the second changes nothing. And the mwan-hooks dispatcher
 * running hooks that succeed, fail, skip (129) and print.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { REPO } from "../helpers/bundle";
import { UCI_STANDIN } from "../helpers/uci-standin";
import { testdir, type TestDir } from "../helpers/testdir";

const run = (dir: TestDir, script: string) =>
  spawnSync("dash", [script.startsWith("/") ? script : join(REPO, "uci-defaults", script)], {
    env: { PATH: `${dir.bin}:${process.env.PATH}`, NS_PLUG_ROOT: dir.root, HOME: dir.root },
    encoding: "utf8",
  });

/** Run twice; the second run must leave every listed file byte for byte (and mode) as the first left it. */
function twice(dir: TestDir, script: string, files: string[]): void {
  const first = run(dir, script);
  assert.is(first.status, 0, `${script}: ${first.stderr}`);
  const after = files.map((f) => [dir.readIfExists(f), dir.exists(f) ? dir.mode(f) : undefined]);
  const calls = dir.calls().length;
  const second = run(dir, script);
  assert.is(second.status, 0, `${script} (second run): ${second.stderr}`);
  assert.equal(files.map((f) => [dir.readIfExists(f), dir.exists(f) ? dir.mode(f) : undefined]), after, `${script}: the second run changed nothing`);
  assert.not.ok(dir.calls().slice(calls).some((c) => /^uci (-q )?(set|delete|commit|batch)/.test(c)), "the second run wrote nothing through uci");
}

const CRON_OTHERS = [
  "02 2 * * * sleep $(( RANDOM % 1800 )); /usr/sbin/send-backup",
  "*/10 * * * * sleep $(( RANDOM % 60 )); /usr/sbin/send-heartbeat",
  "0 4 * * * /usr/bin/admin-job --keep",
];
const NEW_UPDATES = "5 2 * * * sleep $(( RANDOM % 18000 )); /usr/sbin/update-packages";

test("automatic updates: the opkg cron line becomes update-packages, other lines kept in place, mode kept", () => {
  const dir = testdir({
    "/etc/crontabs/root": {
      content: [CRON_OTHERS[0], "5 2 * * * sleep $(( RANDOM % 18000 )); /bin/opkg list-upgradable | /usr/bin/cut -f 1 -d ' ' | /usr/bin/xargs -r opkg upgrade", ...CRON_OTHERS.slice(1)].join("\n") + "\n",
      mode: 0o600,
    },
  });
  try {
    twice(dir, "40_ns-plug_automatic_updates", ["/etc/crontabs/root"]);
    assert.is(dir.read("/etc/crontabs/root"), [CRON_OTHERS[0], NEW_UPDATES, ...CRON_OTHERS.slice(1)].join("\n") + "\n");
    assert.is(dir.mode("/etc/crontabs/root"), 0o600);
  } finally {
    dir.cleanup();
  }
});

test("automatic updates: the apk form too; an existing update-packages line is not doubled; no old line → untouched", () => {
  const apkLine = "5 2 * * * sleep $(( RANDOM % 18000 )); /usr/bin/apk list --upgradable | /usr/bin/cut -f 1 -d ' ' | /usr/bin/xargs -r apk upgrade";
  const dir = testdir({ "/etc/crontabs/root": [apkLine, NEW_UPDATES, CRON_OTHERS[2]].join("\n") + "\n" });
  const off = testdir({ "/etc/crontabs/root": CRON_OTHERS.join("\n") + "\n" });
  try {
    twice(dir, "40_ns-plug_automatic_updates", ["/etc/crontabs/root"]);
    assert.is(dir.read("/etc/crontabs/root"), [NEW_UPDATES, CRON_OTHERS[2]].join("\n") + "\n");
    twice(off, "40_ns-plug_automatic_updates", ["/etc/crontabs/root"]);
    assert.is(off.read("/etc/crontabs/root"), CRON_OTHERS.join("\n") + "\n", "automatic updates stay off");
  } finally {
    dir.cleanup();
    off.cleanup();
  }
});

test("rsyslog fixup: `$PreserveFQDN on` and the rsyslog.promtail forwarder removed, the rest kept", () => {
  const conf = ["# rsyslog.conf", "$ModLoad imuxsock", "$PreserveFQDN on", "*.info /var/log/messages", ""].join("\n");
  const dir = testdir({
    "/etc/rsyslog.conf": conf,
    "/etc/config/rsyslog":
      "\nconfig syslog 'syslog'\n\toption tcp_input '0'\n\tlist includes '/etc/rsyslog.d/*.conf'\n" +
      "\nconfig forwarder 'promtail'\n\toption source 'remote'\n\toption target '10.5.4.1'\n\toption port '5151'\n\toption protocol 'udp'\n",
  });
  try {
    dir.standin("uci", `exec node --import tsx '${UCI_STANDIN}' "$@"`);
    twice(dir, "50_ns-plug_rsyslog_fixup", ["/etc/rsyslog.conf", "/etc/config/rsyslog"]);
    assert.is(dir.read("/etc/rsyslog.conf"), conf.replace("$PreserveFQDN on\n", ""));
    // (Written by the uci stand-in, i.e. our libuci-exact store: compare the content, not the blank lines.)
    assert.is(dir.read("/etc/config/rsyslog").trim(), "config syslog 'syslog'\n\toption tcp_input '0'\n\tlist includes '/etc/rsyslog.d/*.conf'");
    assert.ok(dir.calls().includes("uci -q delete rsyslog.promtail"));
  } finally {
    dir.cleanup();
  }
});

test("rsyslog fixup: a promtail section that is not a forwarder is left alone", () => {
  const dir = testdir({ "/etc/rsyslog.conf": "$ModLoad imuxsock\n", "/etc/config/rsyslog": "\nconfig syslog 'promtail'\n\toption x '1'\n" });
  try {
    dir.standin("uci", `exec node --import tsx '${UCI_STANDIN}' "$@"`);
    twice(dir, "50_ns-plug_rsyslog_fixup", ["/etc/rsyslog.conf", "/etc/config/rsyslog"]);
    assert.is(dir.read("/etc/config/rsyslog"), "\nconfig syslog 'promtail'\n\toption x '1'\n");
  } finally {
    dir.cleanup();
  }
});

test("backup-encryption-alert: its cron line removed, the others kept in order", () => {
  const dir = testdir({
    "/etc/crontabs/root": [CRON_OTHERS[0], "*/30 * * * * /usr/libexec/backup-encryption-alert", ...CRON_OTHERS.slice(1)].join("\n") + "\n",
  });
  try {
    twice(dir, "99_ns-plug_backup_alert_cleanup", ["/etc/crontabs/root"]);
    assert.is(dir.read("/etc/crontabs/root"), CRON_OTHERS.join("\n") + "\n");
  } finally {
    dir.cleanup();
  }
});

test("mwan hooks: the dispatcher line is added once in the background form; the original's foreground line is converted", () => {
  const stock = "#!/bin/sh\n# This file is interpreted as shell script.\n";
  const fresh = testdir({ "/etc/mwan3.user": stock });
  const legacy = testdir({ "/etc/mwan3.user": stock + "/usr/libexec/ns-plug/mwan-hooks\n" });
  const noNewline = testdir({ "/etc/mwan3.user": stock + "logger custom" });
  try {
    for (const d of [fresh, legacy]) {
      twice(d, "40_ns-plug_mwan_hooks", ["/etc/mwan3.user"]);
      assert.is(d.read("/etc/mwan3.user"), stock + "/usr/libexec/ns-plug/mwan-hooks &\n");
      assert.ok(d.exists("/usr/libexec/mwan-hooks"));
    }
    twice(noNewline, "40_ns-plug_mwan_hooks", ["/etc/mwan3.user"]);
    assert.is(noNewline.read("/etc/mwan3.user"), stock + "logger custom\n/usr/libexec/ns-plug/mwan-hooks &\n");
  } finally {
    fresh.cleanup();
    legacy.cleanup();
    noNewline.cleanup();
  }
});

test("mwan-hooks dispatcher: runs every hook in name order with mwan3's environment; failures (not 129) logged with their output; exit = failures", () => {
  const dir = testdir();
  try {
    const r = dir.root;
    dir.standin("logger", `while IFS= read -r line; do printf '%s\\n' "$line" >> '${r}/.standins/syslog'; done`);
    dir.standin("/usr/libexec/mwan-hooks/10-ok", `echo "ok $ACTION $INTERFACE" >> '${r}/.standins/ran'`);
    dir.standin("/usr/libexec/mwan-hooks/20-fails", `echo "ran 20" >> '${r}/.standins/ran'; echo "cannot reach 8.8.8.8"; echo "second line" >&2; exit 3`);
    dir.standin("/usr/libexec/mwan-hooks/30-skips", `echo "ran 30" >> '${r}/.standins/ran'; exit 129`);
    dir.standin("/usr/libexec/mwan-hooks/40-fails-quietly", `echo "ran 40" >> '${r}/.standins/ran'; exit 1`);
    dir.write("/usr/libexec/mwan-hooks/50-not-executable", "#!/bin/sh\necho 'ran 50' >> /dev/null\n", 0o644);
    const res = spawnSync("dash", [join(REPO, "files/usr/libexec/ns-plug/mwan-hooks")], {
      env: { PATH: `${dir.bin}:${process.env.PATH}`, NS_PLUG_ROOT: dir.root, ACTION: "ifdown", INTERFACE: "wan2" },
      encoding: "utf8",
    });
    assert.is(res.status, 2, "two hooks failed");
    assert.is(dir.read("/.standins/ran"), "ok ifdown wan2\nran 20\nran 30\nran 40\n");
    assert.equal(dir.read("/.standins/syslog").split("\n").filter(Boolean), [
      "Script /usr/libexec/mwan-hooks/20-fails failed with exit code 3",
      "cannot reach 8.8.8.8",
      "second line",
      "Script /usr/libexec/mwan-hooks/40-fails-quietly failed with exit code 1",
    ]);
    assert.ok(dir.calls().filter((c) => c.startsWith("logger")).every((c) => c === "logger -t mwan3-hook"));
  } finally {
    dir.cleanup();
  }
});

test("mwan-hooks dispatcher: no hooks (empty or missing directory) → exit 0", () => {
  const dir = testdir();
  try {
    const res = spawnSync("dash", [join(REPO, "files/usr/libexec/ns-plug/mwan-hooks")], { env: { PATH: process.env.PATH, NS_PLUG_ROOT: dir.root }, encoding: "utf8" });
    assert.is(res.status, 0, res.stderr);
  } finally {
    dir.cleanup();
  }
});

test.run();
