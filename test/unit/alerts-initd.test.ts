/**
 * init.d/ns-plug-alert-proxy (SPEC §6): sourced with recording stand-ins for
 * rc.common's procd helpers, then its command line run for real (the node
 * flags must be ones node accepts, the link name must dispatch to the proxy).
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { BUNDLE, REPO } from "../helpers/bundle";
import { testdir } from "../helpers/testdir";

const SCRIPT = join(REPO, "init.d", "ns-plug-alert-proxy");

const HARNESS = `
procd_open_instance() { echo "open_instance"; }
procd_set_param() { echo "set_param $*"; }
procd_close_instance() { echo "close_instance"; }
procd_add_reload_trigger() { echo "reload_trigger $*"; }
procd_send_signal() { echo "send_signal $*"; }
. "$1"
echo "START=$START STOP=$STOP USE_PROCD=$USE_PROCD"
start_service
service_triggers
reload_service
`;

function calls(): string[] {
  const r = spawnSync("sh", ["-c", HARNESS, "harness", SCRIPT], { encoding: "utf8" });
  assert.is(r.status, 0, r.stderr);
  return r.stdout.trim().split("\n");
}

test("order, respawn, logging, reload trigger and reload signal as SPEC §6 says", () => {
  const c = calls();
  assert.ok(c.includes("START=95 STOP=4 USE_PROCD=1"), c.join("\n"));
  assert.ok(c.includes("set_param respawn 3600 5 0"));
  assert.ok(c.includes("set_param stdout 1") && c.includes("set_param stderr 1"));
  assert.ok(c.includes("reload_trigger ns-plug"));
  assert.ok(c.includes("send_signal ns-plug-alert-proxy"));
  // procd's default term_timeout (5 s) would SIGKILL the proxy in the middle of its 5 s drain.
  const term = c.find((l) => l.startsWith("set_param term_timeout "));
  assert.ok(term && Number(term.split(" ")[2]) > 5, term);
  assert.is(c.filter((l) => l === "open_instance").length, 1);
});

test("the command: node with a heap cap, through the /usr/sbin link", () => {
  const cmd = calls().find((l) => l.startsWith("set_param command "))!.split(" ").slice(2);
  assert.is(cmd[0], "/usr/bin/node");
  assert.is(cmd[cmd.length - 1], "/usr/sbin/ns-plug-alert-proxy");
  assert.ok(cmd.some((w) => /^--max-old-space-size=\d+$/.test(w)), cmd.join(" "));
});

test("that command line runs: node takes the flags, the link name starts the proxy, SIGTERM → exit 0", async () => {
  const words = calls().find((l) => l.startsWith("set_param command "))!.split(" ").slice(2);
  const dir = testdir();
  try {
    mkdirSync(dir.path("/usr/sbin"), { recursive: true });
    symlinkSync(BUNDLE, dir.path("/usr/sbin/ns-plug-alert-proxy"));
    const argv = words.slice(1, -1).concat(dir.path("/usr/sbin/ns-plug-alert-proxy"), "--listen", "127.0.0.1:0");
    const env: Record<string, string | undefined> = { ...process.env, NS_PLUG_ROOT: dir.root };
    delete env.NODE_OPTIONS;
    const child = spawn(process.execPath, argv, { env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stderr.on("data", (b) => (err += b));
    const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
    const port = await new Promise<number>((resolve, reject) => {
      child.stdout.on("data", (b) => {
        out += b;
        const m = /listening on 127\.0\.0\.1:(\d+)/.exec(out);
        if (m) resolve(Number(m[1]));
      });
      void exited.then(() => reject(new Error(`exited: ${err}`)));
    });
    assert.is((await fetch(`http://127.0.0.1:${port}/`)).status, 200);
    child.kill("SIGTERM");
    assert.is(await exited, 0, err);
  } finally {
    dir.cleanup();
  }
});

test.run();
