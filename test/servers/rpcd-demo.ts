/**
 * The rpcd part of `make demo`: LuCI-style calls through the generated plugin
 * files (dist/rpcd/*), exactly as rpcd runs them, against a test root and the
 * loopback portal. demo/run.ts calls `demoRpcd(console.log)`.
 */
import { onlyJson, pluginFile, runFile } from "../helpers/rpcd";
import { testdir } from "../helpers/testdir";
import { DEMO_SYSTEMS, startPortal } from "./portal";

const CONFIG = "\nconfig main 'config'\n\toption tls_verify '1'\n";
const JOIN = Buffer.from(JSON.stringify({ fqdn: "controller.example.org", token: "demo-token-1", unit_id: "demo-unit-1" })).toString("base64");

export async function demoRpcd(print: (line: string) => void): Promise<number> {
  const portal = await startPortal();
  const dir = testdir({ "/etc/config/ns-plug": CONFIG, "/etc/repo-channel": "stable\n", "/proc/sys/kernel/hostname": "fw.demo\n" });
  let failed = 0;
  try {
    const ubus = async (plugin: string, method: string, args: Record<string, unknown> = {}) => {
      // LuCI adds its session id; rpcd hands the plugin compact JSON on stdin.
      const stdin = JSON.stringify({ ubus_rpc_session: "0123456789abcdef0123456789abcdef", ...args });
      const r = await runFile(pluginFile(plugin), ["call", method], { dir, env: portal.env, stdin });
      let shown: string;
      try {
        const answer = onlyJson(r.stdout, r.stderr);
        if ("error" in answer || "validation" in answer) failed++;
        shown = JSON.stringify(answer);
      } catch (e) {
        failed++;
        shown = `NOT ONE JSON OBJECT: ${(e as Error).message}`;
      }
      const shownArgs = Object.keys(args).length ? ` '${JSON.stringify(args).replace(JOIN, "<join code>")}'` : "";
      print(`demo: ubus call ${plugin} ${method}${shownArgs}`);
      print(`demo:   → ${shown.length > 400 ? `${shown.slice(0, 400)}…` : shown}`);
    };
    const list = await runFile(pluginFile("ns.plug"), ["list"], { env: { PATH: "/nonexistent" } });
    print(`demo: /usr/libexec/rpcd/ns.plug list (sh only, no node in PATH) → ${list.stdout.trim()}`);
    await ubus("ns.plug", "status");
    await ubus("ns.plug", "register", { join_code: JOIN, tls_verify: true, unit_name: "", description: "demo unit" });
    await ubus("ns.plug", "status");
    await ubus("ns.subscription", "register", { secret: DEMO_SYSTEMS.find((s) => s.type === "community")!.secret });
    await ubus("ns.subscription", "info");
    await ubus("ns.subscription", "inventory-status");
    await ubus("ns.backup", "set-passphrase", { passphrase: "demo passphrase" });
    await ubus("ns.backup", "is-passphrase-set");
    await ubus("ns.backup", "registered-list-backups");
    print(`demo:   init scripts and reload_config the calls ran: ${dir.calls().join(", ")}`);
  } finally {
    await portal.close();
    dir.cleanup();
  }
  return failed ? 1 : 0;
}
