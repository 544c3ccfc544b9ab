/**
 * A private directory (mode 0700, owned by us) at a path inside a shared,
 * world-writable tree (/var/run is /tmp/run on OpenWrt). The last component
 * is never followed when it is a link, and what was opened is checked on
 * its descriptor (owner, type, mode) before anything is written into it.
 * Once checked, nobody else can add or swap entries inside it, so plain
 * file operations below it are safe.
 */
import * as fsp from "node:fs/promises";
import { constants } from "node:fs";
import { dirname } from "node:path";
import { NsPlugError } from "./errors";
import { isAlive } from "./processes";

const myUid = () => (typeof process.getuid === "function" ? process.getuid() : 0);

/** Create (or adopt) `real` as a 0700 directory of ours; throws when it is a link, not a dir, or someone else's. */
export async function ensurePrivateDir(real: string): Promise<void> {
  await fsp.mkdir(dirname(real), { recursive: true, mode: 0o755 });
  try {
    await fsp.mkdir(real, { mode: 0o700 });
  } catch (e) {
    if ((e as { code?: string }).code !== "EEXIST") throw e;
  }
  let fh: fsp.FileHandle;
  try {
    fh = await fsp.open(real, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
  } catch (e) {
    throw new NsPlugError(1, `${real}: not a private directory (${(e as { code?: string }).code ?? "error"}): refusing to use it`);
  }
  try {
    const st = await fh.stat();
    if (!st.isDirectory()) throw new NsPlugError(1, `${real}: not a directory: refusing to use it`);
    if (st.uid !== myUid()) throw new NsPlugError(1, `${real}: owned by uid ${st.uid}, not by us: refusing to use it`);
    // Ours but too open (an old run, a umask): close it before use.
    if ((st.mode & 0o7777) !== 0o700) await fh.chmod(0o700);
  } finally {
    await fh.close();
  }
}

/** Remove a directory tree without following a link at its place (a link is removed, not its target). */
export async function removePrivateDir(real: string): Promise<void> {
  let st;
  try {
    st = await fsp.lstat(real);
  } catch (e) {
    if ((e as { code?: string }).code === "ENOENT") return;
    throw e;
  }
  if (!st.isDirectory()) await fsp.rm(real, { force: true });
  else await fsp.rm(real, { recursive: true, force: true }); // rm never follows links inside the tree
}

/** Is `real` a unix socket (e.g. OpenVPN's management socket)? No link is followed. */
export async function isSocket(real: string): Promise<boolean> {
  try {
    return (await fsp.lstat(real)).isSocket();
  } catch {
    return false;
  }
}

/**
 * A lock between processes: a private directory holding the owner's pid.
 * mkdir is atomic; a lock whose owner died is taken over. Returns a release
 * function, or undefined while another live process holds it.
 */
export async function tryLock(real: string): Promise<(() => Promise<void>) | undefined> {
  const pidFile = `${real}/pid`;
  await fsp.mkdir(dirname(real), { recursive: true, mode: 0o755 });
  try {
    await fsp.mkdir(real, { mode: 0o700 });
  } catch (e) {
    if ((e as { code?: string }).code !== "EEXIST") throw e;
    const holder = Number((await fsp.readFile(pidFile, "utf8").catch(() => "")).trim());
    if (holder > 0 && isAlive(holder)) return undefined;
    // The owner died (or was between mkdir and writing its pid, rare enough to retry later).
    if (!holder) {
      const st = await fsp.lstat(real).catch(() => undefined);
      if (st && Date.now() - st.mtimeMs < 10_000) return undefined;
    }
    await removePrivateDir(real);
    return tryLock(real);
  }
  await ensurePrivateDir(real);
  await fsp.writeFile(pidFile, `${process.pid}\n`, { mode: 0o600 });
  return () => removePrivateDir(real);
}
