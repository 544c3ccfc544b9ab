/**
 * The subscription part of `make demo`: a unit registers with the loopback
 * portal, sends heartbeat and inventory, asks for its subscription info, then
 * unregisters; each step prints one line, then what the portal received.
 * demo/run.ts calls `demoSubscription(console.log)`.
 */
import { runBundle } from "../helpers/bundle";
import { testdir } from "../helpers/testdir";
import { DEMO_SYSTEMS, startPortal } from "./portal";

const CONFIG = "\nconfig main 'config'\n\toption tls_verify '1'\n\toption repository_url 'https://updates.nethsecurity.nethserver.org/stable'\n";

export async function demoSubscription(print: (line: string) => void): Promise<number> {
  const portal = await startPortal();
  const dir = testdir({ "/etc/config/ns-plug": CONFIG, "/etc/repo-channel": "stable\n" });
  const sys = DEMO_SYSTEMS.find((s) => s.type === "community")!;
  let failed = 0;
  try {
    const step = async (label: string, args: string[]) => {
      const r = await runBundle(args, { dir, env: portal.env });
      if (r.code !== 0) failed++;
      print(`demo: ${label.padEnd(34)} exit ${r.code}${r.code ? `  ${r.stderr.trim().split("\n").pop()}` : ""}`);
      return r;
    };
    print(`demo: loopback portal at ${portal.url} (both NS_PLUG_*_PORTAL point there)`);
    await step(`register community <secret>`, ["register", "community", sys.secret]);
    await step("send-heartbeat", ["send-heartbeat"]);
    await step("send-inventory", ["send-inventory"]);
    const info = await step("subscription-info", ["subscription-info"]);
    print(`demo:   subscription-info → ${info.stdout.trim()}`);
    print(`demo:   /tmp/inventory-sent.json → ${(dir.readIfExists("/tmp/inventory-sent.json") ?? "").trim()}`);
    print("demo: the portal received:");
    for (const q of portal.requests) print(`demo:   ${q.method.padEnd(4)} ${q.path.padEnd(34)} → ${q.answered}`);
    const inv = portal.stored.inventories[0]?.data as Record<string, unknown> | undefined;
    print(`demo:   heartbeats stored: ${portal.stored.heartbeats.length}; inventories stored: ${portal.stored.inventories.length}` +
      (inv ? ` (keys: ${Object.keys(inv).join(", ")})` : ""));
    await step("unregister", ["unregister"]);
    print(`demo:   freekey received for ${portal.stored.freed.map((f) => f.lk).join(", ") || "nothing"}`);
  } finally {
    await portal.close();
    dir.cleanup();
  }
  return failed ? 1 : 0;
}
