/**
 * Backup ids and file names come from the server or from LuCI: untrusted.
 * They go into a URL path segment (percent-encoded, never "." or "..") and,
 * for a download without an explicit output, into a file name that must stay
 * in the target directory.
 */
import { BackupError } from "./errors";

/** Pure: the id as one URL path segment. Throws for ids no server should send. */
export function idSegment(id: string): string {
  if (id === "" || id === "." || id === ".." || id.length > 512 || /[\0-\x1f\x7f]/.test(id)) {
    throw new BackupError("invalid_backup_id", `invalid backup id ${JSON.stringify(id.slice(0, 80))}`);
  }
  // encodeURIComponent turns "/" into %2F: "../../x" stays one segment under the base.
  return encodeURIComponent(id);
}

/**
 * Pure: a local file name for an id (its last path component, with anything
 * outside [A-Za-z0-9._+-] replaced), never empty, "." or "..", never hidden.
 */
export function safeFileName(id: string): string {
  const last = id.split(/[/\\]/).pop() ?? "";
  const name = last.replace(/[^A-Za-z0-9._+-]/g, "_").replace(/^\.+/, "");
  if (name === "") throw new BackupError("invalid_backup_id", `backup id ${JSON.stringify(id.slice(0, 80))} gives no usable file name`);
  return name.slice(0, 200);
}

/** Pure: the last component of a local path (the name a backup is uploaded as). */
export function baseName(path: string): string {
  return path.replace(/\/+$/, "").split("/").pop() ?? "";
}
