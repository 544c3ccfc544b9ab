/**
 * Issue 9 §2, hostile controller answers: the 200 answer of
 * /api/units/register carrying, in one field at a time, values built to
 * inject an OpenVPN directive, a PEM block, an rsyslog action, a UCI option
 * or a shell command. `connect` must either refuse the answer (5 failed
 * attempts → exit 5, nothing written) or write files in which every line is
 * one of ours and every line we always write is there (a renderer that drops
 * `remote-cert-tls server` fails here). No config file gains an option, no
 * shell ever runs a value. IPv6 hosts: a plain or v4-mapped literal is
 * accepted and written as is; brackets or a zone are refused, as
 * src/controller/validate.ts documents ("no brackets, no zone").
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { readFileSync } from "node:fs";
import { runBundle } from "../helpers/bundle";
import { testdir } from "../helpers/testdir";
import { createPki, startController, type Controller, type Pki } from "../servers/controller";
import { canaryClean, clientConfRequired, clientConfShape, HOSTILE, uciShape } from "./lib/hostile";
import { pool } from "./lib/pool";

interface Case {
  name: string;
  /** Changes to the valid `data` (or the whole answer when `answer` is set). */
  data?: Record<string, unknown>;
  answer?: { code: number; message: string };
  expect: 0 | 4 | 5;
}

/** Accepted IPv6 literals must reach client.conf / the rsyslog file exactly as sent. */
const V6_OK = ["fd00::1", "::ffff:192.0.2.1", "2001:db8:0:0:0:0:0:1"];
/** Refused: brackets, a zone, a port glued on, two "::", a line break. */
const V6_BAD = ["[fd00::1]", "fe80::1%eth0", "[fe80::1%eth0]:1194", "fd00::1::2", "fd00::1\nup /bin/sh", "::ffff:999.0.2.1"];

const H = HOSTILE;
const CASES: Case[] = [
  ...["directive injection", "quote", "$(…)", "NUL", "1 MB", "PEM injection", "shell metachars"].map((k) => ({ name: `host: ${k}`, data: { host: H[k] }, expect: 5 as const })),
  { name: "host: space", data: { host: "vpn.example.org 443 tcp" }, expect: 5 },
  { name: "port: directive injection", data: { port: "1194\nup /bin/sh" }, expect: 5 },
  { name: "port: '1194 tcp'", data: { port: "1194 tcp" }, expect: 5 },
  { name: "port: 70000", data: { port: 70000 }, expect: 5 },
  { name: "ca: PEM injection (END, directive, BEGIN)", data: { ca: (d: Record<string, string>) => `${d.ca}\n${H["PEM injection"]}` }, expect: 5 },
  { name: "ca: </ca> and a directive after the block (dropped)", data: { ca: (d: Record<string, string>) => `${d.ca}\n</ca>\nup /bin/sh\n<ca>` }, expect: 0 },
  { name: "cert: directive inside the block", data: { cert: (d: Record<string, string>) => d.cert!.replace(/(-----BEGIN CERTIFICATE-----\n)/, "$1up /bin/sh\n") }, expect: 5 },
  { name: "key: two private keys", data: { key: (d: Record<string, string>) => `${d.key}\n${d.key}` }, expect: 5 },
  { name: "key: unknown PEM label", data: { key: "-----BEGIN OPENVPN STATIC KEY V1-----\nAAAA\n-----END OPENVPN STATIC KEY V1-----" }, expect: 5 },
  { name: "promtail_address: rsyslog action injection", data: { promtail_address: '127.0.0.1" action(type="omprog" binary="/bin/sh")' }, expect: 5 },
  { name: "promtail_port: directive injection", data: { promtail_port: "5151\n*.* |/bin/sh" }, expect: 5 },
  { name: "vpn_address: UCI injection", data: { vpn_address: H["UCI injection"], api_port: "8080" }, expect: 5 },
  { name: "api_port: UCI injection", data: { vpn_address: "172.21.0.1", api_port: "80'\n\toption token 'x" }, expect: 5 },
  ...V6_OK.map((h) => ({ name: `host: IPv6 ${JSON.stringify(h)} accepted`, data: { host: h }, expect: 0 as const })),
  ...V6_BAD.map((h) => ({ name: `host: IPv6 ${JSON.stringify(h)} refused`, data: { host: h }, expect: 5 as const })),
  { name: "promtail_address: IPv6 fd00::5 accepted", data: { promtail_address: "fd00::5" }, expect: 0 },
  { name: "promtail_address: zoned IPv6 refused", data: { promtail_address: "fe80::5%eth0" }, expect: 5 },
  { name: "409 with a hostile message (logged as one clean line)", answer: { code: 409, message: `${H.newline}\n${H["$(…)"]}\u001b[31m` }, expect: 4 },
  { name: "code 500 with a 1 MB message", answer: { code: 500, message: H["1 MB"]! }, expect: 5 },
];

let ctl: Controller;
let pki: Pki;
const outcome = new Map<string, string[]>();
/** Exit code each case's run actually had (the figures count these, not the table). */
const exits = new Map<string, number | null>();

