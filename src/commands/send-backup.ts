/**
 * send-backup (nightly cron, SPEC §3.5): when registered, archive the
 * configuration, and when its contents changed since the last upload,
 * encrypt and upload it. Exit 0 (done or nothing to do), 1 (failure),
 * 4 (no passphrase: nothing uploaded).
 */
import type { Ctx } from "../platform/context";
import { program, parse } from "./cli";
import { readNsPlugConfig } from "../config";
import { isRegistered, remoteTarget } from "../backup/target";
import { backupAndUpload } from "../backup/upload";
import { BackupError } from "../backup/errors";

export async function run(ctx: Ctx, args: string[]): Promise<number> {
  const cmd = program(ctx, "send-backup", "Encrypt and upload the configuration backup when its contents changed.")
    .addHelpText(
      "after",
      "\nNeeds a passphrase in /etc/backup.pass (exit 4 without one: nothing is uploaded).\n" +
        "Exit status: 0 uploaded or unchanged or not registered, 1 failure, 4 no passphrase.\n",
    );
  if (!(await parse(cmd, args))) return 0;
  const { config } = await readNsPlugConfig(ctx);
  if (!isRegistered(config)) {
    ctx.log.debug("not registered (no system_id or secret): nothing to do");
    return 0;
  }
  try {
    await backupAndUpload(ctx, remoteTarget(config, ctx.env), { force: false, retries: 2 });
  } catch (e) {
    if (e instanceof BackupError) throw new BackupError(e.reason, `send-backup: ${e.message}`, { exitCode: e.exitCode });
    throw e;
  }
  return 0;
}
