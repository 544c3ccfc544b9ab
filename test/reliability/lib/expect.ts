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
import type { Cell, Observed } from "./matrix";
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

/** The exit code the cell must end with. */
export function expectedCode(cell: Cell): number {
  const cmd = cell.command.split(" ")[0]!;
  const sub = cell.command.split(" ")[1];
  switch (cell.remote) {
    case "controller":
      return 5; // 5 failed attempts in a row, whatever the fault
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
  if (cell.remote === "portal" && cell.command.startsWith("unregister")) return !BODY_DISCARDED.includes(cell.fault);
  return expectedCode(cell) !== 0;
}

/** Every problem with an observed run; empty = the cell passes. */
export function check(o: Observed): string[] {
  const { cell } = o;
  const bad: string[] = [];
  const code = expectedCode(cell);
  if (o.code !== code) bad.push(`exit ${o.code ?? o.signal}, expected ${code}`);
  if (/^\s+at /m.test(o.stderr) || /internal error|fatal|Error:|\bTypeError\b/.test(o.stderr)) bad.push("stack trace or internal error on stderr");
  const lines = o.stderr.split("\n").filter((l) => l.trim() !== "");
  const remote = new RegExp(`\\b${cell.remote}\\b`);
  const words = FAULT_WORDS[cell.fault];
  if (code !== 0) {
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

/** Only the documented file changes (and never a temp file). */
function checkDiff(o: Observed): string[] {
  const { cell, dir } = o;
  const allowed = new Set<string>();
  const bad: string[] = [];
  const cmd = cell.command.split(" ")[0]!;
  const sub = cell.command.split(" ")[1];
  const ok = expectedCode(cell) === 0;
  if (cmd === "send-inventory") {
    allowed.add("~ /tmp/inventory-sent.json");
    const status = JSON.parse(dir.read("/tmp/inventory-sent.json")).status;
    if (status !== (ok ? "success" : "error")) bad.push(`inventory-sent.json says ${status}`);
  }
  if (cmd === "unregister") {
    allowed.add("~ /etc/config/ns-plug");
    const problems = unregisteredOptions(dir);
    bad.push(...problems);
  }
  if (cmd === "send-backup") {
    PACKAGE_DIFF_ALLOWED.forEach((p) => allowed.add(p)); // sysupgrade -k writes its package list
    if (ok) allowed.add("~ /etc/backup.md5");
  }
  if (sub === "download" && ok) {
    allowed.add("+ /root/restore.gpg");
    if (dir.mode("/root/restore.gpg") !== 0o600) bad.push("downloaded file is not 0600");
  }
  const extra = o.diff.filter((d) => !allowed.has(d));
  if (extra.length) bad.push(`files changed: ${extra.join(", ")}`);
  if (ok && cmd === "send-backup" && !o.diff.includes("~ /etc/backup.md5")) bad.push("digest not saved after an accepted upload");
  return bad;
}
