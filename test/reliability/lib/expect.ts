/**
 * What each fault-matrix cell must show (docs/exit-codes.md, docs/reliability.md).
 *
 * A remote that answers 2xx has accepted the request: commands that do not
 * need the answer's body (heartbeat, inventory, freekey, upload) succeed on
 * `garbage200`, `wrongshape200` and, for answers read only to be discarded,
 * `cutbody`/`slowbody`. Everything else fails with the documented code and
 * one line naming the remote and the fault. Nothing else changes on disk
 * than what the command documents, and no temp file is left.
 */
import type { Fault } from "../../servers/chaos";
import { SYSTEM_ID, type Cell, type Observed } from "./matrix";
import { PACKAGE_DIFF_ALLOWED, unregisteredOptions } from "./documented";

/** Words the error line must contain for each fault. */
export const FAULT_WORDS: Record<Fault, RegExp> = {
  refused: /connection refused/,
  hang: /timed out/,
  http500: /HTTP 500|code 500/,
  html502: /HTTP 502|code 502/,
  garbage200: /not (valid )?JSON/,
  wrongshape200: /expected|unexpected shape|has no code/,
  tlsmismatch: /TLS certificate verification failed/,
  redirectloop: /too many redirects/,
  cutbody: /connection closed by the server|answer cut short/,
  slowbody: /answer too slow|timed out/,
};

const ACCEPTED_2XX: Fault[] = ["garbage200", "wrongshape200"];
const BODY_DISCARDED: Fault[] = ["garbage200", "wrongshape200", "cutbody", "slowbody"];

/** rpcd's exec timeout (rpcd -t, default 120 s): a plugin still running then is killed, LuCI gets nothing. */
export const RPCD_TIMEOUT_MS = 120_000;

/** An rpcd cell's answer: an `error` word, or a check of the success object. */
export function expectedAnswer(cell: Cell): { error: string } | { ok: (a: Record<string, unknown>) => boolean } {
  const method = cell.command.split(" ")[1]!;
  switch (method) {
    case "register":
      return { error: "invalid_secret_or_server_not_found" };
    case "info":
      // The portal can't be asked: the saved id, inactive, unknown plan (as the original did).
      return { ok: (a) => a.systemd_id === SYSTEM_ID && a.active === false && a.plan === "-" && a.expiration === 0 };
    case "send-inventory":
      return { ok: (a) => a.status === "success" };
    case "unregister":
      return { ok: (a) => a.result === "success" };
    case "registered-backup":
      return ACCEPTED_2XX.includes(cell.fault) ? { ok: (a) => a.message === "success" } : { error: "remote_upload_failed" };
    case "registered-download-backup":
      return ACCEPTED_2XX.includes(cell.fault) ? { ok: (a) => typeof a.backup === "string" } : { error: "remote_backup_download_failed" };
    case "registered-delete-backup":
      return cell.fault === "wrongshape200" ? { ok: () => true } : { error: "remote_backup_delete_failed" };
    default:
      return { error: "remote_list_failed" }; // registered-list-backups (the original plugin's reasons, SPEC §7)
  }
}

/** The exit code the cell must end with. rpcd cells: 0 whenever an answer is printed, errors included (SPEC §7). */
export function expectedCode(cell: Cell): number {
  if (cell.rpc) return 0;
  const cmd = cell.command.split(" ")[0]!;
  const sub = cell.command.split(" ")[1];
  switch (cell.remote) {
    case "controller":
      if (cmd === "ns-plug") return 5; // connect: 5 failed attempts in a row, whatever the fault
      return BODY_DISCARDED.includes(cell.fault) ? 0 : 1; // push-info, push-reports: a 2xx is taken
    case "portal":
      if (cmd === "unregister") return 0; // freekey failing is logged, not fatal (SPEC §3.3)
      if (cmd === "send-heartbeat" || cmd === "send-inventory") return BODY_DISCARDED.includes(cell.fault) ? 0 : 1;
      return 1; // register, subscription-info need the answer
    case "backupd":
      if (cmd === "send-backup") return ACCEPTED_2XX.includes(cell.fault) ? 0 : 1;
      if (sub === "download" || sub === "upload") return ACCEPTED_2XX.includes(cell.fault) ? 0 : 1;
      if (sub === "delete") return cell.fault === "wrongshape200" ? 0 : 1; // any JSON answer is printed
      return 1; // list
  }
}

