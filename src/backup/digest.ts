/**
 * Change detection on the archive's *contents*. The gzip bytes change on
 * every run (tar headers carry mtimes, gzip a timestamp), so hashing the file
 * uploaded every night; hashing only some files missed added ones. Here each
 * entry's type, path, mode, link target and data are hashed, entries are
 * sorted by path (the order tar walks a directory is not stable), and the
 * sorted list is hashed again. Owner, group and times are left out.
 */
import { createDigest } from "../platform/hash";
import { readTarGz, type TarEntry } from "../platform/tar";
import type { Readable } from "../platform/fs";

export interface EntryDigest {
  path: string;
  line: string;
}

/** Pure: a path as tar may spell it ("./etc/x", "/etc/x", "etc/x/") → "etc/x". */
export function normalisePath(p: string): string {
  let s = p;
  while (s.startsWith("./")) s = s.slice(2);
  s = s.replace(/^\/+/, "").replace(/\/+$/, "");
  return s === "." ? "" : s;
}

/** Pure: the line that stands for one entry, given the hash of its data. */
export function entryLine(e: Pick<TarEntry, "path" | "type" | "mode" | "linkname">, dataHex: string): string {
  // JSON keeps any byte in a path (newline, NUL) unambiguous within the line.
  return JSON.stringify([e.type, normalisePath(e.path), e.mode.toString(8), e.linkname, dataHex]);
}

/** Pure: the archive digest from its entries' lines, whatever their order. */
export function combine(entries: EntryDigest[]): string {
  const lines = entries.map((e) => e.line).sort();
  const d = createDigest("md5");
  for (const l of lines) d.update(l).update("\n");
  return d.hex();
}

/**
 * Digest of a tar.gz stream's contents (MD5 hex, the format of /etc/backup.md5).
 * `ignore`: normalised paths left out (volatile files such as acme.sh's header).
 */
export async function digestTarGz(input: Readable, ignore: readonly string[] = []): Promise<string> {
  const entries: EntryDigest[] = [];
  let current: { entry: TarEntry; hash: ReturnType<typeof createDigest> } | undefined;
  const close = () => {
    if (current) entries.push({ path: current.entry.path, line: entryLine(current.entry, current.hash.hex()) });
    current = undefined;
  };
  await readTarGz(input, (entry) => {
    close();
    if (ignore.includes(normalisePath(entry.path))) return;
    const hash = createDigest("sha256");
    current = { entry, hash };
    return (chunk) => {
      hash.update(chunk);
    };
  });
  close();
  return combine(entries);
}
