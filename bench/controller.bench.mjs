// Controller connection (issue 3):
//  1. processes started during one successful registration (execve, strace -f),
//     next to the original shell script's count (docs/controller.md explains the figure);
//  2. the registration's own cost: request at the controller → client.conf written,
//     and a whole `connect` run against `node -e 0`, interleaved;
//  3. approval at the controller → client.conf written, against the 10 s poll.
// Figures only: never fails on timing.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fmt, median } from "./lib.mjs";

// The loopback controller is TypeScript: run this file again under tsx.
if (!process.env.NSPLUG_BENCH_TSX) {
  const r = spawnSync(process.execPath, ["--import", "tsx", new URL(import.meta.url).pathname], {
    stdio: "inherit",
    env: { ...process.env, NSPLUG_BENCH_TSX: "1" },
  });
  process.exit(r.status ?? 1);
}

const { startController } = await import("../test/servers/controller.ts");
const { testdir } = await import("../test/helpers/testdir.ts");
const { bundleEnv } = await import("../test/helpers/bundle.ts");
const { installUnitFiles } = await import("../test/servers/controller-unit.ts");

// From SPEC §3.1 and the original script (docs/controller.md, "Processes"): first start,
// approved at the first poll, subscription set, vpn_address given, include not yet listed.
const ORIGINAL = { uciJqCurlOpenssl: 35, allExecs: 50, perExtraPoll: 3 };

function unit(ctl, unitId, extra = {}) {
  let conf = `\nconfig main 'config'\n\toption server '${ctl.url}'\n\toption unit_id '${unitId}'\n\toption token '${ctl.token}'\n\toption tls_verify '0'\n`;
  for (const [k, v] of Object.entries(extra)) conf += `\toption ${k} '${v}'\n`;
  const dir = testdir({ "/etc/config/ns-plug": conf, "/var/run/ns-plug.booted": "", "/proc/sys/kernel/hostname": "bench\n" });
  installUnitFiles(dir);
  return dir;
}

function run(cmd, args, env) {
  return new Promise((resolve) => {
    const c = spawn(cmd, args, { env, stdio: ["ignore", "ignore", "pipe"] });
    let err = "";
    c.stderr.on("data", (b) => (err += b));
    c.on("close", (code) => resolve({ code, err }));
  });
}

const ctl = await startController({ autoApprove: true, apiPort: 8080, vpnAddress: "172.21.0.1" });
try {
  // 1. execve count: the wrapper as procd runs it. OpenVPN is a stand-in here (exits at once):
  //    we count that it is exec'd, not what it does.
  const haveStrace = spawnSync("strace", ["-V"]).status === 0;
  if (!haveStrace) console.log("execve count: strace not installed (Debian's strace): skipped");
  else {
    const dir = unit(ctl, "bench-exec", { type: "enterprise" });
    dir.standin("openvpn", "exit 0");
    const out = join(mkdtempSync(join(tmpdir(), "nsplug-strace-")), "trace.txt");
    const r = await run("strace", ["-f", "-qq", "-e", "trace=execve", "-e", "signal=none", "-o", out, dir.path("/usr/sbin/ns-plug")], bundleEnv({ dir }));
    const execs = readFileSync(out, "utf8").split("\n").filter((l) => / = 0$/.test(l));
    const progs = execs.map((l) => /execve\("([^"]+)"/.exec(l)?.[1].replace(dir.root, "<root>") ?? "?");
    console.log(`execve during one registration, /usr/sbin/ns-plug → openvpn (exit ${r.code}): ${execs.length}`);
    for (const p of progs) console.log(`    ${p}`);
    const spawnedByNode = progs.filter((p) => p.includes("/etc/init.d/")).length;
    console.log(`  of which the registration itself starts: ${spawnedByNode} (rsyslog restart, cron restart)   goal <= 5 in all: ${execs.length <= 5 ? "met" : "NOT met"}`);
    console.log(`original ns-plug script, same case:  ${ORIGINAL.uciJqCurlOpenssl} uci/jq/curl/openssl calls, ${ORIGINAL.allExecs} execve in all, +${ORIGINAL.perExtraPoll} per extra 403 poll`);
    console.log(`ratio (original / ns-plug):          ${fmt(ORIGINAL.allExecs / execs.length, 1)}x fewer processes`);
    dir.cleanup();
  }

  // 2. Cost of a registration once approved: controller request → client.conf (ms), whole run vs node -e 0.
  const node = process.execPath;
  const proc = [];
  const whole = { connect: [], "node -e 0": [] };
  for (let i = 0; i < 12; i++) {
    const dir = unit(ctl, `bench-cost-${i}`);
    await ctl.approve(`bench-cost-${i}`); // certificate issued beforehand: easy-rsa's time is the controller's, not ours
    let t0 = process.hrtime.bigint();
    await run(node, ["-e", "0"], process.env);
    whole["node -e 0"].push(Number(process.hrtime.bigint() - t0) / 1e6);
    t0 = process.hrtime.bigint();
    const r = await run(node, [dir.path("/usr/libexec/ns-plug/ns-plug.js"), "connect"], bundleEnv({ dir }));
    whole.connect.push(Number(process.hrtime.bigint() - t0) / 1e6);
    if (r.code !== 0) throw new Error(`connect failed: ${r.err}`);
    const req = ctl.registerRequests().find((q) => q.json().unit_id === `bench-cost-${i}`);
    proc.push(statSync(dir.path("/usr/share/ns-plug/client.conf")).mtimeMs - req.at);
    dir.cleanup();
  }
  const conn = median(whole.connect.slice(2));
  const base = median(whole["node -e 0"].slice(2));
  console.log(`registration request → client.conf written: median ${fmt(median(proc.slice(2)))} ms`);
  console.log(`whole 'connect' (approved at once):        median ${fmt(conn)} ms; node -e 0 ${fmt(base)} ms; ratio ${fmt(conn / base, 2)}`);

  // 3. Approval → client.conf with real polling: approve at a random moment within a poll period.
  const pending = await startController({ pki: ctl.pki, token: ctl.token });
  const samples = [];
  for (let i = 0; i < 3; i++) {
    const dir = unit(pending, `bench-approve-${i}`);
    const child = spawn(node, [dir.path("/usr/libexec/ns-plug/ns-plug.js"), "connect"], { env: bundleEnv({ dir }), stdio: "ignore" });
    const done = new Promise((r) => child.on("close", r));
    await pending.waitFor((q) => q.path === "/api/units/register" && q.json().unit_id === `bench-approve-${i}`);
    await pending.pki.issueClient(`bench-approve-${i}`);
    await new Promise((r) => setTimeout(r, Math.random() * 10_000));
    const t0 = Date.now();
    await pending.approve(`bench-approve-${i}`);
    while (!existsSync(dir.path("/usr/share/ns-plug/client.conf"))) await new Promise((r) => setTimeout(r, 10));
    samples.push(Date.now() - t0);
    await done;
    dir.cleanup();
  }
  await pending.close();
  const mean = samples.reduce((a, b) => a + b, 0) / samples.length;
  console.log(`approval → client.conf (3 samples, approval at a random time): ${samples.map((s) => fmt(s / 1000)).join(", ")} s; mean ${fmt(mean / 1000)} s`);
  console.log(`  poll period: uniform 5–15 s (mean 10 s) → expected wait after an approval E[X²]/2E[X] ≈ 5.4 s; the original: 10 s fixed → 5 s, but in lockstep across a fleet`);
} finally {
  await ctl.close();
}
