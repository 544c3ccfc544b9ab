/**
 * The log of an rpcd plugin call (SPEC §7). ns-api-server, the web UI's
 * backend, reads a plugin's stdout and stderr *combined*: one log line on
 * stderr turns the answer into `data: null`. So in plugin mode the log goes
 * to syslog (`logread -e ns-plug` shows it), never to stderr.
 *
 * Lines are buffered and handed to ONE `logger -t ns-plug` child through its
 * stdin when the call ends: one spawn per line would add a fork+exec to every
 * line, and a call that logs nothing (LuCI's `status` poll) spawns nothing.
 * BusyBox logger takes one priority per run: the most severe buffered level
 * is used, and each line still says its own level in its text.
 */
import type { Exec } from "./exec";
import { createLog, type Level, type Log } from "./log";

export const SYSLOG_TAG = "ns-plug";
const PRIORITY: Record<Level, string> = {
  error: "daemon.err",
  warning: "daemon.warning",
  info: "daemon.info",
  debug: "daemon.debug",
};
const SEVERITY: Level[] = ["error", "warning", "info", "debug"];
/** A call that logs more than this is broken; the rest is counted, not kept (memory stays bounded). */
const BUFFER_CAP = 64 * 1024;
/** logger reads a pipe and writes a datagram: it never takes long, and the caller waits for our exit. */
const FLUSH_TIMEOUT_MS = 2_000;

export interface SyslogLog {
  log: Log;
  /** Hand the buffered lines to logger (safe to call more than once; never throws). */
  flush(): Promise<void>;
}

/**
 * A log with `base`'s tag and level whose lines go to syslog. A person
 * running the plugin from a terminal (stderr is a TTY: neither rpcd nor
 * ns-api-server) also sees them on stderr through `base`.
 *
 * Process-wide for the rest of the run: Node's own warnings and an unhandled
 * rejection, which Node prints on stderr, are logged here instead.
 */
export function createSyslogLog(exec: Exec, tag: string, base: Log): SyslogLog {
  const lines: string[] = [];
  let size = 0;
  let dropped = 0;
  let worst = SEVERITY.length - 1;
  const echo = process.stderr.isTTY === true;
  const level = [...SEVERITY].reverse().find((l) => base.enabled(l)) ?? "error";
  const log = createLog(
    (line, l) => {
      if (echo) process.stderr.write(line);
      if (size + line.length > BUFFER_CAP) {
        dropped++;
        return;
      }
      lines.push(line);
      size += line.length;
      worst = Math.min(worst, SEVERITY.indexOf(l));
    },
    tag,
    level,
  );
  process.removeAllListeners("warning");
  process.on("warning", (w) => log.warning(`${w.name}: ${w.message}`));
  process.on("unhandledRejection", (e) => log.error(`unhandled: ${e instanceof Error ? e.message : String(e)}`));

  async function flush(): Promise<void> {
    if (dropped) {
      lines.push(`${tag}: warning: ${dropped} more log lines dropped\n`);
      worst = Math.min(worst, SEVERITY.indexOf("warning"));
    }
    if (!lines.length) return;
    const text = lines.join("");
    const priority = PRIORITY[SEVERITY[worst]!];
    lines.length = 0;
    size = 0;
    dropped = 0;
    worst = SEVERITY.length - 1;
    try {
      await exec("logger", ["-t", SYSLOG_TAG, "-p", priority], { stdin: text, timeoutMs: FLUSH_TIMEOUT_MS, maxOutput: 4096 });
    } catch {
      // No logger on PATH: nowhere else may the lines go (stderr is the caller's answer).
    }
  }
  return { log, flush };
}
