/**
 * Secret hygiene: sample /proc/<pid>/cmdline and /proc/<pid>/environ of every
 * descendant of a process (the bundle) while it runs, and report any process
 * whose argv or environment contains one of the secrets.
 */
import { readdirSync, readFileSync } from "node:fs";

export interface WatchReport {
  /** Distinct processes seen (pid:argv0). */
  seen: string[];
  /** "pid argv0: where" for every process that carried a secret. */
  hits: string[];
  /** Every distinct argv and environment seen (NUL-separated), for secrets known only afterwards. */
  texts: string[];
}

function read(p: string): string {
  try {
    return readFileSync(p, "latin1");
  } catch {
    return "";
  }
}

function parentOf(pid: string): string | undefined {
  const stat = read(`/proc/${pid}/stat`);
  // The command name in parentheses may contain spaces: parse after the last ')'.
  const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return rest[1];
}

export function watchDescendants(rootPid: number, secrets: string[], everyMs = 2): { stop(): WatchReport } {
  const seen = new Map<string, string>();
  const hits = new Set<string>();
  const texts = new Set<string>();
  const tick = () => {
    let pids: string[];
    try {
      pids = readdirSync("/proc").filter((p) => /^\d+$/.test(p));
    } catch {
      return;
    }
    const parents = new Map(pids.map((p) => [p, parentOf(p)]));
    // Between fork and exec a child still shows its parent's argv. When the root's own argv
    // holds a secret by design (`register <type> <secret>`), that window is not a leak.
    const rootCmdline = read(`/proc/${rootPid}/cmdline`);
    const isDescendant = (pid: string) => {
      for (let p: string | undefined = parents.get(pid), n = 0; p && n < 64; p = parents.get(p), n++) {
        if (p === String(rootPid)) return true;
      }
      return false;
    };
    for (const pid of pids) {
      if (!isDescendant(pid)) continue;
      const cmdline = read(`/proc/${pid}/cmdline`);
      const environ = read(`/proc/${pid}/environ`);
      // A zombie (exited, not yet reaped) has neither argv nor environment: nothing to sample.
      if (cmdline === "" && environ === "") continue;
      const argv0 = cmdline.split("\0")[0] ?? "?";
      if (cmdline !== "" && cmdline === rootCmdline && parents.get(pid) === String(rootPid)) continue;
      seen.set(`${pid}:${argv0}`, argv0);
      texts.add(cmdline);
      texts.add(environ);
      for (const s of secrets) {
        if (cmdline.includes(s)) hits.add(`${pid} ${argv0}: argv carries a secret`);
        if (environ.includes(s)) hits.add(`${pid} ${argv0}: environment carries a secret`);
      }
    }
  };
  const timer = setInterval(tick, everyMs);
  tick();
  return {
    stop() {
      clearInterval(timer);
      tick();
      return { seen: [...seen.keys()], hits: [...hits], texts: [...texts] };
    },
  };
}
