/**
 * A secret with quotes, spaces, backslashes and `$(…)` survives every
 * request intact, is stored exactly, is never evaluated by a shell, and
 * appears in no child process's argv or environment (sampled from /proc
 * while the bundle runs its hooks, reload_config and hotplug-call).
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { startBundle, type RunOptions } from "../helpers/bundle";
import { watchDescendants, type WatchReport } from "../helpers/proc-watch";
import { startPortal, DEMO_SYSTEMS, type PortalSystem } from "../servers/portal";
import { HOOKS, nsPlugOptions, routerRoot } from "./subscription-fixture";

const SECRET = `it's a "quoted" $(touch /tmp/pwned-nsplug) \`id\` ; & | <x> \\n end %41`;

function runWatched(args: string[], opts: RunOptions): Promise<{ code: number | null; stdout: string; stderr: string; watch: WatchReport }> {
  return new Promise((resolve, reject) => {
    const child = startBundle(args, opts);
    const w = watchDescendants(child.pid!, [SECRET, Buffer.from(SECRET).toString("base64")]);
    let stdout = "";
    let stderr = "";
    child.stdout!.on("data", (b) => (stdout += b));
    child.stderr!.on("data", (b) => (stderr += b));
    child.stdin!.end();
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr, watch: w.stop() }));
  });
}

for (const base of DEMO_SYSTEMS) {
  test(`${base.type}: the secret survives register, sends, info and unregister, and reaches no child`, async () => {
    const sys: PortalSystem = { ...base, secret: SECRET };
    const portal = await startPortal({ systems: [sys] });
    const dir = routerRoot();
    // Slow enough hooks for the /proc sampler to see them, proving it watches the right processes.
    for (const kind of ["register", "unregister"]) {
      dir.write(`${HOOKS}/${kind}/10-slow`, "#!/bin/sh\nsleep 0.3\n", 0o755);
    }
    const opts = { dir, env: portal.env };
    try {
      const run = async (args: string[]) => {
        const r = await runWatched(args, opts);
        assert.is(r.code, 0, `${args[0]}: ${r.stderr}`);
        assert.equal(r.watch.hits, [], `${args[0]}: ${r.watch.hits.join("; ")}`);
        assert.not.ok(r.stderr.includes(SECRET), `${args[0]} logged the secret`);
        return r;
      };

      const reg = await run(["register", sys.type, SECRET]);
      assert.ok(reg.watch.seen.some((s) => s.endsWith(":sleep")), `the sampler saw the hook: ${reg.watch.seen.join(", ")}`);
      assert.is(nsPlugOptions(dir).secret, SECRET, "stored exactly in UCI");
      assert.is(decodeURIComponent(new URL(String(nsPlugOptions(dir).repository_url)).password), SECRET);

      await run(["send-heartbeat"]);
      await run(["send-inventory"]);
      const info = await run(["subscription-info"]);
      assert.is(JSON.parse(info.stdout).uuid, sys.uuid);
      await run(["unregister"]);

      // Every request that carries the secret carried it intact.
      const basic = `Basic ${Buffer.from(`${sys.uuid}:${SECRET}`).toString("base64")}`;
      let checked = 0;
      for (const q of portal.requests) {
        const body = q.text ? (q.json() as Record<string, unknown>) : {};
        if (q.route === "enterprise-info") assert.is(body.secret, SECRET), checked++;
        else if (q.route === "freekey") assert.equal(body, { lk: sys.uuid, secret: SECRET }), checked++;
        else if (q.route === "proxy") assert.is(q.headers.authorization, basic), checked++;
        else assert.is(q.headers.authorization, `token ${SECRET}`, `${q.route}`), checked++;
      }
      assert.is(checked, portal.requests.length);
      const routes = new Set(portal.requests.map((q) => q.route));
      for (const r of ["heartbeat", "inventory", "freekey", `${sys.type}-info`]) assert.ok(routes.has(r as never), r);
      assert.is(portal.stored.heartbeats.length, 2, "register's and send-heartbeat's, both accepted");
      assert.is(portal.stored.freed.length, 1);
      assert.not.ok(dir.exists("/tmp/pwned-nsplug"));
    } finally {
      await portal.close();
      dir.cleanup();
    }
  });
}

test.run();
