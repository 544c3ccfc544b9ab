/**
 * ns.backup: local and remote backups for LuCI (SPEC §7). The work is the
 * backup feature's (src/backup); this maps rpcd arguments to it and its
 * failures to LuCI's answers. A restore reboots, as the original did.
 */
import type { Ctx } from "../platform/context";
import { ConfigError, NsPlugError } from "../platform/errors";
import * as z from "zod/mini";
import {
  BackupError, type BackupFailure, createLocalBackup, deleteBackup, downloadBackup, isPassphraseSet, listBackups, restoreBackupFile,
  restoreRemoteBackup, setPassphrase, uploadBackupNow, uploadedFile, type RemoteBackup,
} from "../backup/index";
import { invalid, RpcdFailure, systemReason, type Answer } from "./answer";
import { looseBool, looseText } from "./loose";
import { method, type PluginMethods } from "./method";

const SUCCESS: Answer = { message: "success" };

/**
 * How a BackupError reaches the web UI. The UI translates only two messages,
 * as validation errors on `passphrase` (`decryption_failed`,
 * `restore_failed`); remote failures carry the original plugin's reasons.
 */
type Mapping = (reason: BackupFailure) => Answer;
const REMOTE: ReadonlySet<string> = new Set(["remote_failed", "remote_not_configured", "invalid_backup_id"]);
const plain: Mapping = (reason) => (reason === "invalid_passphrase" ? invalid("passphrase", reason) : { error: reason });
/** A restore: what stops decryption (wrong or missing passphrase) or the restore itself, on the passphrase field. */
const restoring: Mapping = (reason) =>
  ["decryption_failed", "passphrase_required", "invalid_passphrase"].includes(reason)
    ? invalid("passphrase", "decryption_failed")
    : invalid("passphrase", "restore_failed");
/** A backupd operation: its failures under the original's word, the rest as `plain`. */
const remote = (word: string, rest: Mapping = plain): Mapping => (reason) => (REMOTE.has(reason) ? { error: word } : rest(reason));

/** Run a backup operation; its failures become answers. `other`: the word for a failure without one. */
async function guard(ctx: Ctx, other: string, fn: () => Promise<Answer>, map: Mapping = plain): Promise<Answer> {
  try {
    return await fn();
  } catch (e) {
    if (!(e instanceof NsPlugError)) throw e; // a bug: protocol.ts answers internal_error
    ctx.log.error(e.message);
    const sys = systemReason(e); // a full or read-only disk under a backup error: say which
    if (sys) return { error: sys };
    if (e instanceof BackupError) return map(e.reason);
    if (e instanceof ConfigError) return { error: "invalid_config" };
    return { error: other };
  }
}

/** After a restore the running services must pick the old configuration up: the original rebooted. */
async function reboot(ctx: Ctx): Promise<void> {
  try {
    const r = await ctx.exec("reboot", [], { timeoutMs: 30_000 });
    if (r.code !== 0) ctx.log.error(`reboot exited ${r.code}: ${r.stderr.trim()}`);
  } catch (e) {
    ctx.log.error(`reboot: ${e instanceof Error ? e.message : String(e)}`);
  }
}

const passphrase = z.optional(looseText({ controls: true, max: 1024 }));
const text = (max = 255) => looseText({ required: true, max });

const backup = method({
  args: z.object({ encrypted: z.optional(looseBool()) }),
  run: (ctx, a) => guard(ctx, "backup_failed", async () => ({ backup: (await createLocalBackup(ctx, { encrypted: a.encrypted })).backup })),
});

const restore = method({
  args: z.object({ backup: text(), passphrase }),
  secrets: ["passphrase"],
  run: (ctx, a) =>
    guard(ctx, "restore_failed", async () => {
      await restoreBackupFile(ctx, uploadedFile(a.backup), a.passphrase || undefined);
      await reboot(ctx);
      return SUCCESS;
    }, restoring),
});

const setPassphraseMethod = method({
  args: z.object({ passphrase: looseText({ controls: true, max: 1024, pattern: [/^[^\n\r]*$/, "invalid_characters"] }) }),
  secrets: ["passphrase"],
  run: (ctx, a) =>
    guard(ctx, "passphrase_write_failed", async () => {
      try {
        await setPassphrase(ctx, a.passphrase);
      } catch (e) {
        if (e instanceof NsPlugError) throw e;
        throw new RpcdFailure("passphrase_write_failed", e instanceof Error ? e.message : String(e));
      }
      return SUCCESS;
    }),
});

const registeredRestore = method({
  args: z.object({ file: text(), passphrase }),
  secrets: ["passphrase"],
  run: (ctx, a) =>
    guard(ctx, "restore_failed", async () => {
      await restoreRemoteBackup(ctx, a.file, a.passphrase || undefined);
      await reboot(ctx);
      return SUCCESS;
    }, remote("remote_backup_download_failed", restoring)),
});

/** The server's delete answer is passed on when it is an object (`{"result": "success"}`). */
function asAnswer(v: unknown): Answer {
  return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Answer) : { result: "success" };
}

/**
 * backupd's list as the UI reads it: `values.backups`, items `{id, name,
 * created, size, mimetype}` (backupd v2's own shape; an old server's `file`
 * becomes `id`), newest first.
 */
function listAnswer(items: RemoteBackup[]): Answer {
  return { values: { backups: items.map(({ file, ...item }) => ({ ...item, id: item.id ?? file })) } };
}

export const methods: PluginMethods<"ns.backup"> = {
  backup,
  restore,
  "set-passphrase": setPassphraseMethod,
  "is-passphrase-set": method({ run: async (ctx) => ({ values: { set: await isPassphraseSet(ctx) } }) }),
  "registered-list-backups": method({
    run: (ctx) => guard(ctx, "remote_list_failed", async () => listAnswer(await listBackups(ctx)), remote("remote_list_failed")),
  }),
  "registered-backup": method({
    run: (ctx) => guard(ctx, "remote_upload_failed", async () => (await uploadBackupNow(ctx), SUCCESS), remote("remote_upload_failed")),
  }),
  "registered-restore": registeredRestore,
  "registered-download-backup": method({
    args: z.object({ file: text() }),
    run: (ctx, a) =>
      guard(ctx, "remote_backup_download_failed", async () => downloadBackup(ctx, a.file), remote("remote_backup_download_failed")),
  }),
  "registered-delete-backup": method({
    args: z.object({ id: text() }),
    run: (ctx, a) =>
      guard(ctx, "remote_backup_delete_failed", async () => asAnswer(await deleteBackup(ctx, a.id)), remote("remote_backup_delete_failed")),
  }),
};
