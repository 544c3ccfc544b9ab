/**
 * ns.backup's remote operations for a registered unit (LuCI lists, makes,
 * downloads, restores and deletes backups kept by backupd). They call the
 * backupd client in-process instead of running `remote-backup`.
 */
import type { Ctx } from "../platform/context";
import { readNsPlugConfig } from "../config";
import { saveStream } from "../platform/files";
import { BackupError } from "./errors";
import { safeFileName } from "./ids";
import type { RemoteBackup } from "./list";
import { restoreBackupFile } from "./local";
import { DOWNLOAD_DIR, WORK_DIR } from "./paths";
import { deleteRemote, downloadRemote, listRemote } from "./remote";
import { remoteTarget, type RemoteTarget } from "./target";
import { backupAndUpload } from "./upload";
import { withWorkspace } from "./workspace";

export async function loadTarget(ctx: Ctx): Promise<RemoteTarget> {
  const { config } = await readNsPlugConfig(ctx);
  return remoteTarget(config, ctx.env);
}

/** registered-list-backups: newest first, each with `file` (rpcd/backup.ts gives the UI backupd's shape). */
export async function listBackups(ctx: Ctx): Promise<RemoteBackup[]> {
  return listRemote(ctx, await loadTarget(ctx));
}

/**
 * LuCI waits for registered-backup through rpcd (100 s protocol deadline,
 * 120 s kill): the upload gets 45 s and the enterprise proxy copy 30 s, all
 * attempts included. Without them a hanging backupd (120 s of silence per
 * attempt) outlived the deadline and left the workspace behind (fault matrix).
 */
export const RPC_UPLOAD_MS = 45_000;
export const RPC_PROXY_MS = 30_000;

/** registered-backup: make, encrypt and upload now, even when unchanged. */
export async function uploadBackupNow(ctx: Ctx): Promise<{ name: string }> {
  const r = await backupAndUpload(ctx, await loadTarget(ctx), { force: true, retries: 0, uploadMs: RPC_UPLOAD_MS, proxyMs: RPC_PROXY_MS });
  return { name: r.uploaded ? r.name : "" };
}

/** Download remote backup `id` into router path `file` (atomic, mode 0600). */
export async function downloadBackupTo(ctx: Ctx, t: RemoteTarget, id: string, file: string): Promise<number> {
  const res = await downloadRemote(ctx, t, id);
  return saveStream(res.body, ctx.fs.real(file), 0o600);
}

/** registered-download-backup: fetch into LuCI's download directory; returns the local name. */
export async function downloadBackup(ctx: Ctx, id: string): Promise<{ backup: string }> {
  const t = await loadTarget(ctx);
  const rand = Math.floor(ctx.clock.random() * 0xffffffff).toString(16).padStart(8, "0");
  // The id is the server's word: only a sanitised last component becomes a local name.
  const name = `remote-${rand}-${safeFileName(id)}`;
  await ctx.fs.mkdirp(DOWNLOAD_DIR, 0o700);
  await downloadBackupTo(ctx, t, id, `${DOWNLOAD_DIR}/${name}`);
  return { backup: name };
}

/** registered-restore: download `id` to a private workspace and restore it. */
export async function restoreRemoteBackup(ctx: Ctx, id: string, passphrase?: string): Promise<void> {
  const t = await loadTarget(ctx);
  await withWorkspace(ctx, WORK_DIR, async (ws) => {
    const file = `${ws.dir}/download`;
    try {
      await downloadBackupTo(ctx, t, id, file);
    } catch (e) {
      if (e instanceof BackupError) throw e;
      throw new BackupError("remote_failed", `download ${id}: ${e instanceof Error ? e.message : String(e)}`);
    }
    await restoreBackupFile(ctx, file, passphrase);
  });
}

/** registered-delete-backup: the server's JSON answer (`{"result": "success"}`). */
export async function deleteBackup(ctx: Ctx, id: string): Promise<unknown> {
  return deleteRemote(ctx, await loadTarget(ctx), id);
}
