// StrykerJS configuration for `npm run mutate` (scripts/mutate.mjs runs it once per
// module with MUTATE_MODULE set). The tests are uvu files run by tsx, which no
// Stryker runner knows: the built-in command runner runs the module's unit
// test files; a non-zero exit kills the mutant. Concurrency 1: the machines
// running it have 2 cores shared with other work.
import { MODULES } from "./scripts/mutate-modules.mjs";

const name = process.env.MUTATE_MODULE ?? "hooks";
const mod = MODULES[name];
if (!mod) throw new Error(`MUTATE_MODULE=${name}: not one of ${Object.keys(MODULES).join(", ")}`);

export default {
  mutate: mod.mutate,
  testRunner: "command",
  commandRunner: {
    command: mod.tests.map((t) => `${mod.env ? `${mod.env} ` : ""}node --import tsx ${t}`).join(" && "),
  },
  coverageAnalysis: "off",
  concurrency: 1,
  // A mutant that makes a loop endless is killed by timeout, not waited for.
  timeoutMS: 5000,
  timeoutFactor: 2,
  reporters: ["clear-text", "json", "progress-append-only"],
  jsonReporter: { fileName: `reports/mutation/${name}.json` },
  // Only what the tests need is copied into the sandbox.
  ignorePatterns: ["/*", "!/src", "!/test", "!/package.json", "!/tsconfig.json"],
  tempDirName: `.stryker-tmp/${name}`,
  cleanTempDir: "always",
  disableTypeChecks: "{src,test}/**/*.ts",
  clearTextReporter: { allowColor: false, logTests: false, maxTestsToLog: 0 },
  thresholds: { high: 90, low: 80, break: null },
};
