/**
 * `uci commit ns-plug; reload_config` must apply a changed setting (SPEC §6).
 *
 * On OpenWrt, reload_config makes procd run `/etc/init.d/<svc> reload` for
 * each service whose reload trigger names a changed config. rc.common's
 * procd `reload` calls `reload_service` when the init script defines one,
 * else `start`; and procd keeps an instance whose definition did not change
 * running. ns-plug's instance is always `/usr/sbin/ns-plug`, so without a
 * `reload_service` a reload changes nothing. The stand-ins below model just
 * those rules (rc.common's dispatch, procd's keep-unchanged-instance), run
 * the real init script, the real sh wrapper and the bundle against a loopback
 * controller, with `openvpn` standing in as a process that waits for SIGTERM.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { bundleEnv } from "../helpers/bundle";
import { testdir, type TestDir } from "../helpers/testdir";
import { startController, type Controller } from "../servers/controller";
import { INIT_SRC, installUnitFiles } from "../servers/controller-unit";

// rc.common (procd flavour) and procd, reduced to what decides a reload.
const RC_COMMON = `#!/bin/sh
initscript=$1
action=\${2:-help}
shift 2
state="$PROCD_STATE"
start_service() { return 0; }
stop_service() { return 0; }
service_triggers() { return 0; }
. "$initscript"
procd_open_instance() { def=""; cmd=""; }
procd_set_param() { def="$def|$*"; [ "$1" = command ] && shift && cmd="$*"; }
procd_close_instance() { instance_def="$def"; instance_cmd="$cmd"; }
procd_add_reload_trigger() { :; }
# procd reaps its children at once; here an instance is an orphan that PID 1
# may leave a zombie for seconds (this CI's init reaps periodically): a zombie
# is not running.
alive() { kill -0 "$1" 2>/dev/null && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null; }
running_pid() { p=$(cat "$state/pid" 2>/dev/null) && alive "$p" && echo "$p"; }
procd_kill() {
	p=$(running_pid) || { rm -f "$state/pid" "$state/def"; return 0; }
	kill -TERM "$p"
	while alive "$p"; do sleep 0.1; done
	rm -f "$state/pid" "$state/def"
	echo "kill $p" >> "$state/log"
}
start() {
	instance_def=""
	start_service "$@" || return $?
	# procd: an instance whose definition did not change keeps running.
	if running_pid >/dev/null && [ "$(cat "$state/def")" = "$instance_def" ]; then
		echo "unchanged" >> "$state/log"
		return 0
	fi
	procd_kill
	setsid "$NS_PLUG_ROOT$instance_cmd" </dev/null >>"$state/out" 2>&1 &
	echo $! > "$state/pid"
	printf '%s' "$instance_def" > "$state/def"
	echo "start $!" >> "$state/log"
}
stop() { stop_service "$@"; procd_kill; }
restart() { stop; start; }
reload() {
	if type reload_service >/dev/null 2>&1; then reload_service "$@"; else start; fi
}
$action "$@"
`;

let ctl: Controller;
test.before(async () => {
  ctl = await startController({ tls: false, autoApprove: true, token: "tok" });
});
test.after(() => ctl.close());

let units = 0;
function unitRoot(init: string): { dir: TestDir; service(action: string): { code: number | null; out: string } } {
  const conf = `\nconfig main 'config'\n\toption server '${ctl.url}'\n\toption unit_id 'unit-reload-${++units}'\n\toption token 'tok'\n\toption tls_verify '0'\n`;
  const dir = testdir({ "/etc/config/ns-plug": conf, "/var/run/ns-plug.booted": "", "/procd/log": "" });
  installUnitFiles(dir);
  dir.write("/etc/rc.common", RC_COMMON, 0o755);
  dir.write("/etc/init.d/ns-plug", init.replace("#!/bin/sh /etc/rc.common", `#!/bin/sh ${dir.path("/etc/rc.common")}`), 0o755);
  // OpenVPN: a process that holds the instance until procd stops it. When it
  // is stopped it records a hand-over in the backoff state, as an instance
  // that registered a moment before can on a router: rc.common's stop runs
  // stop_service before it kills the instance, so that write lands after
  // stop_service's clean-up, every time here.
  const backoff = dir.path("/var/run/ns-plug.backoff");
  dir.standin("openvpn", `trap 'printf %s '"'"'{"failedStarts":0,"handedOver":true}'"'"' > "${backoff}"; kill $! 2>/dev/null; exit 0' TERM\nsleep 600 & wait`);
  // uci get, answered from the config file (the init script's check_config).
  dir.standin("uci", `sed -n "s/^[[:space:]]*option \${3##*.} '\\(.*\\)'$/\\1/p" "${dir.path("/etc/config/ns-plug")}"`);
  const env = { ...bundleEnv({ dir }), PROCD_STATE: dir.path("/procd") };
  const service = (action: string) => {
    const r = spawnSync("sh", [dir.path("/etc/rc.common"), dir.path("/etc/init.d/ns-plug"), action], { env, encoding: "utf8", timeout: 60_000 });
    return { code: r.status, out: r.stdout + r.stderr };
  };
  return { dir, service };
}

async function waitFor(dir: TestDir, what: string, cond: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) {
      throw new Error(`timed out waiting for ${what}; procd: ${dir.read("/procd/log")}; output: ${dir.readIfExists("/procd/out")}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** What an admin types: set the MTU options, commit, reload_config (→ init script reload). */
