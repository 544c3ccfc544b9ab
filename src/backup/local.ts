/**
 * ns.backup's local operations (LuCI "Backup & restore"): make a backup for
 * the browser to download, and restore one from a file, decrypting it first
 * when it is an OpenPGP file. The caller (the rpcd plugin) reboots after a
 * successful restore, as the original did.
 */
import type { Ctx } from "../platform/context";
import { saveStream } from "../platform/files";
import { createArchive, isGzip, readHead, restoreArchive } from "./archive";
import { BackupError } from "./errors";
import { decryptFile, encryptFile } from "./gpg";
import { baseName } from "./ids";
import { readPassphrase } from "./passphrase";
import { DOWNLOAD_DIR, UPLOAD_DIR, WORK_DIR } from "./paths";
import { withWorkspace } from "./workspace";

/** Pure: a fresh, unguessable-enough file name for LuCI's download directory. */
export function localBackupName(now: Date, random: () => number, encrypted: boolean): string {
  const rand = Array.from({ length: 12 }, () => "abcdefghijklmnopqrstuvwxyz0123456789"[Math.floor(random() * 36)]).join("");
  return `backup-${Math.floor(now.getTime() / 1000)}-${rand}.tar.gz${encrypted ? ".gpg" : ""}`;
}

/**
 * Create a backup in DOWNLOAD_DIR. `encrypted`: true → requires the
 * passphrase; false → plain; undefined → encrypted when a passphrase is set
 * (the original's behaviour). Returns the file name (what LuCI downloads).
 */
export async function createLocalBackup(
  ctx: Ctx,
  opts: { encrypted?: boolean } = {},
): Promise<{ backup: string; path: string; encrypted: boolean }> {
  const passphrase = opts.encrypted === false ? undefined : await readPassphrase(ctx);
  if (opts.encrypted === true && !passphrase) {
    throw new BackupError("passphrase_not_set", "create backup: encryption asked for, but no passphrase is set");
  }
  const encrypted = passphrase !== undefined;
  const name = localBackupName(ctx.clock.now(), ctx.clock.random, encrypted);
  const path = `${DOWNLOAD_DIR}/${name}`;
  await ctx.fs.mkdirp(DOWNLOAD_DIR, 0o700);
  await withWorkspace(ctx, WORK_DIR, async (ws) => {
    const archive = `${ws.dir}/backup.tar.gz`;
    await createArchive(ctx, archive, { withPackages: false, signal: ws.signal, track: ws.track });
    await ws.verify();
    let result = archive;
    if (passphrase) {
      result = `${archive}.gpg`;
      await encryptFile(ctx, archive, result, passphrase, { home: `${ws.dir}/gnupg`, signal: ws.signal, track: ws.track });
    }
    await saveStream(ctx.fs.openRead(result), ctx.fs.real(path), 0o600);
  });
  return { backup: name, path, encrypted };
}

/** Pure: the router path of a file LuCI uploaded (a bare name, never a path). */
export function uploadedFile(name: string): string {
  if (name === "" || name !== baseName(name) || name.startsWith(".") || name.includes("\\")) {
    throw new BackupError("invalid_backup_file", "restore: invalid upload name");
  }
  return `${UPLOAD_DIR}/${name}`;
}

/**
 * Restore router path `file`: a plain tar.gz directly, an encrypted one after
 * decrypting it with `passphrase` in a private workspace.
 */
export async function restoreBackupFile(ctx: Ctx, file: string, passphrase?: string): Promise<void> {
  const st = await ctx.fs.stat(file);
  if (!st?.isFile) throw new BackupError("invalid_backup_file", `restore: ${file}: no such file`);
  if (isGzip(await readHead(ctx.fs.openRead(file)))) {
    await restoreArchive(ctx, file);
    return;
  }
  if (!passphrase) throw new BackupError("passphrase_required", "restore: the backup is encrypted: a passphrase is required");
  await withWorkspace(ctx, WORK_DIR, async (ws) => {
    const plain = `${ws.dir}/restore.tar.gz`;
    await decryptFile(ctx, file, plain, passphrase, { home: `${ws.dir}/gnupg`, signal: ws.signal, track: ws.track });
    if (!isGzip(await readHead(ctx.fs.openRead(plain)))) {
      throw new BackupError("invalid_backup_file", "restore: the decrypted file is not a backup archive");
    }
    await restoreArchive(ctx, plain, { signal: ws.signal });
  });
}
