/**
 * The fault matrix's scenarios (issue 9 §1): for each remote, every command
 * that talks to it, run against a chaos server showing one fault. A scenario
 * builds its own test root, runs the built bundle once, and reports what a
 * user would observe: exit code, stderr, duration, and the file-tree diff.
 */
import { runBundle } from "../../helpers/bundle";
import type { TestDir } from "../../helpers/testdir";
import { backupRoot, controllerRoot, portalRoot, unregisteredRoot } from "./roots";
import { startChaos, type Chaos, type Fault } from "../../servers/chaos";
import { diffSnapshots, snapshot } from "./snapshot";

export type Remote = "controller" | "portal" | "backupd";

import { SECRET } from "./roots";
export { PASSPHRASE, SECRET, SYSTEM_ID, TOKEN, UNIT_ID } from "./roots";

export interface Cell {
  remote: Remote;
  /** The command line as an admin would type it (for the table). */
  command: string;
  fault: Fault;
  /** Build the root and the argv for this chaos URL. */
  prepare(chaos: Chaos): { dir: TestDir; args: string[]; env?: Record<string, string>; stdin?: string };
  /** An rpcd plugin method: one JSON object on stdout is the answer (SPEC §7). */
  rpc?: boolean;
}

export interface Observed {
  cell: Cell;
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  ms: number;
  diff: string[];
  /** Files of the root after the run, for checks on documented changes. */
  dir: TestDir;
  chaosRequests: number;
}

/** Environment pointing both portals at `url` (register's lookup, the enterprise /proxy/*). */
const portalEnv = (url: string) => ({ NS_PLUG_ENTERPRISE_PORTAL: url, NS_PLUG_COMMUNITY_PORTAL: url });

export function portalCells(faults: readonly Fault[]): Cell[] {
  const cells: Cell[] = [];
  for (const fault of faults) {
    for (const type of ["enterprise", "community"] as const) {
      cells.push(
        {
          remote: "portal",
          command: `register ${type} <secret>`,
          fault,
          prepare: (c) => ({ dir: unregisteredRoot(), args: ["register", type, SECRET], env: portalEnv(c.url) }),
        },
        ...["send-heartbeat", "send-inventory", "subscription-info", "unregister"].map((cmd) => ({
          remote: "portal" as const,
          command: `${cmd} (${type})`,
          fault,
          prepare: (c: Chaos) => ({ dir: portalRoot(type, c.url), args: [cmd], env: portalEnv(c.url) }),
        })),
      );
    }
  }
  return cells;
}

/** LuCI's calls to the portal, through the ns.subscription plugin (an enterprise unit). */
export function portalRpcCells(faults: readonly Fault[]): Cell[] {
  const calls: Array<[string, boolean, string?]> = [
    ["register", false, JSON.stringify({ secret: SECRET })],
    ["info", true],
    ["send-inventory", true],
    ["unregister", true],
  ];
  return faults.flatMap((fault) =>
    calls.map(([method, registered, stdin]) => ({
      remote: "portal" as const,
      command: `ns.subscription ${method}`,
      fault,
      rpc: true,
      prepare: (c: Chaos) => ({
        dir: registered ? portalRoot("enterprise", c.url) : unregisteredRoot(),
        args: ["ns.subscription", "call", method],
        stdin: stdin ?? "{}",
        env: portalEnv(c.url),
      }),
    })),
  );
}

/** LuCI's calls to backupd, through the ns.backup plugin. */
export function backupdRpcCells(faults: readonly Fault[]): Cell[] {
  const calls: Array<[string, object]> = [
    ["registered-list-backups", {}],
    ["registered-backup", {}],
    ["registered-download-backup", { file: "backup-1700000000.tar.gz.gpg" }],
    ["registered-delete-backup", { id: "backup-1700000000.tar.gz.gpg" }],
  ];
  return faults.flatMap((fault) =>
    calls.map(([method, args]) => ({
      remote: "backupd" as const,
      command: `ns.backup ${method}`,
      fault,
      rpc: true,
      prepare: (c: Chaos) => ({
        dir: backupRoot(c.url),
        args: ["ns.backup", "call", method],
        stdin: JSON.stringify(args),
        env: portalEnv("http://127.0.0.1:9"),
      }),
    })),
  );
}

export function backupdCells(faults: readonly Fault[]): Cell[] {
  const cells: Cell[] = [];
  const cmds: Array<[string, string[]]> = [
    ["send-backup", ["send-backup"]],
    ["remote-backup list", ["remote-backup", "list"]],
    ["remote-backup download <id> <file>", ["remote-backup", "download", "backup-1700000000.tar.gz.gpg", "/root/restore.gpg"]],
    ["remote-backup upload <file>", ["remote-backup", "upload", "/root/upload-me.tar.gz.gpg"]],
    ["remote-backup delete <id>", ["remote-backup", "delete", "backup-1700000000.tar.gz.gpg"]],
  ];
  for (const fault of faults) {
    for (const [command, args] of cmds) {
      cells.push({
        remote: "backupd",
        command,
        fault,
        // The portal is a closed port: only backupd is under test (and no request may leave loopback).
        prepare: (c) => ({ dir: backupRoot(c.url), args, env: portalEnv("http://127.0.0.1:9") }),
      });
    }
  }
  return cells;
}

export function controllerCells(faults: readonly Fault[]): Cell[] {
  const cmds: Array<[string, string[], boolean]> = [
    ["ns-plug connect", ["connect"], false],
    // OpenVPN's route-up hook and the 15-min cron job (all 8 reports: ns.controller is installed).
    ["ns-controller-push-info", ["ns-controller-push-info"], false],
    ["ns-push-reports", ["ns-push-reports"], true],
  ];
  return faults.flatMap((fault) =>
    cmds.map(([command, args, dumps]) => ({
      remote: "controller" as const,
      command,
      fault,
      prepare: (c: Chaos) => {
        const dir = controllerRoot(c.url);
        if (dumps) dir.write("/usr/libexec/rpcd/ns.controller", "#!/bin/sh\necho '{\"data\": []}'\n", 0o755);
        return { dir, args, env: portalEnv("http://127.0.0.1:9") };
      },
    })),
  );
}

export async function runCell(cell: Cell, timeoutMs: number): Promise<Observed> {
  const chaos = await startChaos(cell.fault);
  const { dir, args, env, stdin } = cell.prepare(chaos);
  try {
    const before = snapshot(dir.root);
    const t0 = Date.now();
    const r = await runBundle(args, { dir, env: { ...chaos.env, ...env }, timeoutMs, stdin });
    const ms = Date.now() - t0;
    const diff = diffSnapshots(before, snapshot(dir.root));
    return { cell, code: r.code, signal: r.signal, stdout: r.stdout, stderr: r.stderr, ms, diff, dir, chaosRequests: chaos.requests() };
  } finally {
    await chaos.close();
  }
}
