/**
 * The rpcd part of `make demo`: LuCI-style calls through the generated plugin
 * files (dist/rpcd/*), exactly as rpcd runs them, against a test root and the
 * loopback portal and backupd. demo/run.ts calls `demoRpcd(console.log)`.
 */
import { onlyJson, pluginFile, runFile } from "../helpers/rpcd";
import { testdir } from "../helpers/testdir";
import { installSysupgrade, startBackupd } from "./backupd";
import { DEMO_SYSTEMS, startPortal } from "./portal";

const CONFIG = (backupUrl: string) => `\nconfig main 'config'\n\toption tls_verify '1'\n\toption backup_url '${backupUrl}'\n`;
const JOIN = Buffer.from(JSON.stringify({ fqdn: "controller.example.org", token: "demo-token-1", unit_id: "demo-unit-1" })).toString("base64");

const SECRET_KEYS = ["join_code", "secret", "passphrase"];

export async function demoRpcd(print: (line: string) => void): Promise<number> {
  const portal = await startPortal();
  const sys = DEMO_SYSTEMS.find((s) => s.type === "community")!;
  const backupd = await startBackupd({ systemId: sys.uuid, secret: sys.secret });
  const dir = testdir({
    "/etc/config/ns-plug": CONFIG(backupd.url),
    "/etc/repo-channel": "stable\n",
    "/proc/sys/kernel/hostname": "fw.demo\n",
  });
  installSysupgrade(dir.bin);
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
      // Shown like a log line would: secrets masked.
      const masked = Object.fromEntries(Object.entries(args).map(([k, v]) => [k, SECRET_KEYS.includes(k) ? `<${k}>` : v]));
      const shownArgs = Object.keys(args).length ? ` '${JSON.stringify(masked)}'` : "";
      print(`demo: ubus call ${plugin} ${method}${shownArgs}`);
      print(`demo:   → ${shown.length > 400 ? `${shown.slice(0, 400)}…` : shown}`);
    };
    const list = await runFile(pluginFile("ns.plug"), ["list"], { env: { PATH: "/nonexistent" } });
    print(`demo: /usr/libexec/rpcd/ns.plug list (sh only, no node in PATH) → ${list.stdout.trim()}`);
    await ubus("ns.plug", "status");
    await ubus("ns.plug", "register", { join_code: JOIN, tls_verify: true, unit_name: "", description: "demo unit" });
    await ubus("ns.plug", "status");
    await ubus("ns.subscription", "register", { secret: sys.secret });
    await ubus("ns.subscription", "info");
    await ubus("ns.subscription", "inventory-status");
    await ubus("ns.backup", "set-passphrase", { passphrase: "demo passphrase" });
    await ubus("ns.backup", "is-passphrase-set");
    await ubus("ns.backup", "registered-backup");
    await ubus("ns.backup", "registered-list-backups");
    print(`demo:   init scripts and reload_config the calls ran: ${dir.calls().join(", ")}`);
  } finally {
    await portal.close();
    await backupd.close();
    dir.cleanup();
  }
  return failed ? 1 : 0;
}
