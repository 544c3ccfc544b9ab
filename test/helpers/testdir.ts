/**
 * A throwaway router root for one test: files, modes, and stand-ins for the
 * OpenWrt-only commands (reload_config, /etc/init.d/*, sysupgrade when asked)
 * that record each call in <root>/.standins/calls.log.
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

export type FileSpec = string | { content: string; mode?: number };

export interface TestDir {
  root: string;
  /** PATH entry holding the stand-ins; put it first in PATH. */
  bin: string;
  path(p: string): string;
  read(p: string): string;
  readIfExists(p: string): string | undefined;
  write(p: string, content: string, mode?: number): void;
  exists(p: string): boolean;
  mode(p: string): number;
  /** Lines recorded by stand-ins, e.g. "reload_config", "/etc/init.d/ns-plug restart". */
  calls(): string[];
  /** What reached syslog through the `logger` stand-in: "<tag> <priority> <line>" (rpcd plugins log there). */
  syslog(): string[];
  /** Add an executable stand-in under the root (e.g. "/etc/init.d/foo") or, for a bare name, in bin/. */
  standin(name: string, body?: string): void;
  cleanup(): void;
}

/** Init scripts every test root gets as recording stand-ins. */
const INIT_SCRIPTS = ["ns-plug", "ns-plug-alert-proxy", "rsyslog", "cron", "rpcd", "send-inventory"];

/**
 * The router's gpg is GnuPG 1.4.23 (OpenWrt's `gnupg`; Debian's `gnupg1` is
 * the same version): the product finds it as `gpg` on PATH, so every test
 * root puts `gpg1` there. The tests' own `gpg` (the admin's desktop) stays gpg 2.
 */
function routerGpg(bin: string): void {
  const gpg1 = ["/usr/bin/gpg1", "/bin/gpg1"].find((p) => existsSync(p));
  if (!gpg1) throw new Error("testdir: gpg1 (Debian package gnupg1, the router's GnuPG 1.4.23) is not installed");
  symlinkSync(gpg1, join(bin, "gpg"));
}

export function testdir(files: Record<string, FileSpec> = {}): TestDir {
  const root = mkdtempSync(join(tmpdir(), "nsplug-"));
  const bin = join(root, ".standins", "bin");
  const callsLog = join(root, ".standins", "calls.log");
  mkdirSync(bin, { recursive: true });
  const abs = (p: string) => join(root, p.replace(/^\/+/, ""));
  const write = (p: string, content: string, mode?: number) => {
    const f = abs(p);
    mkdirSync(dirname(f), { recursive: true });
    writeFileSync(f, content);
    if (mode !== undefined) chmodSync(f, mode);
  };
  const standin = (name: string, body = "") => {
    const file = name.startsWith("/") ? abs(name) : join(bin, name);
    const label = name;
    mkdirSync(dirname(file), { recursive: true });
    rmSync(file, { force: true }); // never write through a link (bin/gpg points at the real gpg1)
    writeFileSync(
      file,
      `#!/bin/sh\n# test stand-in for an OpenWrt-only command\nprintf '%s\\n' "${label}${"${*:+ $*}"}" >> '${callsLog}'\n${body}\n`,
    );
    chmodSync(file, 0o755);
  };
  for (const d of ["etc/config", "var/run", "tmp", "usr/sbin", "etc/crontabs"]) mkdirSync(abs(d), { recursive: true });
  standin("reload_config");
  routerGpg(bin);
  // logger: kept out of calls.log (tests compare it whole); BusyBox's options -t/-p, message from args or stdin.
  const syslogFile = join(root, ".standins", "syslog.log");
  writeFileSync(
    join(bin, "logger"),
    `#!/bin/sh\nt=logger p=user.notice\nwhile getopts st:p: o; do case $o in t) t=$OPTARG;; p) p=$OPTARG;; esac; done\nshift $((OPTIND - 1))\n` +
      `if [ $# -gt 0 ]; then printf '%s %s %s\\n' "$t" "$p" "$*"; else while IFS= read -r l; do printf '%s %s %s\\n' "$t" "$p" "$l"; done; fi >> '${syslogFile}'\n`,
  );
  chmodSync(join(bin, "logger"), 0o755);
  for (const s of INIT_SCRIPTS) standin(`/etc/init.d/${s}`);
  for (const [p, spec] of Object.entries(files)) {
    if (typeof spec === "string") write(p, spec);
    else write(p, spec.content, spec.mode);
  }
  return {
    root,
    bin,
    path: abs,
    read: (p) => readFileSync(abs(p), "utf8"),
    readIfExists: (p) => (existsSync(abs(p)) ? readFileSync(abs(p), "utf8") : undefined),
    write,
    exists: (p) => existsSync(abs(p)),
    mode: (p) => statSync(abs(p)).mode & 0o7777,
    calls: () => (existsSync(callsLog) ? readFileSync(callsLog, "utf8").split("\n").filter(Boolean) : []),
    syslog: () => (existsSync(syslogFile) ? readFileSync(syslogFile, "utf8").split("\n").filter(Boolean) : []),
    standin,
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  };
}
