/** Router paths and fixed lines the controller feature writes (rpcd `unregister` removes them again). */
export const CLIENT_CONF = "/usr/share/ns-plug/client.conf";
export const RSYSLOG_FILE = "/var/etc/rsyslog.ns-plug.conf";
export const RSYSLOG_SPOOL = "/var/spool/rsyslog";
export const PUSH_INFO = "/usr/sbin/ns-controller-push-info";
export const TELEGRAF_DOWN = "/usr/sbin/ns-controller-telegraf-down";
export const TELEGRAF_CONTROLLER_CONF = "/etc/telegraf.conf.d/controller-prometheus.conf";
/**
 * Every crontab line containing this is the reports job (the original's /usr/bin line, an earlier
 * release's /usr/sbin one, ours at the unit's offset: src/schedule/jobs.ts).
 */
export const REPORTS_CRON_MARKER = "ns-push-reports";
