/**
 * File-tree snapshots of a test root: every path with its type, mode and
 * content digest, so a scenario can prove "nothing changed" (or exactly the
 * documented change) and "no temp file left".
 */
import { createHash } from "node:crypto";
import { lstatSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import { join } from "node:path";

export type Snapshot = Map<string, string>;

/** Router path → "file 0600 <sha1>" | "dir 0755" | "link → target". `skip`: top-level dirs left out. */
export function snapshot(root: string, skip: string[] = [".standins"]): Snapshot {
  const out: Snapshot = new Map();
  const walk = (rel: string) => {
    for (const name of readdirSync(join(root, rel))) {
      const p = `${rel}/${name}`;
      if (rel === "" && skip.includes(name)) continue;
      const abs = join(root, p);
      const st = lstatSync(abs);
      const mode = (st.mode & 0o7777).toString(8).padStart(4, "0");
      if (st.isSymbolicLink()) out.set(p, `link → ${readlinkSync(abs)}`);
      else if (st.isDirectory()) {
        out.set(p, `dir ${mode}`);
        walk(p);
      } else out.set(p, `file ${mode} ${createHash("sha1").update(readFileSync(abs)).digest("hex")}`);
    }
  };
  walk("");
  return out;
}

/** One readable line per difference ("+ added", "- removed", "~ changed"). */
export function diffSnapshots(before: Snapshot, after: Snapshot): string[] {
  const out: string[] = [];
  for (const [p, v] of before) {
    const a = after.get(p);
    if (a === undefined) out.push(`- ${p}`);
    else if (a !== v) out.push(`~ ${p}`);
  }
  for (const p of after.keys()) if (!before.has(p)) out.push(`+ ${p}`);
  return out.sort();
}
