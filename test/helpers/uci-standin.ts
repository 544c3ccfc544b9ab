/**
 * A `uci` stand-in for shell scripts under test (uci-defaults): `get`, `set`,
 * `commit`, `get <pkg>.<section>` (its type), `delete <pkg>.<section>` and
 * `batch` (set/commit lines on stdin, shell-like quoting as
 * libuci's parser reads it), on <NS_PLUG_ROOT>/etc/config through our own
 * UCI store. `set` writes at once, under libuci's lock (flock on the config
 * file, as `uci commit` takes it: docs/uci.md); `commit` only validates the
 * package name (the calls log shows that a script committed).
 * Install: dir.standin("uci", `exec node --import tsx ${UCI_STANDIN} "$@"`).
 */
import { readFileSync } from "node:fs";
import { createFs } from "../../src/platform/fs";
import { makeResolver } from "../../src/platform/paths";
import { commitPackage, loadPackage } from "../../src/platform/uci/store";

export const UCI_STANDIN = new URL(import.meta.url).pathname;

/** Split one batch line into words: '…' literal, "…" with \ escapes, \x outside quotes. */
export function words(line: string): string[] {
  const out: string[] = [];
  let cur: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === " " || c === "\t") {
      if (cur !== undefined) out.push(cur);
      cur = undefined;
    } else if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) throw new Error("unterminated '");
      cur = (cur ?? "") + line.slice(i + 1, end);
      i = end;
    } else if (c === '"') {
      cur ??= "";
      for (i++; i < line.length && line[i] !== '"'; i++) cur += line[i] === "\\" ? line[++i] ?? "" : line[i];
    } else if (c === "\\") cur = (cur ?? "") + (line[++i] ?? "");
    else cur = (cur ?? "") + c;
  }
  if (cur !== undefined) out.push(cur);
  return out;
}

async function main(argv: string[]): Promise<number> {
  const fs = createFs(makeResolver(process.env.NS_PLUG_ROOT || "/"));
  const args = argv.filter((a) => a !== "-q");
  const run = async (cmd: string[]): Promise<number> => {
    const [verb, arg = ""] = cmd;
    if (verb === "commit") return /^[A-Za-z0-9_-]+$/.test(arg) ? 0 : 1;
    if ((verb === "get" || verb === "delete") && arg.split(".").length === 2) {
      const [pkgName, sec] = arg.split(".") as [string, string];
      const pkg = await loadPackage(fs, pkgName);
      const s = pkg.section(sec);
      if (!s) return 1;
      if (verb === "get") process.stdout.write(`${s.type}\n`);
      else {
        pkg.deleteSection(sec);
        await commitPackage(fs, pkg);
      }
      return 0;
    }
    if (verb === "get" || verb === "set") {
      const eq = arg.indexOf("=");
      const path = verb === "set" ? arg.slice(0, eq) : arg;
      const [pkgName, sec, opt] = path.split(".");
      if (!pkgName || !sec || !opt) return 1;
      const pkg = await loadPackage(fs, pkgName);
      if (verb === "get") {
        const v = pkg.get(sec, opt);
        if (v === undefined) return 1;
        process.stdout.write(`${Array.isArray(v) ? v.join(" ") : v}\n`);
        return 0;
      }
      pkg.set(sec, opt, arg.slice(eq + 1));
      await commitPackage(fs, pkg);
      return 0;
    }
    if (verb === "batch") {
      for (const line of readFileSync(0, "utf8").split("\n")) {
        const w = words(line);
        if (w.length && (await run(w)) !== 0) return 1;
      }
      return 0;
    }
    return 1;
  };
  return run(args);
}

if (process.argv[1] && new URL(import.meta.url).pathname === process.argv[1]) {
  main(process.argv.slice(2)).then(
    (c) => (process.exitCode = c),
    (e) => {
      process.stderr.write(`uci stand-in: ${e}\n`);
      process.exitCode = 1;
    },
  );
}
