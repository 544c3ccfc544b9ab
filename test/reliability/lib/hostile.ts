/**
 * The hostile-value catalog of issue 9 §2 and the checks every case shares:
 * a canary file that only a shell running `$(…)` or backticks would create,
 * UCI files that may hold only the options the test expects, and client.conf
 * lines that must all belong to the OpenVPN grammar we write.
 */
import { existsSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseUci } from "../../../src/platform/uci/codec";
import type { TestDir } from "../../helpers/testdir";

/** Created only if some value reached a shell. Never inside a test root: a real escape. */
export const CANARY = join(tmpdir(), `nsplug-pwned-${process.pid}`);

export const HOSTILE: Record<string, string> = {
  newline: "a\nb",
  crlf: "a\r\nb",
  quote: "it's",
  dquote: 'say "hi" \\ back',
  "escaped quote": "x'\\''y",
  "$(…)": `$(touch ${CANARY})`,
  backticks: `\`touch ${CANARY}\``,
  NUL: "a\u0000b",
  "1 MB": "x".repeat(1 << 20),
  unicode: "ünïcødé ☃ 𝄞 \u202eRTL",
  "PEM injection": "-----END CERTIFICATE-----\nup /bin/sh\n-----BEGIN CERTIFICATE-----",
  "directive injection": "x\nup /bin/sh",
  "UCI injection": "x'\n\toption secret 'pwned",
  "path traversal": "../../etc/shadow",
  "shell metachars": "a; rm -rf / | cat && `id` > /tmp/x",
};

export function canaryClean(): string[] {
  if (!existsSync(CANARY)) return [];
  rmSync(CANARY, { force: true });
  return [`${CANARY} exists: a value reached a shell`];
}

/** Options of every section of /etc/config/<pkg>, or a problem if it does not parse. */
export function uciOptions(dir: TestDir, pkg: string): Map<string, Record<string, string | string[]>> | string {
  const text = dir.readIfExists(`/etc/config/${pkg}`);
  if (text === undefined) return new Map();
  try {
    return new Map(parseUci(text, pkg).map((s) => [s.name, Object.fromEntries(s.options)]));
  } catch (e) {
    return `/etc/config/${pkg} does not parse: ${(e as Error).message}`;
  }
}

/** No config file gained a section or an option outside `allowed` (section → option names). */
export function uciShape(dir: TestDir, pkg: string, allowed: Record<string, string[]>): string[] {
  const got = uciOptions(dir, pkg);
  if (typeof got === "string") return [got];
  const bad: string[] = [];
  for (const [sec, opts] of got) {
    if (!allowed[sec]) bad.push(`/etc/config/${pkg}: unexpected section ${sec}`);
    else for (const k of Object.keys(opts)) if (!allowed[sec]!.includes(k)) bad.push(`/etc/config/${pkg}: unexpected option ${sec}.${k}`);
  }
  return bad;
}

const CLIENT_CONF_LINE = new RegExp(
  "^(" +
    [
      "client", "server-poll-timeout \\d+", "nobind", "float", "explicit-exit-notify 1",
      "remote [A-Za-z0-9.:-]+ \\d{1,5} udp", "connect-retry-max \\d+", "dev tun-nsplug", "tls-client",
      "remote-cert-tls server", "script-security 2", "route-up \\S+/usr/sbin/ns-controller-push-info",
      "down \\S+/usr/sbin/ns-controller-telegraf-down", "</?(ca|cert|key)>", "-----(BEGIN|END) [A-Z ]+-----",
      "[A-Za-z0-9+/]+={0,2}", "auth-nocache", "verb 3", "tun-mtu \\d+", "mssfix \\d+", "mtu-test",
    ].join("|") +
    ")$",
);

/** Every line of client.conf is one we write (no value from the network added a directive). */
export function clientConfShape(text: string | undefined): string[] {
  if (text === undefined) return [];
  return text
    .split("\n")
    .filter((l) => l !== "" && !CLIENT_CONF_LINE.test(l))
    .map((l) => `client.conf: foreign line ${JSON.stringify(l.slice(0, 80))}`);
}

/** The lines every client.conf we write must hold exactly once (SPEC §4), whatever the answer was. */
export const CLIENT_CONF_REQUIRED = [
  "client", "server-poll-timeout 5", "nobind", "float", "explicit-exit-notify 1", "connect-retry-max 5",
  "dev tun-nsplug", "tls-client", "remote-cert-tls server", "script-security 2",
  "<ca>", "</ca>", "<cert>", "</cert>", "<key>", "</key>", "auth-nocache", "verb 3",
];

/**
 * What an accepted answer must have produced: every required line once, one
 * `remote` line naming exactly the host and port the controller sent, the
 * route-up/down hooks, and a certificate and a key inside their blocks.
 */
export function clientConfRequired(text: string | undefined, host: string, port: string): string[] {
  if (text === undefined) return ["client.conf missing"];
  const lines = text.split("\n");
  const bad: string[] = [];
  for (const want of CLIENT_CONF_REQUIRED) {
    const n = lines.filter((l) => l === want).length;
    if (n !== 1) bad.push(`client.conf: ${JSON.stringify(want)} appears ${n} times, not once`);
  }
  const remotes = lines.filter((l) => l.startsWith("remote "));
  if (remotes.length !== 1 || remotes[0] !== `remote ${host} ${port} udp`) {
    bad.push(`client.conf: remote lines ${JSON.stringify(remotes)}, expected ["remote ${host} ${port} udp"]`);
  }
  if (!lines.some((l) => l.startsWith("route-up "))) bad.push("client.conf: no route-up line");
  if (!lines.some((l) => l.startsWith("down "))) bad.push("client.conf: no down line");
  const block = (tag: string) => text.slice(text.indexOf(`<${tag}>`), text.indexOf(`</${tag}>`));
  if (!/-----BEGIN CERTIFICATE-----\n[\s\S]+-----END CERTIFICATE-----/.test(block("ca"))) bad.push("client.conf: <ca> holds no certificate");
  if (!/-----BEGIN CERTIFICATE-----\n[\s\S]+-----END CERTIFICATE-----/.test(block("cert"))) bad.push("client.conf: <cert> holds no certificate");
  if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----\n[\s\S]+-----END [A-Z ]*PRIVATE KEY-----/.test(block("key"))) bad.push("client.conf: <key> holds no private key");
  return bad;
}
