#!/usr/bin/env node
// `npm run mutate [module …]`: StrykerJS over the safety modules, one module at
// a time (each run is CPU heavy; one at a time keeps a 2-core machine usable),
// then one line per module: mutants, killed, survived, score. The survivors
// are listed by Stryker's clear-text report above the table, and stay in
// reports/mutation/<module>.json.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { MODULES } from "./mutate-modules.mjs";

const here = new URL("..", import.meta.url).pathname;
process.chdir(here);
const wanted = process.argv.slice(2);
for (const w of wanted) if (!MODULES[w]) throw new Error(`unknown module ${w}: one of ${Object.keys(MODULES).join(", ")}`);
const names = wanted.length ? wanted : Object.keys(MODULES);
const stryker = `${here}node_modules/@stryker-mutator/core/bin/stryker.js`;

let failed = false;
for (const name of names) {
  process.stdout.write(`\n=== mutate ${name}: ${MODULES[name].mutate.join(" ")}\n`);
  const r = spawnSync(process.execPath, [stryker, "run", "stryker.config.mjs"], {
    stdio: "inherit",
    env: { ...process.env, MUTATE_MODULE: name, FORCE_COLOR: "0" },
  });
  if (r.status !== 0) failed = true;
}

/** Stryker's own score: (killed + timeout) / (all but compile/runtime errors and ignored). */
function score(report) {
  const c = { total: 0, killed: 0, timeout: 0, survived: 0, nocov: 0 };
  for (const file of Object.values(report.files)) {
    for (const m of file.mutants) {
      if (m.status === "Killed") c.killed++;
      else if (m.status === "Timeout") c.timeout++;
      else if (m.status === "Survived") c.survived++;
      else if (m.status === "NoCoverage") c.nocov++;
      else continue;
      c.total++;
    }
  }
  return { ...c, score: c.total ? (100 * (c.killed + c.timeout)) / c.total : 100 };
}

process.stdout.write("\nmodule     mutants  killed  timeout  survived  no-cov  score\n");
for (const name of names) {
  const file = `reports/mutation/${name}.json`;
  if (!existsSync(file)) {
    process.stdout.write(`${name.padEnd(10)} (no report)\n`);
    failed = true;
    continue;
  }
  const s = score(JSON.parse(readFileSync(file, "utf8")));
  process.stdout.write(
    `${name.padEnd(10)} ${String(s.total).padStart(7)} ${String(s.killed).padStart(7)} ${String(s.timeout).padStart(8)} ` +
      `${String(s.survived).padStart(9)} ${String(s.nocov).padStart(7)}  ${s.score.toFixed(1)} %\n`,
  );
}
process.exitCode = failed ? 1 : 0;
