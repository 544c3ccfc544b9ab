/**
 * /usr/share/ns-plug/client.conf, exactly as SPEC §4 lays it out. Every
 * interpolated value was validated (validate.ts); the asserts here are a
 * second fence: a value with a line break can never add a directive.
 */
import type { ControllerData } from "./validate";

export interface ClientConfOptions {
  tunMtu?: number;
  mssfix?: number;
  /** OpenVPN hook scripts; router paths (the test root maps them, see docs/controller.md). */
  routeUp?: string;
  down?: string;
}

function oneWord(v: string, what: string): string {
  if (!/^[^\s"'\\<>#;]+$/.test(v)) throw new Error(`internal: ${what} is not a single safe word`);
  return v;
}

function pemBody(v: string, what: string): string {
  if (v.split("\n").some((l) => !/^(-----(BEGIN|END) [A-Z0-9 ]+-----|[A-Za-z0-9+/=]+)$/.test(l))) {
    throw new Error(`internal: ${what} is not plain PEM`);
  }
  return v;
}

/** Pure: the client.conf text. */
export function renderClientConf(d: ControllerData, o: ClientConfOptions = {}): string {
  const lines = [
    "client",
    "server-poll-timeout 5",
    "nobind",
    "float",
    "explicit-exit-notify 1",
    `remote ${oneWord(d.host, "host")} ${oneWord(String(d.port), "port")} udp`,
    "connect-retry-max 5",
    "dev tun-nsplug",
    "tls-client",
    "remote-cert-tls server",
    "script-security 2",
    `route-up ${oneWord(o.routeUp ?? "/usr/sbin/ns-controller-push-info", "route-up")}`,
    `down ${oneWord(o.down ?? "/usr/sbin/ns-controller-telegraf-down", "down")}`,
    "<ca>",
    pemBody(d.ca, "ca"),
    "</ca>",
    "<cert>",
    pemBody(d.cert, "cert"),
    "</cert>",
    "<key>",
    pemBody(d.key, "key"),
    "</key>",
    "auth-nocache",
    "verb 3",
  ];
  // Both or neither (SPEC §4); config.ts guarantees they are whole numbers.
  if (o.tunMtu !== undefined && o.mssfix !== undefined) {
    lines.push(`tun-mtu ${Math.trunc(o.tunMtu)}`, `mssfix ${Math.trunc(o.mssfix)}`);
  } else lines.push("mtu-test");
  return lines.join("\n") + "\n";
}
