/**
 * An unprivileged local user (uid/gid 65534, no groups) attacking a test
 * root whose /tmp and /var are 1777, as dnsmasq, ntpd or a CGI could on the
 * router (docs/security.md). Commands run through `setpriv`.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chmodSync, existsSync, lstatSync, mkdirSync, readdirSync } from "node:fs";
import { join } from "node:path";
import type { TestDir } from "../../helpers/testdir";

export const NOBODY = 65534;
const SETPRIV = ["--reuid=65534", "--regid=65534", "--clear-groups"];

/** Make the root reachable by others and its /tmp and /var world-writable and sticky, as on OpenWrt. */
export function openRoot(dir: TestDir): void {
  chmodSync(dir.root, 0o755);
  for (const d of ["/tmp", "/var"]) {
    mkdirSync(dir.path(d), { recursive: true });
    chmodSync(dir.path(d), 0o1777);
  }
}

/** Run a sh script as nobody, to its end. */
export function asNobody(script: string, env: Record<string, string> = {}): { code: number | null; out: string } {
  const r = spawnSync("setpriv", [...SETPRIV, "sh", "-c", script], { env: { PATH: process.env.PATH!, ...env }, encoding: "utf8" });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

/** Start a sh script (an endless loop) as nobody; stop() kills it. */
export function startNobody(script: string, env: Record<string, string> = {}): { child: ChildProcess; stop(): Promise<void> } {
  const child = spawn("setpriv", [...SETPRIV, "sh", "-c", script], {
    env: { PATH: process.env.PATH!, ...env },
    stdio: "ignore",
    detached: true, // its own process group: stop() takes the loop's children too
  });
  return {
    child,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once("exit", () => resolve());
        try {
          process.kill(-child.pid!, "SIGKILL");
        } catch {
          resolve();
        }
      }),
  };
}

/** Every path under `dir` (not following links). */
export function walk(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    out.push(p);
    const st = lstatSync(p);
    if (st.isDirectory()) out.push(...walk(p));
  }
  return out;
}
