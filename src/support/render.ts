/**
 * The support session's OpenVPN client and sshd configs (pure). Every value
 * comes from a parsed config or from us; each is checked again here so no
 * value can add a line or an option to either file.
 */
export interface OpenvpnParams {
  server: string;
  /** Real paths on this machine. */
  ca: string;
  credentials: string;
  management: string;
  pidFile: string;
  /** The CA's subject CN: the server certificate must carry the same CN. */
  cn: string;
  /** The command OpenVPN runs when the tunnel goes down (`don stop`). */
  downCommand: string;
  /**
   * Environment of that command. OpenVPN gives scripts only its own
   * variables: without PATH `don stop` would not find ubus, and under a
   * root other than / (NS_PLUG_ROOT) it would clean the wrong tree.
   */
  scriptEnv: Record<string, string>;
}

const SAFE_PATH = /^\/[A-Za-z0-9._\/+-]*$/;
const SAFE_HOST = /^[A-Za-z0-9.:-]{1,253}$/;
/** A CN OpenVPN can take in double quotes: printable, no quote, no backslash. */
const SAFE_CN = /^[\x20-\x7e]{1,256}$/;

export function isUsableCn(cn: string): boolean {
  return SAFE_CN.test(cn) && !/["\\]/.test(cn) && cn.trim() === cn;
}

function path(p: string): string {
  if (!SAFE_PATH.test(p)) throw new Error(`internal: path not usable in a daemon config: ${p}`);
  return p;
}

function envName(k: string): string {
  if (!/^[A-Z_][A-Z0-9_]*$/.test(k)) throw new Error(`internal: bad variable name ${k}`);
  return k;
}

function envValue(v: string): string {
  if (!/^[A-Za-z0-9._\/:+-]+$/.test(v)) throw new Error("internal: variable value not usable in a daemon config");
  return v;
}

export function renderOpenvpnConf(p: OpenvpnParams): string {
  if (!SAFE_HOST.test(p.server)) throw new Error(`internal: bad server ${p.server}`);
  if (!isUsableCn(p.cn)) throw new Error("internal: CA common name not usable");
  const lines = [
    "# Remote support session (don start). Removed by don stop.",
    "client",
    "dev tunDON",
    "dev-type tun",
    "nobind",
    "float",
    "persist-tun",
    "persist-key",
    // connect-timeout is the same option: the original's pair meant 10 s per try.
    "server-poll-timeout 10",
    // UDP first; a site that blocks it still gets through on TCP 443.
    "<connection>",
    `remote ${p.server} 1194 udp`,
    "explicit-exit-notify 1",
    "</connection>",
    "<connection>",
    `remote ${p.server} 443 tcp`,
    "</connection>",
    "tls-client",
    `ca ${path(p.ca)}`,
    // The support server's certificate must carry the support CA's own CN:
    // any other certificate from the same CA (a unit's) is refused.
    `verify-x509-name "${p.cn}" name`,
    `auth-user-pass ${path(p.credentials)}`,
    "auth-nocache",
    // What the support server speaks (the original client's setting).
    "compress lz4",
    `management ${path(p.management)} unix`,
    `writepid ${path(p.pidFile)}`,
    "daemon don-openvpn",
    // A week without traffic ends the session even if nobody stops it.
    "inactive 604800",
    "script-security 2",
    ...Object.entries(p.scriptEnv).map(([k, v]) => `setenv ${envName(k)} ${envValue(v)}`),
    `down "${path(p.downCommand)} stop"`,
    "verb 3",
    "",
  ];
  // OpenVPN refuses a line over 256 characters, and says so only in syslog.
  if (lines.some((l) => l.length > 255)) throw new Error("internal: an OpenVPN config line is over 255 characters (paths too long)");
  return lines.join("\n");
}

export interface SshdParams {
  address: string;
  port: number;
  hostKeys: string[];
  authorizedKeys: string;
  pidFile: string;
}

export function renderSshdConf(p: SshdParams): string {
  if (!/^[0-9.]{7,15}$/.test(p.address)) throw new Error(`internal: bad tunnel address ${p.address}`);
  return [
    "# Remote support session (don start): only through the tunnel, only the support key.",
    `ListenAddress ${p.address}:${p.port}`,
    ...p.hostKeys.map((k) => `HostKey ${path(k)}`),
    `PidFile ${path(p.pidFile)}`,
    `AuthorizedKeysFile ${path(p.authorizedKeys)}`,
    "AuthorizedPrincipalsFile none",
    "AllowUsers root",
    "PermitRootLogin prohibit-password",
    "PubkeyAuthentication yes",
    "AuthenticationMethods publickey",
    "PasswordAuthentication no",
    "KbdInteractiveAuthentication no",
    "PermitEmptyPasswords no",
    "HostbasedAuthentication no",
    // The state directory sits under the world-writable /var (/tmp): sshd's
    // path walk would refuse it; don checks the directory itself (0700, ours).
    "StrictModes no",
    "MaxAuthTries 2",
    "LoginGraceTime 2m",
    "MaxStartups 10:30:60",
    "AllowAgentForwarding no",
    "X11Forwarding no",
    "PermitUserEnvironment no",
    "ClientAliveInterval 60",
    "ClientAliveCountMax 3",
    "",
  ].join("\n");
}

/** Pure: the tunnel address from OpenVPN's management `state` answer (the CONNECTED line's 4th field). */
export function tunnelAddress(stateAnswer: string): string | undefined {
  for (const line of stateAnswer.split(/\r?\n/)) {
    const f = line.split(",");
    if (f[1] === "CONNECTED" && f[2] === "SUCCESS" && /^[0-9]{1,3}(\.[0-9]{1,3}){3}$/.test(f[3] ?? "")) return f[3];
  }
  return undefined;
}

/** Pure: the support public key file → authorized_keys lines (keys only, no options). */
export function authorizedKeys(text: string): string | undefined {
  const keys = text
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => /^(ssh-(rsa|ed25519|dss)|ecdsa-sha2-nistp(256|384|521)|sk-(ssh-ed25519|ecdsa-sha2-nistp256)@openssh\.com) [A-Za-z0-9+/=]+( [^\n]*)?$/.test(l));
  return keys.length ? `${keys.join("\n")}\n` : undefined;
}