/** Did the remote fail, from the command's point of view (an error or warning line is due)? */
export function remoteFailed(cell: Cell): boolean {
  const method = cell.command.split(" ")[1];
  if (cell.rpc && method === "info") return true; // even a 2xx answer without the info's shape
  if (cell.rpc && (method === "send-inventory" || method === "unregister")) return !BODY_DISCARDED.includes(cell.fault);
  if (cell.remote === "portal" && cell.command.startsWith("unregister")) return !BODY_DISCARDED.includes(cell.fault);
  return expectedCode(cell) !== 0;
}

/** Every problem with an observed run; empty = the cell passes. */
export function check(o: Observed): string[] {
  if (o.cell.rpc) return checkRpc(o);
  const { cell } = o;
  const cmd = cell.command.split(" ")[0]!;
  const bad: string[] = [];
  const code = expectedCode(cell);
  if (o.code !== code) bad.push(`exit ${o.code ?? o.signal}, expected ${code}`);
  if (/^\s+at /m.test(o.stderr) || /internal error|fatal|Error:|\bTypeError\b/.test(o.stderr)) bad.push("stack trace or internal error on stderr");
  const lines = o.stderr.split("\n").filter((l) => l.trim() !== "");
  const remote = new RegExp(`\\b${cell.remote}\\b`);
  const words = FAULT_WORDS[cell.fault];
  // The OpenVPN hook and the cron job log each failure (a warning per report) and exit 1.
  const logsOnly = ["ns-controller-push-info", "ns-push-reports"].includes(cmd);
  if (code !== 0 && logsOnly) {
    if (!lines.some((l) => /warning: /.test(l) && remote.test(l) && words.test(l))) bad.push(`no warning line naming the ${cell.remote} and the fault: ${o.stderr.slice(-800)}`);
  } else if (code !== 0) {
    const last = lines[lines.length - 1] ?? "";
    if (!last.startsWith("ns-plug: ")) bad.push(`last stderr line is not 'ns-plug: …': ${JSON.stringify(last)}`);
    if (!remote.test(last)) bad.push(`error line does not name the ${cell.remote}: ${last}`);
    if (!words.test(last)) bad.push(`error line does not name the fault (${words}): ${last}`);
    if (o.stdout !== "") bad.push(`stdout not empty on failure: ${JSON.stringify(o.stdout.slice(0, 200))}`);
  } else if (remoteFailed(cell)) {
    // Exit 0 by contract, but the failure is logged: one warning naming the remote and the fault.
    if (!lines.some((l) => /warning/.test(l) && remote.test(l) && words.test(l))) {
      bad.push(`no warning line naming the ${cell.remote} and the fault: ${o.stderr}`);
    }
  } else if (lines.some((l) => l.startsWith("ns-plug: ") || /: error: /.test(l))) {
    bad.push(`an error line although the remote accepted: ${o.stderr}`);
  }
  bad.push(...checkDiff(o));
  return bad;
}

