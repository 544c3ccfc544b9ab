#!/usr/bin/env node
// Fleet simulation (issue 17): what one portal and one controller see from a
// whole fleet, with the product's own schedule and backoff functions against
// the original package's schedule and fixed 60 s respawn.
//
//  - portal/backupd: 100,000 units' heartbeats (1 h), inventories and backups (their night window)
//  - controller: 10,000 units' push-reports (8 requests a run, 1 h), and their
//    re-registrations around a 10-minute controller outage
//
// The product's functions are not copied: src/schedule/jobs.ts,
// src/controller/backoff.ts and src/controller/pacing.ts are bundled by esbuild
// (as build.mjs does for the router) into a temp ES module and imported. Each
// unit's start time is read back from the very cron line the product writes.
//
// Units are independent (nothing in either schedule depends on the others), so
// each unit's timeline is simulated on its own from a seeded RNG and every
// request is counted in 1-second bins. Deterministic: same figures every run.
// Usage: node bench/fleet.bench.mjs [--units=100000] [--controller-units=10000]
import { build } from "esbuild";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const here = new URL("..", import.meta.url).pathname;
const arg = (name, dflt) => Number((process.argv.find((a) => a.startsWith(`--${name}=`)) ?? "").split("=")[1] || dflt);
const UNITS = arg("units", 100_000);
const CTL_UNITS = arg("controller-units", 10_000);

