/**
 * Make an archive, encrypt it, upload it, remember its content digest:
 * shared by the nightly send-backup and LuCI's "backup now" (ns.backup
 * registered-backup). The plaintext archive lives only in the workspace and
 * is deleted as soon as the encrypted copy exists.
 */
import type { Ctx } from "../platform/context";
import { errorMessage } from "../platform/errors";
import { ACME_HEADER_ENTRY, withoutAcmeHeader } from "./acme";
import { createArchive } from "./archive";
import { digestTarGz } from "./digest";
import { BackupError, EXIT_NO_PASSPHRASE } from "./errors";
import { encryptFile } from "./gpg";
import { readPassphrase } from "./passphrase";
import { DIGEST_FILE, PASS_FILE, WORK_DIR } from "./paths";
import { proxyUpload, uploadRemote } from "./remote";
import type { RemoteTarget } from "./target";
import { withWorkspace } from "./workspace";

export type UploadOutcome = { uploaded: true; name: string } | { uploaded: false; reason: "unchanged" };

export const NO_PASSPHRASE_MESSAGE =
  `no backup passphrase (${PASS_FILE} is missing or empty): refusing to upload an unencrypted backup; ` +
  "set one in the web UI (Backup & restore) first";

export async function archiveDigest(ctx: Ctx, file: string): Promise<string> {
  try {
    return await digestTarGz(ctx.fs.openRead(file), [ACME_HEADER_ENTRY]);
  } catch (e) {
    throw new BackupError("backup_failed", `read backup archive: ${errorMessage(e)}`);
  }
}

/**
 * `force`: upload even when the content digest equals /etc/backup.md5.
 * Throws BackupError("passphrase_not_set", exit 4) before anything is made
 * when there is no passphrase: no plaintext archive is ever created for nothing.
 */
export async function backupAndUpload(
  ctx: Ctx,
  target: RemoteTarget,
  opts: {
    force: boolean;
    retries: number;
    /** Limits for the upload and the enterprise proxy copy, all attempts included (rpcd: it kills a plugin at 120 s). */
    uploadMs?: number;
    proxyMs?: number;
  },
): Promise<UploadOutcome> {
  const passphrase = await readPassphrase(ctx);
  if (!passphrase) throw new BackupError("passphrase_not_set", NO_PASSPHRASE_MESSAGE, { exitCode: EXIT_NO_PASSPHRASE });
  return withWorkspace(ctx, WORK_DIR, async (ws) => {
    const name = `backup-${Math.floor(ctx.clock.now().getTime() / 1000)}.tar.gz`;
    const archive = `${ws.dir}/${name}`;
    await withoutAcmeHeader(ctx, () => createArchive(ctx, archive, { withPackages: true, signal: ws.signal, track: ws.track }));
    await ws.verify();
    const digest = await archiveDigest(ctx, archive);
    const last = (await ctx.fs.readIfExists(DIGEST_FILE))?.trim();
    if (!opts.force && last === digest) {
      ctx.log.info("configuration unchanged since the last uploaded backup: nothing to send");
      return { uploaded: false, reason: "unchanged" };
    }
    const encrypted = `${archive}.gpg`;
    await encryptFile(ctx, archive, encrypted, passphrase, { home: `${ws.dir}/gnupg`, signal: ws.signal, track: ws.track });
    await ctx.fs.remove(archive);
    await uploadRemote(ctx, target, ctx.path(encrypted), `${name}.gpg`, { retries: opts.retries, overallMs: opts.uploadMs });
    // Only now: a failed upload leaves the old digest, so the next run tries again.
    await ctx.fs.writeAtomic(DIGEST_FILE, `${digest}\n`, { defaultMode: 0o600 });
    ctx.log.info(`backup ${name}.gpg uploaded`);
    await proxyUpload(ctx, target, ctx.path(encrypted), `${name}.gpg`, { overallMs: opts.proxyMs });
    return { uploaded: true, name: `${name}.gpg` };
  });
}
