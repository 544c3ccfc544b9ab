/**
 * This machine's process table (/proc, never under NS_PLUG_ROOT: processes
 * are real even when the files are a test root). Used to stop daemons we
 * started, found by the config path on their command line, so a stale pid
 * file never makes us signal a stranger.
 */
import { readdirSync, readFileSync } from "node:fs";

export interface ProcInfo {
  pid: number;
  ppid: number;
  /** argv joined with spaces (the process may have rewritten it, as sshd does). */
  cmdline: string;
}

function read(p: string): string {
  try {
    return readFileSync(p, "latin1");
  } catch {
    return "";
  }
}

export function listProcesses(): ProcInfo[] {
  let names: string[];
  try {
    names = readdirSync("/proc").filter((n) => /^\d+$/.test(n));
  } catch {
    return [];
  }
  const out: ProcInfo[] = [];
  for (const n of names) {
    const stat = read(`/proc/${n}/stat`);
    if (!stat) continue;
    // The command name in parentheses may hold spaces: the fields that follow start after the last ')'.
    const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    out.push({ pid: Number(n), ppid, cmdline: read(`/proc/${n}/cmdline`).replace(/\0+$/, "").split("\0").join(" ") });
  }
  return out;
}

/** `root` and every process below it. */
export function descendantsOf(all: readonly ProcInfo[], root: number): number[] {
  const found = [root];
  for (let i = 0; i < found.length; i++) {
    for (const p of all) if (p.ppid === found[i] && !found.includes(p.pid)) found.push(p.pid);
  }
  return found;
}

/** Running (a zombie waiting for its parent counts as gone). */
export function isAlive(pid: number): boolean {
  const stat = read(`/proc/${pid}/stat`);
  if (stat && stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) === "Z") return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as { code?: string }).code === "EPERM";
  }
}

/** Send `sig`; a process already gone is not an error. */
export function signalProcess(pid: number, sig: "SIGTERM" | "SIGKILL"): void {
  try {
    process.kill(pid, sig);
  } catch {
    /* already gone */
  }
}

/** Our own pid: a process must not stop itself. */
export const selfPid = (): number => process.pid;
