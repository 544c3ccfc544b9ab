/**
 * Leveled log lines on stderr. procd captures a service's stderr into syslog
 * (`procd_set_param stderr 1`), so stderr *is* the log on the router.
 * Every line goes through the redactor: a secret registered with
 * `redact.add()` never reaches the log, even inside an error message.
 */
export type Level = "error" | "warning" | "info" | "debug";
const ORDER: Record<Level, number> = { error: 0, warning: 1, info: 2, debug: 3 };

export interface Log {
  error(msg: string): void;
  warning(msg: string): void;
  info(msg: string): void;
  debug(msg: string): void;
  setLevel(level: Level): void;
  enabled(level: Level): boolean;
}

const secrets = new Set<string>();
export const redact = {
  /** Register a secret: it is replaced by *** in every log line and error message. */
  add(secret: string | undefined | null): void {
    // Very short values would redact ordinary words; secrets are never that short.
    if (secret && secret.length >= 4) secrets.add(secret);
  },
  apply(text: string): string {
    let out = text;
    for (const s of secrets) out = out.split(s).join("***");
    return out;
  },
};

export function isLevel(v: string): v is Level {
  return v in ORDER;
}

export function createLog(write: (line: string, level: Level) => void, tag: string, level: Level = "info"): Log {
  let threshold = ORDER[level];
  const emit = (l: Level, msg: string) => {
    if (ORDER[l] > threshold) return;
    // One line per record: a multi-line message would look like several records in logread.
    write(`${tag}: ${l}: ${redact.apply(msg).replace(/[\r\n]+/g, " ")}\n`, l);
  };
  return {
    error: (m) => emit("error", m),
    warning: (m) => emit("warning", m),
    info: (m) => emit("info", m),
    debug: (m) => emit("debug", m),
    setLevel: (l) => {
      threshold = ORDER[l];
    },
    enabled: (l) => ORDER[l] <= threshold,
  };
}
