/**
 * Secret hygiene of remote support sessions (SPEC §9, issue 15), sibling of
 * secret-hygiene.test.ts: the session id is a secret until the admin hands
 * it to support. Through a whole session (CLI and ns.don, a real OpenVPN
 * support server, support logged in over ssh) it must never be in any
 * process's argv or environment — the bundle's children while they run
 * (sampled every ms), and EVERY process on the machine (the daemonized
 * OpenVPN and sshd, support's shell) at each step — nor in a log line (the
 * bundle's stderr, the stand-ins' argv log), nor in a file other than the
 * 0600 credentials file; after stop, in no file at all.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { bundleEnv } from "../helpers/bundle";
import { watchDescendants } from "../helpers/proc-watch";
import { pluginFile } from "../helpers/rpcd";
import type { TestDir } from "../helpers/testdir";
import { donRoot } from "../e2e/don-fixture";
import { addressOf, startSupportLab, type SupportLab } from "../servers/support-lab";
import { filesOf } from "./lib/watched";

let lab: SupportLab;
let dir: TestDir;

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
  texts: string[];
}

/** Run in the unit namespace, watching every descendant's argv and environment. */
function watched(argv: string[], stdin = ""): Promise<Ran> {
  return new Promise((resolve) => {
    const child = spawn("ip", ["netns", "exec", lab.unitNs, ...argv], { env: bundleEnv({ dir }), stdio: ["pipe", "pipe", "pipe"] });
    // `ip netns exec` execs the command: the child's pid is the bundle's.
    const watch = watchDescendants(child.pid!, [], 1);
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (b) => (stdout += b));
    child.stderr.on("data", (b) => (stderr += b));
    child.stdin.end(stdin);
    child.on("close", (code) => resolve({ code, stdout, stderr, texts: watch.stop().texts }));
  });
}

const don = (...args: string[]) => watched([dir.path("/usr/sbin/don"), ...args]);
const plugin = (method: string) => watched([pluginFile("ns.don"), "call", method], JSON.stringify({ ubus_rpc_session: "0".repeat(32) }));

/** Every process on this machine whose argv or environment holds `secret`. */
function processesHolding(secret: string): string[] {
  const hits: string[] = [];
  for (const pid of readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
    for (const f of ["cmdline", "environ"]) {
      try {
        if (readFileSync(`/proc/${pid}/${f}`, "latin1").includes(secret)) hits.push(`${pid} ${f}: ${readFileSync(`/proc/${pid}/cmdline`, "latin1").split("\0").join(" ")}`);
      } catch {
        /* gone, or not ours to read */
      }
    }
  }
  return hits;
}

/** Router paths of the files holding `secret`, with their modes. */
function filesHolding(secret: string): string[] {
  return [...filesOf(dir.root)].filter(([, text]) => text.includes(secret)).map(([p]) => `${p} ${dir.mode(p).toString(8)}`);
}

function clean(r: Ran, secret: string, what: string, stdoutMayHoldIt: boolean): void {
  assert.not.ok(r.texts.some((t) => t.includes(secret)), `${what}: a child's argv/environment held the session id`);
  assert.not.ok(r.stderr.includes(secret), `${what}: the log (stderr) holds the session id`);
  if (!stdoutMayHoldIt) assert.not.ok(r.stdout.includes(secret), `${what}: printed the session id`);
}

test.before(async () => {
  lab = await startSupportLab();
  dir = donRoot(lab);
});

test.after(async () => {
  await don("stop").catch(() => {});
  dir?.cleanup();
  await lab?.close();
});

for (const via of ["cli", "ns.don"] as const) {
  test(`${via}: start, support logs in, status, extend, stop — the session id only in the 0600 credentials file and on stdout`, async () => {
    const start = via === "cli" ? await don("start", "-j") : await plugin("start");
    assert.is(start.code, 0, start.stderr + start.stdout);
    const id = (JSON.parse(start.stdout) as { session_id: string }).session_id;
    assert.match(id, /^[0-9a-f-]{36}$/);
    clean(start, id, `${via} start`, true);
    assert.equal(processesHolding(id), [], "no process on the machine carries it (OpenVPN, sshd included)");
    assert.equal(filesHolding(id), ["/var/run/don/credentials 600"]);
    assert.not.ok(dir.calls().some((c) => c.includes(id)), "no stand-in got it in argv");

    // Support logs in; the shell it gets must not see the id either.
    const address = addressOf(lab.unitNs, "tunDON")!;
    const login = lab.ssh(address, "sleep 2; echo in");
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal(processesHolding(id), [], "nothing carries it while support is logged in");
    assert.is((await login).stdout, "in\n");

    for (const [name, r] of via === "cli"
      ? ([["status", await don("status", "-j")], ["extend", await don("extend", "-j")], ["status text", await don("status")]] as const)
      : ([["status", await plugin("status")], ["extend", await plugin("extend")]] as const)) {
      assert.is(r.code, 0, `${name}: ${r.stderr}`);
      assert.ok(r.stdout.includes(id), `${name} shows the session to the admin`);
      clean(r, id, `${via} ${name}`, true);
    }
    const stop = via === "cli" ? await don("stop") : await plugin("stop");
    assert.is(stop.code, 0, stop.stderr);
    clean(stop, id, `${via} stop`, false);
    assert.equal(filesHolding(id), [], "after stop no file holds it");
    assert.equal(processesHolding(id), []);
    assert.not.ok(dir.calls().some((c) => c.includes(id)));
  });
}

test.run();