async function productModule() {
  const res = await build({
    stdin: {
      contents: [
        'export * from "./src/schedule/jobs.ts";',
        'export { startBackoffMs, failedBefore, failuresCarried, START_BACKOFF_BASE_MS, START_BACKOFF_CAP_MS } from "./src/controller/backoff.ts";',
        'export { jittered, FAILURE_WAIT_MS, MAX_FAILURES } from "./src/controller/pacing.ts";',
        // The tests' seeded generator (mulberry32), so the figures are reproducible.
        'export { mulberry32 } from "./test/helpers/seed.ts";',
      ].join("\n"),
      resolveDir: here,
      loader: "ts",
    },
    bundle: true,
    platform: "node",
    format: "esm",
    write: false,
  });
  const dir = mkdtempSync(join(tmpdir(), "nsplug-fleet-"));
  const file = join(dir, "product.mjs");
  writeFileSync(file, res.outputFiles[0].text);
  try {
    return await import(pathToFileURL(file).href);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const hex2 = (n) => n.toString(16).padStart(2, "0");
/** Unit keys as src/schedule/unitKey.ts reads them: MACs, half from one consecutive batch, half random (VMs). */
function unitKeys(n, r) {
  return Array.from({ length: n }, (_, i) =>
    i % 2
      ? `mac:00:1b:21:${hex2((i >> 16) & 255)}:${hex2((i >> 8) & 255)}:${hex2(i & 255)}`
      : `mac:52:54:00:${hex2((r() * 256) | 0)}:${hex2((r() * 256) | 0)}:${hex2((r() * 256) | 0)}`,
  );
}

class Bins {
  constructor(seconds) {
    this.c = new Uint32Array(Math.ceil(seconds));
    this.total = 0;
  }
  add(t) {
    const i = Math.floor(t);
    if (i >= 0 && i < this.c.length) {
      this.c[i]++;
      this.total++;
    }
  }
  stats(from = 0, to = this.c.length, width = 1) {
    let peak = 0;
    let sum = 0;
    for (let i = from; i < to; i += width) {
      let s = 0;
      for (let j = i; j < Math.min(i + width, to); j++) s += this.c[j];
      peak = Math.max(peak, s / width);
      sum += s;
    }
    const mean = sum / (to - from);
    return { peak, mean, ratio: mean ? peak / mean : 0 };
  }
}

/** Start-up of the command and the TLS handshake before the request leaves: the same for both schedules. */
const latency = (r) => 0.2 + r() * 0.8;

/** The lowest peak any placement of independent units can expect: the median max of `bins` Poisson(mean) counts. */
function poissonFloor(mean, bins) {
  let p = Math.exp(-mean);
  let cdf = p;
  for (let k = 0; k < 10_000; k++) {
    if (cdf ** bins >= 0.5) return k / mean;
    p *= mean / (k + 1);
    cdf += p;
  }
  return NaN;
}

function periodicJob(P, { id, keys, windowS, horizonS, original, requestsPerRun = 1 }, r) {
  const job = P.JOBS[id];
  const period = "everyMin" in job.cadence ? job.cadence.everyMin * 60 : 86_400;
  const ours = new Bins(horizonS);
  const orig = new Bins(horizonS);
  for (const key of keys) {
    // Ours: the start the product's cron line gives (minute + sleep), read back from the line.
    const start = P.lineStartSeconds(P.cronLine(key, id));
    const offset = "everyMin" in job.cadence ? start % period : start - job.cadence.dailyFromHour * 3600;
    for (let t0 = 0; t0 < horizonS; t0 += period) {
      let t = t0 + offset + latency(r);
      for (let k = 0; k < requestsPerRun; k++) {
        ours.add(t);
        t += 0.1 + r() * 0.5; // ns-push-reports posts its dumps one after another
      }
      t = t0 + original(r) + latency(r);
      for (let k = 0; k < requestsPerRun; k++) {
        orig.add(t);
        t += 0.1 + r() * 0.5;
      }
    }
  }
  const row = (b) => ({ ...b.stats(0, windowS), s60: b.stats(0, windowS, 60) });
  return { ours: row(ours), orig: row(orig), floor: poissonFloor(ours.stats(0, windowS).mean, windowS) };
}

/**
 * One controller's registrations around an outage [down, up). Every unit's
 * tunnel is up before; OpenVPN notices the loss by its ping-restart (60 s after
 * the last of the server's pings, sent every 10 s), retries 5 × 5 s and exits;
 * procd starts /usr/sbin/ns-plug again 60 s later; `connect` registers (5
 * attempts, then exit 5) and hands over to OpenVPN, whose route-up posts the
 * unit info (one more request) a moment later.
 */
function outage(P, n, { down, up, horizon }, r, ours) {
  const regs = new Bins(horizon);
  const all = new Bins(horizon);
  const back = [];
  for (let u = 0; u < n; u++) {
    let t = down + 60 - r() * 10 + 25; // OpenVPN gave up
    let state = { failedStarts: 0, handedOver: true }; // ours: the tunnel ended after a registration
    for (;;) {
      t += 60 + latency(r); // procd's respawn delay, then the start itself
      let failures = 0;
      if (ours) {
        // What connect does (src/controller/connect.ts): wait, count this start as failed, carry the failures.
        const failed = P.failedBefore(state);
        if (failed > 0) t += P.startBackoffMs(failed, r()) / 1000;
        failures = P.failuresCarried(state);
        state = { failedStarts: failed + 1, handedOver: false };
      }
      let done = false;
      for (;;) {
        regs.add(t);
        all.add(t);
        if (t >= up) {
          done = true;
          break;
        }
        if (++failures >= P.MAX_FAILURES) break;
        t += (ours ? P.jittered(P.FAILURE_WAIT_MS, r()) : P.FAILURE_WAIT_MS) / 1000 + 0.01;
      }
      if (done) break;
      t += 0.1; // exit 5
    }
    back.push(t);
    all.add(t + 1 + r() * 2); // route-up: ns-controller-push-info
  }
  back.sort((a, b) => a - b);
  return {
    regs: { during: regs.stats(down, up), after: regs.stats(up, horizon) },
    all: { during: all.stats(down, up), after: all.stats(up, horizon) },
    t99: back[Math.ceil(0.99 * n) - 1] - up,
    last: back[n - 1] - up,
  };
}

const f = (x, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : "-");
const pad = (s, n) => String(s).padStart(n);

async function main() {
  const t0 = Date.now();
  const P = await productModule();
  const r = P.mulberry32(20261130);
  const keys = unitKeys(UNITS, r);
  const ctlKeys = keys.slice(0, CTL_UNITS);
  const H = 3600;
  const jobs = [
    // The original's lines: `*/10 … sleep $(( RANDOM % 60 ))`, `05 3 … RANDOM % 1800`, `02 2 … RANDOM % 1800`, `*/15 … RANDOM % 60`.
    ["heartbeat → portal", { id: "heartbeat", keys, windowS: 600, horizonS: H, original: (q) => Math.floor(q() * 60) }],
    ["inventory → portal", { id: "inventory", keys, windowS: 4 * H, horizonS: 4 * H, original: (q) => 5 * 60 + Math.floor(q() * 1800) }],
    ["backup → backupd", { id: "backup", keys, windowS: 4 * H, horizonS: 4 * H, original: (q) => 2 * 60 + Math.floor(q() * 1800) }],
    ["push-reports → controller", { id: "reports", keys: ctlKeys, windowS: 900, horizonS: H, requestsPerRun: 8, original: (q) => Math.floor(q() * 60) }],
  ];
  console.log(`fleet: ${UNITS} units on the portal/backupd, ${CTL_UNITS} on one controller; 1-s bins; peak/mean over the job's window`);
  console.log(`backoff: base ${P.START_BACKOFF_BASE_MS / 1000} s, cap ${P.START_BACKOFF_CAP_MS / 1000} s (src/controller/backoff.ts)\n`);
  console.log(`${"job".padEnd(27)}${"schedule".padEnd(10)}${pad("peak/s", 9)}${pad("mean/s", 9)}${pad("peak/mean", 11)}${pad("60-s bins", 11)}`);
  const summary = {};
  for (const [label, spec] of jobs) {
    const res = periodicJob(P, spec, r);
    for (const [name, s] of [["original", res.orig], ["ours", res.ours]]) {
      console.log(`${(name === "original" ? label : "").padEnd(27)}${name.padEnd(10)}${pad(f(s.peak, 0), 9)}${pad(f(s.mean), 9)}${pad(f(s.ratio, 2), 11)}${pad(f(s.s60.ratio, 2), 11)}`);
    }
    console.log(`${"".padEnd(27)}${"floor".padEnd(10)}${pad("", 18)}${pad(f(res.floor, 2), 11)}   (independent units, Poisson)`);
    summary[spec.id] = res;
  }

  // The goal's 10-minute outage, and a 2-minute one (a controller restart): there the first
  // respawn after the tunnel loss meets a controller that is already back.
  let orig;
  let ours;
  for (const minutes of [2, 10]) {
    const window = { down: 1800, up: 1800 + minutes * 60, horizon: 1800 + minutes * 60 + 1800 };
    orig = outage(P, CTL_UNITS, window, r, false);
    ours = outage(P, CTL_UNITS, window, r, true);
    console.log(`\ncontroller outage of ${minutes} min, ${CTL_UNITS} units:`);
    console.log(`${"".padEnd(44)}${pad("original", 10)}${pad("ours", 10)}`);
    const line = (label, a, b, d = 0) => console.log(`${label.padEnd(44)}${pad(f(a, d), 10)}${pad(f(b, d), 10)}`);
    line("registrations: peak/s during the outage", orig.regs.during.peak, ours.regs.during.peak);
    line("registrations: mean/s during the outage", orig.regs.during.mean, ours.regs.during.mean, 1);
    line("registrations: peak/s after it ends", orig.regs.after.peak, ours.regs.after.peak);
    line("  + route-up push-info: peak/s after", orig.all.after.peak, ours.all.after.peak);
    line("  + route-up push-info: mean/s after (30 min)", orig.all.after.mean, ours.all.after.mean, 1);
    line("  + route-up push-info: peak/mean after", orig.all.after.ratio, ours.all.after.ratio, 1);
    line("99 % reconnected after the end (s)", orig.t99, ours.t99);
    line("last unit reconnected after the end (s)", orig.last, ours.last);
  }

  const goals = [
    ...Object.entries(summary).map(([id, s]) => [`${id}: peak/mean ≤ 1.2 (1-s bins)`, s.ours.ratio <= 1.2, f(s.ours.ratio, 2)]),
    ...Object.entries(summary).map(([id, s]) => [`${id}: peak/mean ≤ 1.2 (60-s bins)`, s.ours.s60.ratio <= 1.2, f(s.ours.s60.ratio, 2)]),
    ["after the outage: registrations' peak ≤ 1/10 of the original's", ours.regs.after.peak * 10 <= orig.regs.after.peak, `${f(ours.regs.after.peak, 0)} vs ${f(orig.regs.after.peak, 0)}`],
    ["after the outage: with push-info, peak ≤ 1/10 of the original's", ours.all.after.peak * 10 <= orig.all.after.peak, `${f(ours.all.after.peak, 0)} vs ${f(orig.all.after.peak, 0)}`],
    ["99 % back within 5 min", ours.t99 <= 300, `${f(ours.t99, 0)} s`],
  ];
  console.log("\ngoals:");
  for (const [g, ok, v] of goals) console.log(`  ${ok ? "met    " : "NOT met"}  ${g}: ${v}`);
  console.log(`\n(${((Date.now() - t0) / 1000).toFixed(1)} s)`);
}

await main();
