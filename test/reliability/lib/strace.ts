/**
 * What a run did to a file, seen from the kernel's side: `strace` on the
 * built bundle (and every child and thread), then each target path is
 * classified. An atomic replace never opens the target for writing and never
 * truncates it: it writes a temp file and renames it onto the target.
 * A kill between truncate and write is a matter of microseconds, so a
 * crash test almost never sees it; this sees it every time.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";

const SYSCALLS = "/^(open|openat|openat2|creat|rename|renameat|renameat2|truncate|ftruncate)$";

/** Prefix a command with this; the trace goes to `out`. */
export function straceArgs(out: string): string[] {
  // -y: fds print with their paths (ftruncate); -s: paths are never cut; --seccomp-bpf: only the
  // traced calls stop the process, so the run is not much slower than without strace.
  return ["strace", "-f", "-qq", "--seccomp-bpf", "-y", "-s", "4096", "-e", `trace=${SYSCALLS}`, "-e", "signal=none", "-o", out];
}

export interface FileOps {
  /** open/openat/creat calls on the target with a write, create or truncate flag. */
  writeOpens: string[];
  /** truncate(path) or ftruncate(fd) on the target. */
  truncates: string[];
  /** rename*(x, target): the target replaced whole. */
  renamesOnto: string[];
}

const unquote = (s: string) => JSON.parse(`"${s.replace(/\\x([0-9a-f]{2})/gi, "\\u00$1")}"`) as string;

/** Quoted path arguments of a strace line, each resolved against its dirfd's `<path>` when relative. */
function pathArgs(line: string): string[] {
  const out: string[] = [];
  const re = /(?:(?:AT_FDCWD|\d+)<([^>]*)>,\s*)?"((?:[^"\\]|\\.)*)"/g;
  for (let m = re.exec(line); m; m = re.exec(line)) {
    const p = unquote(m[2]!);
    out.push(p.startsWith("/") || m[1] === undefined ? p : join(m[1], p));
  }
  return out;
}

export function opsOn(trace: string, target: string): FileOps {
  const ops: FileOps = { writeOpens: [], truncates: [], renamesOnto: [] };
  for (const raw of trace.split("\n")) {
    const line = raw.replace(/^\d+\s+/, "");
    const call = /^(\w+)\(/.exec(line)?.[1];
    if (!call) continue; // "<... resumed>" lines carry no arguments
    const paths = pathArgs(line);
    if (/^(open|openat|openat2|creat)$/.test(call)) {
      // A failed open wrote nothing; O_CREAT|O_EXCL that succeeded made a new, empty file (libuci's
      // lock file when the config is missing): no existing content can be torn by it.
      const failed = /\)\s*=\s*-1\b/.test(line);
      const fresh = /O_CREAT/.test(line) && /O_EXCL/.test(line) && !/O_TRUNC/.test(line);
      if (paths[0] === target && !failed && !fresh && (call === "creat" || /O_WRONLY|O_RDWR|O_TRUNC|O_CREAT/.test(line))) ops.writeOpens.push(raw);
    } else if (call === "truncate") {
      if (paths[0] === target) ops.truncates.push(raw);
    } else if (call === "ftruncate") {
      // "<path>(deleted)": an inode renamed over already, with no name left (uci/lock.ts refreshes it
      // for a waiting `uci commit`): it can't tear what the name holds.
      if (line.includes(`<${target}>`) && !line.includes(`<${target}>(deleted)`)) ops.truncates.push(raw);
    } else if (/^rename/.test(call)) {
      if (paths[1] === target) ops.renamesOnto.push(raw);
    }
  }
  return ops;
}

export function readTrace(out: string): string {
  return readFileSync(out, "utf8");
}