async function changeMtuAndReload(u: ReturnType<typeof unitRoot>): Promise<void> {
  const file = u.dir.path("/etc/config/ns-plug");
  writeFileSync(file, `${readFileSync(file, "utf8")}\toption tun_mtu '1400'\n\toption mssfix '1360'\n`);
  const r = u.service("reload");
  assert.is(r.code, 0, r.out);
}

const clientConf = (dir: TestDir) => dir.readIfExists("/usr/share/ns-plug/client.conf") ?? "";
const procdLog = (dir: TestDir) => dir.read("/procd/log").trim().split("\n").filter(Boolean);

test("a changed tun_mtu reaches client.conf after `uci commit ns-plug; reload_config`", async () => {
  const u = unitRoot(readFileSync(INIT_SRC, "utf8"));
  try {
    assert.is(u.service("start").code, 0);
    await waitFor(u.dir, "first client.conf", () => clientConf(u.dir).includes("mtu-test"));
    await changeMtuAndReload(u);
    await waitFor(u.dir, "client.conf with the new MTU", () => /^tun-mtu 1400$/m.test(clientConf(u.dir)));
    assert.match(clientConf(u.dir), /^mssfix 1360$/m);
    assert.not.match(clientConf(u.dir), /^mtu-test$/m);
    assert.equal(procdLog(u.dir).map((l) => l.split(" ")[0]), ["start", "kill", "start"], "reload restarted the instance");
    // An admin's reload is not a failed start: the new instance did not back off.
    assert.not.match(u.dir.readIfExists("/procd/out") ?? "", /without a tunnel before this one/);
  } finally {
    u.service("stop");
    u.dir.cleanup();
  }
});

test("the stand-ins model procd: without reload_service the same reload leaves the old settings in force", async () => {
  const original = readFileSync(INIT_SRC, "utf8");
  const withoutReload = original.replace(/\nreload_service\(\) \{[^}]*\}\n/, "\n");
  assert.is.not(withoutReload, original, "init.d/ns-plug defines reload_service");
  const u = unitRoot(withoutReload);
  try {
    assert.is(u.service("start").code, 0);
    await waitFor(u.dir, "first client.conf", () => clientConf(u.dir).includes("mtu-test"));
    await changeMtuAndReload(u);
    await new Promise((r) => setTimeout(r, 2000));
    assert.equal(procdLog(u.dir).map((l) => l.split(" ")[0]), ["start", "unchanged"]);
    assert.not.match(clientConf(u.dir), /tun-mtu/);
  } finally {
    u.service("stop");
    u.dir.cleanup();
  }
});

test("stop ends the instance (wrapper and OpenVPN stand-in)", async () => {
  const u = unitRoot(readFileSync(INIT_SRC, "utf8"));
  try {
    u.service("start");
    await waitFor(u.dir, "client.conf", () => clientConf(u.dir).length > 0);
    const pid = Number(u.dir.read("/procd/pid"));
    u.service("stop");
    assert.not.ok(existsSync(`/proc/${pid}`) && !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, "utf8")));
  } finally {
    u.dir.cleanup();
  }
});

test.run();
