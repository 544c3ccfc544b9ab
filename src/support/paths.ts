/** Where a support session lives (router paths). All of it goes when the session stops. */
export const STATE_DIR = "/var/run/don";
export const FILES = {
  openvpnConf: `${STATE_DIR}/openvpn.conf`,
  openvpnPid: `${STATE_DIR}/openvpn.pid`,
  management: `${STATE_DIR}/management`,
  /** OpenVPN's auth-user-pass file: system_id, then the session id. The only file holding it. */
  credentials: `${STATE_DIR}/credentials`,
  sshdConf: `${STATE_DIR}/sshd.conf`,
  sshdPid: `${STATE_DIR}/sshd.pid`,
  authorizedKeys: `${STATE_DIR}/authorized_keys`,
  /** expiry_time, extended: no secret. */
  session: `${STATE_DIR}/session.json`,
} as const;
/** Held while a start runs (a private directory with the starter's pid). */
export const START_LOCK = "/var/run/don.lock";
export const DON_COMMAND = "/usr/sbin/don";
export const CRON_LINE = "*/10 * * * * /usr/sbin/don expire";
export const CRON_MARKER = "/usr/sbin/don expire";
export const SSH_PORT = 981;
export const SUPPORT_USER = "nethsupport";
export const RPCD_SECTION = "ns_don";
export const DAY_S = 24 * 3600;
