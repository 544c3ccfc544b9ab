/**
 * libuci's commit lock, taken from Node (docs/uci.md, "Locking").
 *
 * libuci (file.c, uci_file_commit) opens /etc/config/<pkg> O_RDWR|O_CREAT
 * (mode 0600), takes flock(LOCK_EX) on it, re-reads the package from that
 * descriptor, writes a temp file and renames it over the path. Node has no
 * flock(2), but a flock lock belongs to the *open file description*, not to
 * the process: we open the file, hand the descriptor to `flock -x 3` (busybox
 * or util-linux) as its fd 3, and when that child exits 0 the description —
 * still open in this process — holds the lock. Closing our descriptor
 * releases it. One short-lived child per commit; no long-running helper.
 *
 * A writer renames a new inode over the path, so a lock won on the old inode
 * after waiting protects nothing: we compare the locked descriptor with the
 * path and start again when they differ. libuci does not, and reads the old
 * inode through its descriptor after waiting: `refresh()` writes the new
 * content into the old, now unlinked, inode before we unlock, so a `uci
 * commit` that waited on us reads what we wrote instead of undoing it.
 */
import * as fsp from "node:fs/promises";
import { constants } from "node:fs";
import type * as ChildProcess from "node:child_process";
import { NsPlugError } from "../errors";

export const LOCK_TIMEOUT_MS = 30_000;

export interface ConfigLock {
  /** Whether this lock created the file (it was missing). */
  created: boolean;
  /** After the rename: give the replaced inode the new content when nothing else links it. */
  refresh(text: string): Promise<void>;
  release(): Promise<void>;
}

let warnedNoFlock = false;

// Loaded on the first lock, not when a command starts: child_process pulls in
// net, dgram and the stream machinery, and reading a config (`ns.plug status`,
// what LuCI polls) takes no lock (exec.ts does the same).
let cp: typeof ChildProcess | undefined;

/** `flock -x 3` on our descriptor; resolves true when locked, false when no flock program exists. */
function flockFd(fd: number, timeoutMs: number): Promise<boolean> {
  cp ??= require("node:child_process") as typeof ChildProcess;
  const { spawn } = cp;
  return new Promise((resolve, reject) => {
    const child = spawn("flock", ["-x", "3"], { stdio: ["ignore", "ignore", "pipe", fd] });
    let err = "";
    child.stderr!.on("data", (b: Buffer) => (err = (err + b.toString()).slice(0, 500)));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      if (e.code === "ENOENT") resolve(false);
      else reject(e);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(true);
      else reject(new NsPlugError(1, `uci: lock: ${signal ? `no lock after ${LOCK_TIMEOUT_MS / 1000} s` : `flock exited ${code}: ${err.trim()}`}`));
    });
  });
}

/**
 * Lock real path `file` as libuci does; a missing file is created with
 * `createMode` (libuci: 0600), never through a link.
 */
export async function lockConfig(file: string, createMode: number, warn?: (m: string) => void): Promise<ConfigLock> {
  // One deadline for the whole wait, not a count of tries: a writer that keeps
  // committing (a script looping over `uci commit`) can replace the file
  // each time we win a lock on the old one, and on a loaded router 20 such
  // losses in a row did happen (CI: reliability/uci-concurrency).
  const deadline = Date.now() + LOCK_TIMEOUT_MS;
  while (Date.now() < deadline) {
    let created = false;
    let fh: fsp.FileHandle;
    try {
      // flock needs no write access: the config is never opened for writing in place (only renamed onto).
      fh = await fsp.open(file, constants.O_RDONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, createMode);
      created = true;
      await fh.chmod(createMode); // not the umask's
    } catch (e) {
      if ((e as { code?: string }).code !== "EEXIST") throw e;
      try {
        fh = await fsp.open(file, constants.O_RDONLY | constants.O_NOFOLLOW);
      } catch (o) {
        if ((o as { code?: string }).code === "ENOENT") continue; // renamed away meanwhile
        throw o;
      }
    }
    try {
      if (!(await flockFd(fh.fd, Math.max(1, deadline - Date.now()))) && !warnedNoFlock) {
        warnedNoFlock = true;
        warn?.("no flock program: UCI commits are not locked against concurrent writers");
      }
      const locked = await fh.stat();
      const now = await fsp.lstat(file).catch(() => undefined);
      if (!now || now.ino !== locked.ino || now.dev !== locked.dev) {
        await fh.close(); // another writer replaced the file while we waited: lock the new one
        continue;
      }
    } catch (e) {
      await fh.close().catch(() => {});
      throw e;
    }
    const handle = fh;
    return {
      created,
      async refresh(text) {
        const st = await handle.stat();
        if (st.nlink !== 0) return; // still linked somewhere (a hard link): not ours to rewrite
        // The inode has no name left: reopen it for writing through our descriptor (Linux /proc magic link).
        const w = await fsp.open(`/proc/self/fd/${handle.fd}`, constants.O_WRONLY);
        try {
          const again = await w.stat();
          if (again.ino !== st.ino || again.dev !== st.dev || again.nlink !== 0) return;
          await w.truncate(0);
          await w.write(text, 0, "utf8");
        } finally {
          await w.close();
        }
      },
      release: () => handle.close(),
    };
  }
  throw new NsPlugError(1, `uci: lock ${file}: no lock after ${LOCK_TIMEOUT_MS / 1000} s: the file kept being replaced`);
}
