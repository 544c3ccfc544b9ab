/**
 * The backup feature's public face, for commands and the ns.backup rpcd
 * plugin. Errors are BackupError (`reason` = the rpcd error word) or
 * RemoteError (transport failures: reason "remote_failed").
 */
export { BackupError, EXIT_NO_PASSPHRASE, type BackupFailure } from "./errors";
export { isPassphraseSet, passphraseProblem, setPassphrase } from "./passphrase";
export { createLocalBackup, restoreBackupFile, uploadedFile } from "./local";
export {
  deleteBackup,
  downloadBackup,
  listBackups,
  loadTarget,
  restoreRemoteBackup,
  uploadBackupNow,
} from "./registered";
export type { RemoteBackup } from "./list";
