import { NsPlugError } from "../platform/errors";

/**
 * A backup operation that failed. `reason` is the snake_case word the rpcd
 * plugin puts in `{"error": …}`; the message is for the log and the CLI.
 */
export type BackupFailure =
  | "backup_failed"
  | "encryption_failed"
  | "decryption_failed"
  | "restore_failed"
  | "passphrase_not_set"
  | "passphrase_required"
  | "invalid_passphrase"
  | "invalid_backup_file"
  | "invalid_backup_id"
  | "remote_not_configured"
  | "remote_failed";

export class BackupError extends NsPlugError {
  readonly reason: BackupFailure;
  constructor(reason: BackupFailure, message: string, options?: { cause?: unknown; exitCode?: number }) {
    super(options?.exitCode ?? 1, message, options);
    this.name = "BackupError";
    this.reason = reason;
  }
}

/** Exit code of send-backup when there is no passphrase (docs/exit-codes.md). */
export const EXIT_NO_PASSPHRASE = 4;
