/**
 * A minimal, streaming tar.gz reader: enough to look *inside* an archive
 * (ustar, GNU long names, pax extended headers) without extracting it and
 * without holding it in memory. Used by the backup change detection, which
 * needs every entry's path, mode and data but must ignore tar header noise
 * (mtimes, atimes, owner names) that changes with every run.
 */
import { createGunzip } from "node:zlib";
import type { Readable } from "node:stream";

export type TarEntryType = "file" | "directory" | "symlink" | "hardlink" | "other";

export interface TarEntry {
  path: string;
  type: TarEntryType;
  /** The raw typeflag character ('0', '5', '2', …). */
  typeflag: string;
  /** Permission bits (incl. setuid/setgid/sticky). */
  mode: number;
  size: number;
  linkname: string;
}

/** Called for each entry; return a sink for the entry's data, or nothing to skip it. */
export type TarVisitor = (entry: TarEntry) => ((chunk: Uint8Array) => void) | void;

const BLOCK = 512;
/** Long names and pax records are metadata: anything bigger is not a sane archive. */
const MAX_META = 1024 * 1024;

function cstr(b: Uint8Array, off: number, len: number): string {
  const f = b.subarray(off, off + len);
  const z = f.indexOf(0);
  return Buffer.from(z < 0 ? f : f.subarray(0, z)).toString("utf8");
}

/** Octal number, or GNU base-256 when the high bit of the first byte is set. */
function num(b: Uint8Array, off: number, len: number): number {
  if (b[off]! & 0x80) {
    let v = b[off]! & 0x7f;
    for (let i = 1; i < len; i++) v = v * 256 + b[off + i]!;
    return v;
  }
  const s = cstr(b, off, len).trim();
  if (s === "") return 0;
  if (!/^[0-7]+$/.test(s)) throw new Error(`bad number field "${s}"`);
  return parseInt(s, 8);
}

function checksumOk(h: Uint8Array): boolean {
  const stored = num(h, 148, 8);
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : h[i]!;
  return sum === stored;
}

function kind(flag: string): TarEntryType {
  if (flag === "0" || flag === "\0" || flag === "7") return "file";
  if (flag === "5") return "directory";
  if (flag === "2") return "symlink";
  if (flag === "1") return "hardlink";
  return "other";
}

/** Pax records: "<len> <key>=<value>\n", len counting the whole record. */
export function parsePax(data: Uint8Array): Record<string, string> {
  const out: Record<string, string> = {};
  const buf = Buffer.from(data);
  let i = 0;
  while (i < buf.length) {
    const sp = buf.indexOf(0x20, i);
    if (sp < 0) break;
    const len = parseInt(buf.toString("ascii", i, sp), 10);
    if (!Number.isFinite(len) || len <= sp - i || i + len > buf.length) break;
    const rec = buf.toString("utf8", sp + 1, i + len - 1); // drop the trailing \n
    const eq = rec.indexOf("=");
    if (eq > 0) out[rec.slice(0, eq)] = rec.slice(eq + 1);
    i += len;
  }
  return out;
}

/**
 * Read a tar.gz stream to its end, calling `visit` for each real entry
 * (pax 'x'/'g' and GNU 'L'/'K' records are applied, not reported).
 * Rejects on a corrupt gzip stream or tar header.
 */
