/**
 * `make demo` step for the alert proxy (called from demo/run.ts): start the
 * proxy bundle against a temp root registered to a loopback portal, post an
 * Alertmanager webhook, show what the portal received. Returns an exit code.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { REPO } from "../helpers/bundle";
import { testdir } from "../helpers/testdir";
import { FIRING, RESOLVED, postWebhook, registeredConfig, startAlertSink, startProxy, webhook } from "./alerts-sink";

export async function demoAlertProxy(print: (line: string) => void = console.log): Promise<number> {
  const sink = await startAlertSink();
  const dir = testdir({
    "/etc/config/ns-plug": registeredConfig(sink.alertsUrl),
    // The shipped HA rules, as on the router: with their HaPrimaryRecovered rule a HaPrimaryFailed resolution sends nothing.
    "/etc/vmalert/rules/ha.yaml": readFileSync(join(REPO, "files/etc/vmalert/rules/ha.yaml"), "utf8"),
  });
  const proxy = await startProxy(dir);
  try {
    print(`demo: alert proxy listening on ${proxy.url}, portal at ${sink.alertsUrl}`);
    const body = webhook([
      ["WanDown", { interface: "wan" }, FIRING],
      ["HaPrimaryFailed", {}, RESOLVED],
      ["NodeExporterDown", {}, FIRING],
    ]);
    const r = await postWebhook(proxy.url, body);
    print(`demo: POST webhook (WanDown firing, HaPrimaryFailed resolved, NodeExporterDown firing) → ${r.status} ${r.text.trim()}`);
    await sink.until((a) => a.length >= 1, 10_000);
    for (const q of sink.requests) {
      print(`demo: portal got ${q.method} ${q.path} (${String(q.headers.authorization).replace(/ .*/, " ***")}) ${q.text}`);
    }
    const exit = await proxy.stop("SIGTERM");
    print(`demo: SIGTERM → proxy exit ${exit.code}`);
    return exit.code === 0 && sink.accepted.length === 1 ? 0 : 1;
  } finally {
    await proxy.stop("SIGKILL");
    await sink.close();
    dir.cleanup();
  }
}
