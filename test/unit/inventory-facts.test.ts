/** facts.d plugins (inventory/facts.ts) run for real under a temp root. */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { collectPluginFacts, featureName, parsePluginOutput, FACTS_DIR } from "../../src/inventory/facts";
import { createContext, type Ctx } from "../../src/platform/context";
import { createLog } from "../../src/platform/log";
import { testdir, type TestDir } from "../helpers/testdir";

function ctxFor(dir: TestDir): { ctx: Ctx; logs: string[] } {
  const saved = process.env.NS_PLUG_ROOT;
  process.env.NS_PLUG_ROOT = dir.root;
  const base = createContext("test");
  process.env.NS_PLUG_ROOT = saved;
  const logs: string[] = [];
  return { ctx: { ...base, log: createLog((l) => logs.push(l), "test", "debug") }, logs };
}

test("feature names and output checks", () => {
  assert.is(featureName("dpi.sh"), "dpi");
  assert.is(featureName("openvpn"), "openvpn");
  assert.is(featureName("a.b.py"), "a.b");
  assert.ok(parsePluginOutput('{"a": 1}\n').ok);
  assert.not.ok(parsePluginOutput("[1]").ok);
  assert.not.ok(parsePluginOutput("null").ok);
  assert.not.ok(parsePluginOutput("hello").ok);
  assert.not.ok(parsePluginOutput('{"a": 1}{"b": 2}').ok);
});

test("good plugins merged by name; garbage, failing, slow and unsafe ones skipped and logged", async () => {
  const dir = testdir();
  try {
    dir.write(`${FACTS_DIR}/dpi.sh`, `#!/bin/sh\necho '{"enabled": true, "rules": 3}'\n`, 0o755);
    dir.write(`${FACTS_DIR}/hotspot`, `#!/bin/sh\nprintf '{"count": 0}'\n`, 0o755);
    dir.write(`${FACTS_DIR}/garbage`, `#!/bin/sh\necho 'this is not json'\n`, 0o755);
    dir.write(`${FACTS_DIR}/array`, `#!/bin/sh\necho '[1,2]'\n`, 0o755);
    dir.write(`${FACTS_DIR}/fails`, `#!/bin/sh\necho '{"x":1}'\nexit 2\n`, 0o755);
    dir.write(`${FACTS_DIR}/slow`, `#!/bin/sh\nsleep 30\necho '{}'\n`, 0o755);
    dir.write(`${FACTS_DIR}/writable`, `#!/bin/sh\necho '{"evil": true}'\n`, 0o777);
    dir.write(`${FACTS_DIR}/README`, "not a plugin\n", 0o644);
    const { ctx, logs } = ctxFor(dir);
    // One timeout for every plugin: 3 s is 10x below the slow one (30 s) and far above what the
    // good ones need even on a loaded machine (a 500 ms limit also cut good plugins under load).
    const t0 = Date.now();
    const features = await collectPluginFacts(ctx, FACTS_DIR, 3000);
    const took = Date.now() - t0;
    assert.ok(took >= 2900 && took < 25_000, `took ${took} ms: the slow plugin was not cut at its 3 s timeout`);
    assert.equal(features, { dpi: { enabled: true, rules: 3 }, hotspot: { count: 0 } });
    const text = logs.join("");
    assert.match(text, /facts plugin \S+garbage skipped: output is not JSON/);
    assert.match(text, /facts plugin \S+array skipped: output is not a JSON object/);
    assert.match(text, /facts plugin \S+fails skipped: exited 2/);
    assert.match(text, /facts plugin \S+slow skipped: timed out/);
    assert.match(text, /facts plugin \S+writable skipped: world-writable/);
  } finally {
    dir.cleanup();
  }
});

test("no facts.d directory: no features", async () => {
  const dir = testdir();
  try {
    assert.equal(await collectPluginFacts(ctxFor(dir).ctx), {});
  } finally {
    dir.cleanup();
  }
});

test.run();
