/**
 * /usr/sbin/ns-plug (POSIX sh) and /etc/init.d/ns-plug: shellcheck-clean,
 * exit codes passed through, SIGTERM from procd reaching the Node child, and
 * the procd instance the init script declares. (The wrapper exec'ing OpenVPN
 * is proven in controller-tunnel.test.ts.)
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { bundleEnv } from "../helpers/bundle";
import { testdir, type TestDir } from "../helpers/testdir";
import { startController, type Controller } from "../servers/controller";
import { INIT_SRC, WRAPPER_SRC, installUnitFiles } from "../servers/controller-unit";

let ctl: Controller;
test.before(async () => {
  ctl = await startController({ tls: false });
});
test.after(() => ctl.close());

function unit(o: Record<string, string>): TestDir {
  let conf = "\nconfig main 'config'\n";
  for (const [k, v] of Object.entries(o)) conf += `\toption ${k} '${v}'\n`;
  const dir = testdir({ "/etc/config/ns-plug": conf, "/var/run/ns-plug.booted": "" });
  installUnitFiles(dir);
  return dir;
}

test("shellcheck: the wrapper and the init script are clean", () => {
  for (const f of [WRAPPER_SRC, INIT_SRC]) {
    const r = spawnSync("shellcheck", ["-s", "sh", f], { encoding: "utf8" });
    if (r.error) assert.unreachable(`shellcheck could not run (Debian's shellcheck): ${r.error.message}`);
    assert.is(r.status, 0, r.stdout + r.stderr);
  }
  assert.ok(readFileSync(WRAPPER_SRC, "utf8").startsWith("#!/bin/sh\n"));
});

test("wrapper: connect's exit code comes back and OpenVPN is not started", () => {
  const dir = unit({ server: ctl.url, unit_id: "u-w" }); // no token → 3
  try {
    const r = spawnSync(dir.path("/usr/sbin/ns-plug"), [], { env: bundleEnv({ dir }), encoding: "utf8", timeout: 30_000 });
    assert.is(r.status, 3, r.stderr);
    assert.match(r.stderr, /token is not set/);
    assert.not.match(r.stdout + r.stderr, /OpenVPN/);
  } finally {
    dir.cleanup();
  }
});

test("wrapper: a SIGTERM that lands as connect finishes (exit 0) stops it: OpenVPN is not started", () => {
  const dir = unit({ server: ctl.url, unit_id: "u-t", token: "t" });
  try {
    dir.write("/usr/share/ns-plug/client.conf", "client\n", 0o600);
    dir.standin("openvpn");
    // connect, reduced to the moment that matters: procd's SIGTERM reaches the
    // wrapper (only it: procd signals the instance's pid) while connect is
    // ending, and connect still exits 0.
    dir.standin("node", "trap '' TERM\nkill -TERM \"$PPID\"\nsleep 0.3\nexit 0");
    const r = spawnSync(dir.path("/usr/sbin/ns-plug"), [], { env: bundleEnv({ dir }), encoding: "utf8", timeout: 30_000 });
    assert.is(r.status, 143, `exit ${r.status} ${r.signal ?? ""}: ${r.stderr}`);
    assert.ok(dir.calls().some((c) => c.startsWith("node ")), "the connect stand-in ran");
    assert.not.ok(dir.calls().some((c) => c.startsWith("openvpn")), `OpenVPN was started after the stop: ${dir.calls().join(" | ")}`);
  } finally {
    dir.cleanup();
  }
});

/** One read, no exists-then-read: a process can exit between the two. */
function procRead(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch (e) {
    if ((e as { code?: string }).code === "ENOENT" || (e as { code?: string }).code === "ESRCH") return undefined;
    throw e;
  }
}

function childrenOf(pid: number): number[] {
  return (procRead(`/proc/${pid}/task/${pid}/children`) ?? "").trim().split(/\s+/).filter(Boolean).map(Number);
}

/** Running (not gone, not a zombie waiting for its parent). */
function alive(pid: number): boolean {
  const status = procRead(`/proc/${pid}/status`);
  return status !== undefined && !/^State:\s+Z/m.test(status);
}

