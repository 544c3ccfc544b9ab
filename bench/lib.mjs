// Shared helpers for benchmarks: interleaved timing (this machine has bursts
// of ~50% slowdown, so A and B alternate and we compare medians).
import { spawnSync } from "node:child_process";

// Every bench imports this: the environment a router has, without Node start-up
// options. NODE_EXTRA_CA_CERTS (set on some build machines) makes every `node`
// parse a CA bundle at start, ~20-40 ms added to the baseline and to us alike,
// which flattered every start-up ratio (1.3x measured with it was 2x without).
for (const k of ["NODE_EXTRA_CA_CERTS", "NODE_OPTIONS"]) {
  if (process.env[k] !== undefined) console.log(`bench: ${k} unset (a router has none)`);
  delete process.env[k];
}

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function percentile(xs, p) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

/** Wall time in ms of one synchronous run of cmd. */
export function timeRun(cmd, args, opts = {}) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { stdio: ["ignore", "ignore", "ignore"], ...opts });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.error) throw r.error;
  return ms;
}

/** Run each named command `rounds` times, interleaved; returns medians in ms. */
export function interleaved(cases, rounds = 30, warmup = 3) {
  const times = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
  for (let i = 0; i < warmup + rounds; i++) {
    for (const [name, [cmd, args, opts]] of Object.entries(cases)) {
      const ms = timeRun(cmd, args, opts);
      if (i >= warmup) times[name].push(ms);
    }
  }
  return Object.fromEntries(Object.entries(times).map(([k, v]) => [k, median(v)]));
}

export const fmt = (n, d = 1) => Number(n).toFixed(d);