export async function readTarGz(input: Readable, visit: TarVisitor): Promise<void> {
  const gunzip = createGunzip();
  input.on("error", (e) => gunzip.destroy(e));
  input.pipe(gunzip);

  const pending: Uint8Array[] = []; // bytes not yet consumed
  let pendingLen = 0;
  let remaining = 0; // data bytes left in the current entry
  let padding = 0; // zero bytes after the data up to the block boundary
  let sink: ((c: Uint8Array) => void) | undefined;
  let meta: { kind: "pax" | "gnuname" | "gnulink" | "skip"; parts: Uint8Array[] } | undefined;
  let pax: Record<string, string> = {};
  let longName: string | undefined;
  let longLink: string | undefined;
  let ended = false;

  const take = (n: number): Uint8Array => {
    const out = new Uint8Array(n);
    let filled = 0;
    while (filled < n) {
      const head = pending[0]!;
      const k = Math.min(n - filled, head.length);
      out.set(head.subarray(0, k), filled);
      filled += k;
      if (k === head.length) pending.shift();
      else pending[0] = head.subarray(k);
    }
    pendingLen -= n;
    return out;
  };

  const startEntry = (h: Uint8Array) => {
    if (!checksumOk(h)) throw new Error("not a tar archive (bad header checksum)");
    const flag = String.fromCharCode(h[156]!);
    const size = num(h, 124, 12);
    const posix = cstr(h, 257, 6) === "ustar" && cstr(h, 263, 2) === "00";
    let name = cstr(h, 0, 100);
    // Only POSIX ustar has a prefix field; old GNU headers keep atime/ctime there.
    const prefix = posix ? cstr(h, 345, 155) : "";
    if (prefix) name = `${prefix}/${name}`;
    remaining = size;
    padding = (BLOCK - (size % BLOCK)) % BLOCK;
    if (flag === "x" || flag === "g" || flag === "L" || flag === "K") {
      if (size > MAX_META) throw new Error("tar metadata record too large");
      const k = flag === "x" ? "pax" : flag === "L" ? "gnuname" : flag === "K" ? "gnulink" : "skip";
      meta = { kind: k, parts: [] };
      sink = (c) => meta!.parts.push(c.slice());
      if (size === 0) finishData();
      return;
    }
    const entry: TarEntry = {
      path: pax.path ?? longName ?? name,
      type: kind(flag),
      typeflag: flag === "\0" ? "0" : flag,
      mode: num(h, 100, 8) & 0o7777,
      size: pax.size !== undefined ? Number(pax.size) : size,
      linkname: pax.linkpath ?? longLink ?? cstr(h, 157, 100),
    };
    if (pax.size !== undefined) {
      remaining = entry.size;
      padding = (BLOCK - (remaining % BLOCK)) % BLOCK;
    }
    pax = {};
    longName = undefined;
    longLink = undefined;
    // Only regular files carry data in the stream; a hard link's size field is ignored by tar.
    if (entry.type !== "file" && entry.type !== "other") {
      remaining = 0;
      padding = 0;
    }
    sink = visit(entry) ?? undefined;
    if (remaining === 0) finishData();
  };

  const finishData = () => {
    if (meta) {
      const data = Buffer.concat(meta.parts);
      if (meta.kind === "pax") pax = parsePax(data);
      else if (meta.kind === "gnuname") longName = cstr(data, 0, data.length);
      else if (meta.kind === "gnulink") longLink = cstr(data, 0, data.length);
      meta = undefined;
    }
    sink = undefined;
  };

  const feed = () => {
    while (!ended) {
      if (remaining > 0) {
        if (pendingLen === 0) return;
        const head = pending[0]!;
        const k = Math.min(remaining, head.length);
        const part = head.subarray(0, k);
        if (k === head.length) pending.shift();
        else pending[0] = head.subarray(k);
        pendingLen -= k;
        remaining -= k;
        sink?.(part);
        if (remaining === 0) finishData();
        continue;
      }
      if (padding > 0) {
        if (pendingLen < padding) return;
        take(padding);
        padding = 0;
        continue;
      }
      if (pendingLen < BLOCK) return;
      const header = take(BLOCK);
      if (header.every((b) => b === 0)) {
        // End of archive (two zero blocks; one is enough to stop reading entries).
        ended = true;
        return;
      }
      startEntry(header);
    }
  };

  try {
    for await (const chunk of gunzip) {
      if (ended) continue; // drain the gzip stream so its integrity (CRC) is still checked
      pending.push(chunk as Uint8Array);
      pendingLen += (chunk as Uint8Array).length;
      feed();
    }
  } catch (e) {
    input.destroy();
    throw e;
  }
  // A missing end-of-archive marker is tolerated; a cut inside an entry is not.
  if (!ended && (remaining > 0 || padding > 0 || pendingLen > 0)) throw new Error("truncated tar archive");
}