test("wrapper: a wrong token keeps it polling (message logged once); SIGTERM stops the Node child too (~10 s)", async () => {
  const dir = unit({ server: ctl.url, unit_id: "u-tok", token: "not-the-token" });
  const sh = spawn(dir.path("/usr/sbin/ns-plug"), [], { env: bundleEnv({ dir }), stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  sh.stderr.on("data", (b) => (stderr += b));
  const exited = new Promise<[number | null, string | null]>((r) => sh.on("close", (c, s) => r([c, s])));
  const polls = () => ctl.registerRequests().filter((r) => r.headers.registrationtoken === "not-the-token").length;
  let node: number[] = [];
  try {
    await ctl.waitFor(() => polls() >= 2, 30_000);
    node = childrenOf(sh.pid!);
    assert.is(node.length, 1, "the wrapper runs the bundle as its one child");
    assert.match(procRead(`/proc/${node[0]}/cmdline`) ?? "(gone)", /ns-plug\.js\0connect/);
    sh.kill("SIGTERM");
    const [code, signal] = await exited;
    assert.ok(code === 143 || signal === "SIGTERM", `exit ${code} ${signal}`);
    assert.not.ok(alive(node[0]!), "Node child survived");
    assert.is(stderr.match(/has not approved this unit yet: invalid registration token/g)?.length, 1, stderr);
    assert.not.ok(dir.exists("/usr/share/ns-plug/client.conf"));
  } finally {
    sh.kill("SIGKILL");
    for (const p of node) {
      try {
        process.kill(p, "SIGKILL");
      } catch {
        /* gone */
      }
    }
    dir.cleanup();
  }
});

// A stand-in for OpenWrt's /etc/rc.common: source the init script, record procd_* calls, run start.
const RC_COMMON = `
. "$1"
log() { printf '%s\\n' "$*" >> "$PROCD_LOG"; }
procd_open_instance() { log open_instance; }
procd_set_param() { log "set_param $*"; }
procd_close_instance() { log close_instance; }
procd_add_reload_trigger() { log "reload_trigger $*"; }
log "START=$START USE_PROCD=$USE_PROCD"
start_service
rc=$?
service_triggers
exit $rc
`;

test("init script: 1/2/3 before starting anything; the procd instance of SPEC §6", () => {
  const dir = testdir();
  try {
    dir.write("/rc.common", RC_COMMON);
    // uci stand-in answering from the environment.
    dir.standin("uci", `case "$3" in
  ns-plug.config.server) [ -n "$S" ] && echo "$S";;
  ns-plug.config.unit_id) [ -n "$U" ] && echo "$U";;
  ns-plug.config.token) [ -n "$T" ] && echo "$T";;
esac
exit 0`);
    const run = (env: Record<string, string>) => {
      const logFile = dir.path(`/procd-${Object.keys(env).join("")}.log`);
      const r = spawnSync("sh", [dir.path("/rc.common"), INIT_SRC, "start"], {
        env: { PATH: `${dir.bin}:/usr/bin:/bin`, PROCD_LOG: logFile, ...env },
        encoding: "utf8",
      });
      return { code: r.status, log: existsSync(logFile) ? readFileSync(logFile, "utf8").trim().split("\n") : [] };
    };
    assert.is(run({ U: "u", T: "t" }).code, 1);
    assert.is(run({ S: "s", T: "t" }).code, 2);
    const noToken = run({ S: "s", U: "u" });
    assert.is(noToken.code, 3);
    assert.not.ok(noToken.log.includes("open_instance"));
    const ok = run({ S: "s", U: "u", T: "t" });
    assert.is(ok.code, 0);
    assert.equal(ok.log, [
      "START=80 USE_PROCD=1",
      "open_instance",
      "set_param command /usr/sbin/ns-plug",
      "set_param stdout 1",
      "set_param stderr 1",
      "set_param respawn 3600 60 0",
      "close_instance",
      "reload_trigger ns-plug",
    ]);
  } finally {
    dir.cleanup();
  }
});

test.run();
