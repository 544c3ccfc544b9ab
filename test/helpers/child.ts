/**
 * Helpers for the long-running real programs the lab tests start (OpenVPN
 * servers, a lab controller): wait for a line of their output, stop them.
 */
import type { ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";

/** The first stdout line of `child` matching `re`; rejects on timeout or exit, with the output seen. */
export function waitLine(child: ChildProcess, re: RegExp, what: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let seen = "";
    const timer = setTimeout(() => reject(new Error(`${what}: no "${re}" within ${timeoutMs} ms; output:\n${seen}`)), timeoutMs);
    const rl = createInterface({ input: child.stdout! });
    rl.on("line", (l) => {
      seen += l + "\n";
      if (re.test(l)) {
        clearTimeout(timer);
        rl.removeAllListeners("line");
        rl.on("line", () => {}); // keep draining: a full pipe would stall the program
        resolve(l);
      }
    });
    child.once("exit", (c) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited (${c}) before "${re}"; output:\n${seen}`));
    });
  });
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves when `child` has exited. */
export async function stopChild(child: ChildProcess | undefined, graceMs = 5000): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((r) => child.once("exit", r));
  child.kill("SIGTERM");
  const t = setTimeout(() => child.kill("SIGKILL"), graceMs);
  await gone;
  clearTimeout(t);
}