/** rpcd: one JSON object on stdout, in time, nothing on stderr; the log (in syslog) names the remote and the fault. */
function checkRpc(o: Observed): string[] {
  const { cell } = o;
  const bad: string[] = [];
  const code = expectedCode(cell);
  if (o.code !== code) bad.push(`exit ${o.code ?? o.signal}, expected ${code}`);
  if (o.ms >= RPCD_TIMEOUT_MS) bad.push(`answered after ${Math.round(o.ms / 1000)} s: rpcd kills a plugin at ${RPCD_TIMEOUT_MS / 1000} s`);
  // ns-api-server reads stdout and stderr combined: one byte on stderr and the UI gets `data: null`.
  if (o.stderr !== "") bad.push(`stderr not empty: ${JSON.stringify(o.stderr.slice(0, 300))}`);
  const log = o.dir.syslog().join("\n");
  if (/internal error|internal_error|fatal/.test(log) || /"error":"internal_error"/.test(o.stdout)) bad.push("internal error");
  let answer: Record<string, unknown> | undefined;
  if (!o.stdout.endsWith("\n") || o.stdout.indexOf("\n") !== o.stdout.length - 1) bad.push(`stdout is not one line: ${JSON.stringify(o.stdout.slice(0, 200))}`);
  else {
    try {
      answer = JSON.parse(o.stdout);
    } catch {
      bad.push(`stdout is not JSON: ${o.stdout.slice(0, 200)}`);
    }
  }
  const want = expectedAnswer(cell);
  if (answer && "error" in want && answer.error !== want.error) bad.push(`answer ${JSON.stringify(answer)}, expected error ${want.error}`);
  if (answer && "ok" in want && !want.ok(answer)) bad.push(`answer ${JSON.stringify(answer).slice(0, 300)}`);
  const remote = new RegExp(`\\b${cell.remote}\\b`);
  const words = FAULT_WORDS[cell.fault];
  const lines = log.split("\n").filter((l) => l.trim() !== "");
  if (remoteFailed(cell) && !lines.some((l) => /(error|warning|info): /.test(l) && remote.test(l) && (words.test(l) || cell.command.endsWith(" info")))) {
    bad.push(`no syslog line naming the ${cell.remote} and the fault: ${log.slice(-800)}`);
  }
  bad.push(...checkDiff(o));
  return bad;
}

/** Did the remote take the request (a status recorded as success, a digest saved, a file written)? */
function accepted(cell: Cell): boolean {
  if (!cell.rpc) return expectedCode(cell) === 0;
  const method = cell.command.split(" ")[1]!;
  if (method === "send-inventory") return BODY_DISCARDED.includes(cell.fault);
  return ACCEPTED_2XX.includes(cell.fault) && expectedCode(cell) === 0;
}

/** Only the documented file changes (and never a temp file). */
function checkDiff(o: Observed): string[] {
  const { cell, dir } = o;
  const allowed = new Set<string>();
  const bad: string[] = [];
  const words = cell.command.split(" ");
  // What the command does to files, whichever way it was called (CLI or rpcd).
  const kind = cell.rpc
    ? ({ "send-inventory": "inventory", unregister: "unregister", "registered-backup": "backup", "registered-download-backup": "rpc-download" } as Record<string, string>)[words[1]!]
    : ({ "send-inventory": "inventory", unregister: "unregister", "send-backup": "backup" } as Record<string, string>)[words[0]!] ??
      (words[1] === "download" ? "download" : undefined);
  const ok = accepted(cell);
  if (kind === "inventory") {
    allowed.add("~ /tmp/inventory-sent.json");
    const status = JSON.parse(dir.read("/tmp/inventory-sent.json")).status;
    if (status !== (ok ? "success" : "error")) bad.push(`inventory-sent.json says ${status}`);
  }
  if (kind === "unregister") {
    allowed.add("~ /etc/config/ns-plug");
    bad.push(...unregisteredOptions(dir));
  }
  if (kind === "backup") {
    PACKAGE_DIFF_ALLOWED.forEach((p) => allowed.add(p)); // sysupgrade -k writes its package list
    if (ok) allowed.add("~ /etc/backup.md5");
    if (ok && !o.diff.includes("~ /etc/backup.md5")) bad.push("digest not saved after an accepted upload");
  }
  if (kind === "download" && ok) {
    allowed.add("+ /root/restore.gpg");
    if (dir.mode("/root/restore.gpg") !== 0o600) bad.push("downloaded file is not 0600");
  }
  if (kind === "rpc-download") {
    // LuCI's download directory (ns-api-server's) is made before the request.
    allowed.add("+ /var/run/ns-api-server").add("+ /var/run/ns-api-server/downloads");
    const files = o.diff.filter((d) => /^\+ \/var\/run\/ns-api-server\/downloads\/[^/]+$/.test(d));
    if (ok) files.forEach((d) => allowed.add(d));
    if (ok && files.length !== 1) bad.push(`expected one downloaded file: ${o.diff.join(", ")}`);
  }
  // connect counts its start for the backoff across procd respawns (src/controller/backoff.ts).
  if (cell.command === "ns-plug connect") allowed.add("+ /var/run/ns-plug.backoff").add("~ /var/run/ns-plug.backoff");
  const extra = o.diff.filter((d) => !allowed.has(d));
  if (extra.length) bad.push(`files changed: ${extra.join(", ")}`);
  return bad;
}
