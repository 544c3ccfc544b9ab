/**
 * A private scratch directory (mode 0700) for one backup operation. It is
 * removed on every path out: success, error, and SIGTERM/SIGINT/SIGHUP (the
 * running child — sysupgrade, gpg — is killed first, so it can't recreate a
 * file in it). The plaintext archive only ever exists in here.
 */
import type { Ctx } from "../platform/context";
import { BackupError } from "./errors";

export interface Workspace {
  /** Router path of the directory. */
  dir: string;
  /** Passed to ctx.exec: aborted when the workspace is torn down. */
  signal: AbortSignal;
  /** Register a running child so teardown waits for it to exit. */
  track<T>(p: Promise<T>): Promise<T>;
  /**
   * Throws unless the workspace and its parent are still our private
   * directories: called before anything made in it leaves the workspace
   * (encrypted, digested, uploaded). shared.ts makes a swap impossible;
   * this makes a send fail rather than go on if that ever breaks.
   */
  verify(): Promise<void>;
}

const PREFIX = ".work-";
const STALE_MS = 24 * 3600 * 1000;

/** A SIGKILL or power loss can leave a directory behind: drop old ones. */
async function removeStale(ctx: Ctx, parent: string): Promise<void> {
  const now = ctx.clock.now().getTime();
  for (const name of await ctx.fs.list(parent)) {
    if (!name.startsWith(PREFIX)) continue;
    const st = await ctx.fs.stat(`${parent}/${name}`);
    if (st?.isDirectory && now - st.mtimeMs > STALE_MS) await ctx.fs.removeTree(`${parent}/${name}`);
  }
}

/** Both directories ours and private (ctx.fs.stat reports nothing for what is not ours in a shared directory). */
async function checkPrivate(ctx: Ctx, parent: string, dir: string): Promise<void> {
  for (const d of [parent, dir]) {
    const st = await ctx.fs.stat(d);
    if (!st?.isDirectory || (st.mode & 0o077) !== 0) {
      throw new BackupError("backup_failed", `workspace ${d} is no longer a private directory of ours: refusing to go on`);
    }
  }
}

export async function withWorkspace<T>(ctx: Ctx, parent: string, fn: (ws: Workspace) => Promise<T>): Promise<T> {
  // 0700 in a shared directory: ours, made again when somebody else's (platform/shared.ts).
  await ctx.fs.mkdirp(parent, 0o700);
  await removeStale(ctx, parent).catch(() => {});
  const dir = await ctx.fs.mkdtemp(parent, PREFIX);
  const ac = new AbortController();
  const running = new Set<Promise<unknown>>();
  let teardown: Promise<void> | undefined;
  const cleanup = () =>
    (teardown ??= (async () => {
      ac.abort();
      if (running.size) {
        let timer: ReturnType<typeof setTimeout> | undefined;
        const limit = new Promise<void>((r) => (timer = setTimeout(r, 3000)));
        await Promise.race([Promise.allSettled([...running]), limit]);
        clearTimeout(timer);
      }
      await ctx.fs.removeTree(dir);
    })());
  const off = ctx.onTerminate(cleanup);
  const track = <R>(p: Promise<R>): Promise<R> => {
    running.add(p);
    const done = () => running.delete(p);
    p.then(done, done);
    return p;
  };
  try {
    await checkPrivate(ctx, parent, dir);
    return await fn({ dir, signal: ac.signal, track, verify: () => checkPrivate(ctx, parent, dir) });
  } finally {
    off();
    await cleanup();
  }
}
