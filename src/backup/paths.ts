/** Router paths used by the backup feature (SPEC §1, §3.5; ns-api-server for LuCI). */
export const WORK_DIR = "/var/backup";
export const DIGEST_FILE = "/etc/backup.md5";
export const PASS_FILE = "/etc/backup.pass";
/** Where LuCI (through ns-api-server) picks up files we create, and drops files it uploads. */
export const DOWNLOAD_DIR = "/var/run/ns-api-server/downloads";
export const UPLOAD_DIR = "/var/run/ns-api-server/uploads";
