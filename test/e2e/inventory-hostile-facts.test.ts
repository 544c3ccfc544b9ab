/**
 * A hostile facts.d corpus (SPEC §3.4): a plugin that never ends (and ignores
 * SIGTERM), one that prints 10 MB, one that prints invalid JSON, one that
 * exits 1, and one named __proto__. An enterprise send-inventory still sends
 * the inventory and the phonehome document, each bad plugin costs at most its
 * time bound, is left out, and is logged exactly once (the phonehome document
 * reuses the features: nothing runs twice).
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { runBundle } from "../helpers/bundle";
import { startPortal, DEMO_SYSTEMS } from "../servers/portal";
import { registeredConfig, routerRoot } from "./subscription-fixture";

const ENT = DEMO_SYSTEMS[0]!;
const FACTS = "/usr/share/ns-plug/facts.d";

test("hostile facts.d plugins: inventory still sent, each failure logged once", async () => {
  const portal = await startPortal();
  const dir = routerRoot();
  dir.write("/etc/config/ns-plug", registeredConfig(portal, ENT));
  const ran = dir.path("/tmp/plugins-ran");
  const mark = (name: string) => `echo ${name} >> '${ran}'\n`;
  // pairs, not an object literal: `__proto__: …` in a literal sets the prototype instead of a key
  const plugins: Array<[string, string]> = [
    ["10-hang", `${mark("hang")}trap '' TERM\nwhile :; do sleep 1; done\n`],
    ["20-huge", `${mark("huge")}printf '{"x":"'\nhead -c 10485760 /dev/zero | tr '\\0' a\nprintf '"}'\n`],
    ["30-garbage", `${mark("garbage")}echo '{"unterminated": '\n`],
    ["40-exit1", `${mark("exit1")}echo '{"ok": true}'\nexit 1\n`],
    ["__proto__", `${mark("proto")}echo '{"polluted": true}'\n`],
    ["50-good", `${mark("good")}echo '{"enabled": true}'\n`],
  ];
  for (const [name, body] of plugins) dir.write(`${FACTS}/${name}`, `#!/bin/sh\n${body}`, 0o755);
  try {
    const t0 = Date.now();
    const r = await runBundle(["send-inventory"], { dir, env: portal.env });
    const took = Date.now() - t0;
    assert.is(r.code, 0, r.stderr);
    assert.ok(took < 90_000, `took ${took} ms: a hung plugin costs its 10 s bound, not forever`);

    const paths = portal.requests.map((q) => q.path);
    assert.ok(paths.includes("/isa/inventory/store/") && paths.includes("/proxy/inventory"), paths.join(" "));
    const inv = (portal.requests.find((q) => q.path === "/isa/inventory/store/")!.json() as { data: { data: Record<string, any> } }).data.data;
    const doc = portal.requests.find((q) => q.path === "/proxy/inventory")!.json() as { facts: { features: Record<string, unknown> } };
    for (const features of [inv.features, doc.facts.features]) {
      assert.equal(features["50-good"], { enabled: true });
      for (const bad of ["10-hang", "20-huge", "30-garbage", "40-exit1"]) assert.not.ok(bad in features, bad);
      assert.not.ok(Object.prototype.hasOwnProperty.call(features, "__proto__"));
      assert.is(Object.getPrototypeOf(features), Object.prototype);
      assert.not.ok("polluted" in features);
      assert.ok("dpi" in features, "built-in facts are still there");
    }
    assert.is(JSON.parse(dir.read("/tmp/inventory-sent.json")).status, "success");

    const once = (re: RegExp, what: string) => assert.is((r.stderr.match(new RegExp(re, "g")) ?? []).length, 1, `${what} logged once:\n${r.stderr}`);
    once(/facts plugin \S+\/10-hang skipped: timed out after 10 s/, "hang");
    once(/facts plugin \S+\/20-huge skipped: output over 1048576 bytes/, "huge");
    once(/facts plugin \S+\/30-garbage skipped: output is not JSON/, "garbage");
    once(/facts plugin \S+\/40-exit1 skipped: exited 1/, "exit 1");
    once(/facts plugin \S+\/__proto__ skipped: not a valid feature name/, "__proto__");
    assert.not.match(r.stderr, /50-good skipped/);

    // every plugin ran once, for both documents; __proto__ never ran
    assert.equal(dir.read("/tmp/plugins-ran").split("\n").filter(Boolean).sort(), ["exit1", "garbage", "good", "hang", "huge"]);
  } finally {
    await portal.close();
    dir.cleanup();
  }
});

test.run();
