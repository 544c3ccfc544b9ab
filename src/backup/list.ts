/**
 * backupd's list answer → what `remote-backup list` prints: a JSON array,
 * newest first, each item with the server's fields plus `file` (= `id`), so
 * `remote-backup list | jq -r .[0].file` names the newest backup whatever the
 * server version. v2 answers `{"backups": [{id, name, created, size, mimetype}]}`;
 * older servers a bare array of items carrying `file`.
 */
import * as z from "zod/mini";
import { describeIssues } from "../platform/schema";
import { BackupError } from "./errors";

const idLike = z.union([z.string(), z.number()]);
const Item = z.looseObject({
  id: z.optional(idLike),
  file: z.optional(idLike),
  name: z.optional(z.string()),
  created: z.optional(z.union([z.number(), z.string()])),
  size: z.optional(z.union([z.number(), z.string()])),
  mimetype: z.optional(z.string()),
});
const Answer = z.union([z.looseObject({ backups: z.array(Item) }), z.array(Item)]);

export type RemoteBackup = Record<string, unknown> & { file: string };

/** Pure: seconds since the epoch of a `created` value (unix s, unix ms, or a date string); NaN when unknown. */
export function createdSeconds(v: unknown): number {
  if (typeof v === "number") return v > 1e11 ? v / 1000 : v;
  if (typeof v === "string") {
    if (/^\d+(\.\d+)?$/.test(v)) return createdSeconds(Number(v));
    const t = Date.parse(v);
    return Number.isNaN(t) ? NaN : t / 1000;
  }
  return NaN;
}

/** Pure: parse and normalise the list answer. Items without an id are dropped. */
export function normaliseList(answer: unknown): RemoteBackup[] {
  const r = Answer.safeParse(answer);
  if (!r.success) {
    throw new BackupError("remote_failed", `list backups: backupd answer has an unexpected shape (${describeIssues(r.error.issues as never)})`);
  }
  const items = Array.isArray(r.data) ? r.data : r.data.backups;
  const out: Array<{ item: RemoteBackup; t: number; i: number }> = [];
  items.forEach((it, i) => {
    const id = it.id ?? it.file;
    if (id === undefined || id === "") return;
    out.push({ item: { ...it, file: String(id) }, t: createdSeconds(it.created), i });
  });
  // Newest first; items without a usable date go last, in the server's order.
  out.sort((a, b) => {
    const an = Number.isNaN(a.t);
    const bn = Number.isNaN(b.t);
    if (an !== bn) return an ? 1 : -1;
    if (!an && a.t !== b.t) return b.t - a.t;
    return a.i - b.i;
  });
  return out.map((o) => o.item);
}
