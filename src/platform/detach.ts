/**
 * Run this same program again in the background, detached from the caller.
 * OpenVPN runs its hooks synchronously and moves no packets until a hook
 * returns, so a hook that talks *through* the tunnel (route-up →
 * ns-controller-push-info) must hand the work to a detached copy and return
 * at once (the original ran `curl` with Popen for the same reason).
 * stderr is inherited, so the copy's log lines still reach syslog via procd.
 */
import { spawn } from "node:child_process";
import { basename } from "node:path";

/**
 * Start `command` of this bundle again, in a new session, the way main.ts
 * dispatches: through the same link when we were called by that name,
 * else as `<bundle> <command>`. Returns the pid.
 */
export function detachSelf(command: string, args: readonly string[], env: Record<string, string | undefined>): number | undefined {
  const clean: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined) clean[k] = v;
  const self = process.argv[1]!;
  const calledAs = basename(self).replace(/\.js$/, "");
  const argv = calledAs === command ? [self, ...args] : [self, command, ...args];
  const child = spawn(process.execPath, argv, {
    detached: true,
    stdio: ["ignore", "ignore", "inherit"],
    env: clean,
  });
  child.on("error", () => {}); // reported by the caller's log line, not as a crash
  child.unref();
  return child.pid;
}
