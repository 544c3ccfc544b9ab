/**
 * ns-push-reports keeps one run inside 12 min (cron starts the next 15 min
 * later): reports whose turn comes after the budget are logged as not sent.
 * The clock jumps 5 min at every reading; the controller answers at once.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { pushReports, RUN_BUDGET_MS } from "../../src/controller/pushReports";
import { sendJson, startServer } from "../helpers/servers";
import { testdir } from "../helpers/testdir";
import { makeCtx, nsPlugConfig } from "./controller-helpers";

test("a run stops sending once its budget is spent; every report is accounted for", async () => {
  const srv = await startServer((_q, res) => sendJson(res, 200, { code: 200 }));
  const dir = testdir({ "/etc/config/ns-plug": nsPlugConfig({ server: srv.url, unit_id: "u1", token: "t0k3n" }) });
  dir.write("/usr/libexec/rpcd/ns.controller", "#!/bin/sh\necho '{}'\n", 0o755);
  const t = makeCtx(dir);
  let now = Date.UTC(2024, 0, 1);
  t.ctx.clock.now = () => new Date((now += 5 * 60_000));
  try {
    const code = await pushReports(t.ctx);
    assert.is(code, 1, "some reports were not sent");
    const sent = srv.requests.map((r) => r.path.split("/").pop());
    assert.equal(sent, ["dump-nsplug-config", "dump-ovpn-config"], "two readings fit in 12 min");
    const skipped = t.logs.filter((l) => l.includes(`not sent: this run's ${RUN_BUDGET_MS / 60_000} min are spent`));
    assert.is(skipped.length, 6);
  } finally {
    await t.close();
    await srv.close();
    dir.cleanup();
  }
});

test.run();