async function validData(unitId: string): Promise<Record<string, string>> {
  const { certPath, keyPath } = await pki.issueClient(unitId);
  return {
    host: "vpn.example.org", port: "1194", ca: readFileSync(pki.caPath, "utf8"), cert: readFileSync(certPath, "utf8"),
    key: readFileSync(keyPath, "utf8"), promtail_address: "127.0.0.1", promtail_port: "5151",
  };
}

test.before(async () => {
  pki = await createPki();
  ctl = await startController({ tls: false, autoApprove: true, pki });
  const answers = new Map<string, { status: number; body: unknown }>();
  // One at a time: easy-rsa's index does not take concurrent issuers.
  for (const [i, c] of CASES.entries()) {
    const base = await validData(`hostile-${i}`);
    const data: Record<string, unknown> = { ...base };
    for (const [k, v] of Object.entries(c.data ?? {})) data[k] = typeof v === "function" ? (v as (d: Record<string, string>) => string)(base) : v;
    answers.set(`hostile-${i}`, c.answer ? { status: 200, body: { ...c.answer, data: "" } } : { status: 200, body: { code: 200, message: "ok", data } });
  }
  ctl.override((req) => answers.get(String((req.json() as { unit_id?: string }).unit_id)));
  // Every case is its own unit on its own root; the refused ones wait ~2 s between 5 attempts: in parallel.
  await pool(CASES.map((c, i) => [c, i] as const), 16, async ([c, i]) => {
    const dir = testdir({
      "/etc/config/ns-plug": { content: `\nconfig main 'config'\n\toption server '${ctl.url}'\n\toption unit_id 'hostile-${i}'\n\toption token '${ctl.token}'\n`, mode: 0o600 },
      "/etc/config/rsyslog": "\nconfig syslog 'syslog'\n\toption ext_port '514'\n",
      "/var/run/ns-plug.booted": "",
      "/proc/sys/kernel/hostname": "fw-hostile.example\n",
    });
    try {
      const r = await runBundle(["connect"], { dir, timeoutMs: 120_000 });
      const bad: string[] = [];
      if (r.code !== c.expect) bad.push(`exit ${r.code}, expected ${c.expect}: ${r.stderr.slice(-600)}`);
      if (/^\s+at |internal error/m.test(r.stderr)) bad.push("stack trace or internal error");
      if (r.stderr.length > 64 * 1024) bad.push(`stderr is ${r.stderr.length} bytes: a value was logged whole`);
      const conf = dir.readIfExists("/usr/share/ns-plug/client.conf");
      if (c.expect !== 0 && conf !== undefined) bad.push("client.conf written from a refused answer");
      if (c.expect === 0 && conf === undefined) bad.push("client.conf missing");
      bad.push(...clientConfShape(conf));
      const sent = answers.get(`hostile-${i}`)!.body as { data: Record<string, unknown> };
      if (c.expect === 0) bad.push(...clientConfRequired(conf, String(sent.data.host), String(sent.data.port)));
      const rs = dir.readIfExists("/var/etc/rsyslog.ns-plug.conf") ?? "";
      if (/omprog|\/bin\/sh|\|/.test(rs)) bad.push("rsyslog file carries an injected action");
      if (c.expect === 0 && !rs.includes(`target="${String(sent.data.promtail_address)}"`)) bad.push(`rsyslog file: no target="${String(sent.data.promtail_address)}"`);
      if (c.expect !== 0 && rs !== "") bad.push("rsyslog file written from a refused answer");
      exits.set(c.name, bad.length ? -1 : r.code);
      bad.push(...uciShape(dir, "ns-plug", { config: ["server", "unit_id", "token", "vpn_address", "api_port"] }));
      bad.push(...uciShape(dir, "rpcd", { controller: ["username", "password", "read", "write"] }));
      bad.push(...uciShape(dir, "rsyslog", { syslog: ["ext_port", "includes"] }));
      bad.push(...canaryClean());
      outcome.set(c.name, bad);
    } finally {
      dir.cleanup();
    }
  });
});

test.after(() => ctl?.close());

for (const c of CASES) {
  test(`controller answer, ${c.name} → exit ${c.expect}, no foreign line anywhere`, () => {
    assert.equal(outcome.get(c.name), []);
  });
}

test("figures: outcomes observed (exit codes of runs with no problem found)", () => {
  const count = (code: number) => [...exits.values()].filter((x) => x === code).length;
  const refused = count(5);
  const accepted = count(0);
  const duplicate = count(4);
  const problems = [...exits.values()].filter((x) => x === -1).length;
  const ran = exits.size;
  console.log(
    `\nFIGURE hostile corpus: controller answers: ${ran} runs: ${refused} refused (exit 5, nothing written), ` +
      `${accepted} accepted (every required line, no foreign one), ${duplicate} duplicate (exit 4), ${problems} with problems`,
  );
  const want = (e: number) => CASES.filter((c) => c.expect === e).length;
  assert.equal({ ran, refused, accepted, duplicate, problems }, { ran: CASES.length, refused: want(5), accepted: want(0), duplicate: want(4), problems: 0 });
});

test.run();
