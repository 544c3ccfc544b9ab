/** A unit root for `don`: its config pointing at a support lab, the support CA and key, stand-ins. */
import { readFileSync, symlinkSync } from "node:fs";
import { BUNDLE } from "../helpers/bundle";
import { testdir, type TestDir } from "../helpers/testdir";
import type { SupportLab } from "../servers/support-lab";

export interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Two web sessions: support's (destroyed by stop) and the admin's (kept). */
const SESSIONS = `{
	"ubus_rpc_session": "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	"timeout": 300,
	"expires": 280,
	"acls": { "ubus": { "*": [ "*" ] } },
	"data": { "username": "nethsupport" }
}
{
	"ubus_rpc_session": "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
	"timeout": 300,
	"expires": 120,
	"acls": { },
	"data": { "username": "root" }
}`;

export function donRoot(
  lab: SupportLab,
  opts: { systemId?: string; ca?: string; server?: string; connectTimeout?: number } = {},
): TestDir {
  const extra = opts.connectTimeout ? `\toption connect_timeout '${opts.connectTimeout}'\n` : "";
  const dir = testdir({
    "/etc/config/don": `\nconfig main 'config'\n\toption server '${opts.server ?? lab.serverIp}'\n\toption ca '/etc/don/ca.pem'\n\toption ssh_key '/etc/don/support.pub'\n\toption system_id ''\n${extra}`,
    "/etc/config/ns-plug": `\nconfig main 'config'\n\toption system_id '${opts.systemId ?? lab.systemId}'\n`,
    "/etc/don/ca.pem": opts.ca ?? readFileSync(lab.pki.caPath, "utf8"),
    "/etc/don/support.pub": readFileSync(lab.supportPub, "utf8"),
    "/etc/config/rpcd": "\nconfig rpcd\n\toption socket '/var/run/ubus/ubus.sock'\n\toption timeout '30'\n",
    "/etc/crontabs/root": "0 2 * * * /usr/sbin/send-backup\n",
  });
  // OpenVPN's `down` runs <root>/usr/sbin/don stop: the installed name of the bundle.
  symlinkSync(BUNDLE, dir.path("/usr/sbin/don"));
  dir.standin("ubus", `[ "$1 $2 $3" = "call session list" ] && cat <<'EOF'\n${SESSIONS}\nEOF\nexit 0`);
  return dir;
}
