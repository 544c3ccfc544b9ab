/**
 * The lines the original package's 20_ns-plug and ns-plug leave in root's
 * crontab (NethServer/nethsecurity packages/ns-plug), which our schedule
 * migration rewrites once. Shared by the migration's unit and e2e tests.
 */
export const ORIGINAL_CRON_LINES = [
  "02 2 * * * sleep $(( RANDOM % 1800 )); /usr/sbin/send-backup",
  "02 3 * * * sleep $(( RANDOM % 1800 )); /usr/libexec/backup-encryption-alert",
  "*/10 * * * * sleep $(( RANDOM % 60 )); /usr/sbin/send-heartbeat",
  "05 3 * * * sleep $(( RANDOM % 1800 )); /usr/sbin/send-inventory",
  "*/15 * * * * sleep $(( RANDOM % 60 )); /usr/bin/ns-push-reports",
];
