/*
 * The bundle's loader (inserted by build.mjs ahead of the program, which it
 * receives as a string). Node >= 22 can cache compiled code by itself
 * (module.enableCompileCache); the routers run Node 18/20, so we do the same
 * with vm.Script's cachedData: every run after the first skips compiling the
 * ~160 KB of program code, which is most of a short command's start-up
 * (bench/startup.bench.mjs, bench/rpcd.bench.mjs).
 *
 * The cache lives in $TMPDIR/ns-plug-cache (/tmp: RAM on OpenWrt), keyed
 * by Node version, architecture, and the bundle's size and mtime. /tmp is
 * world-writable and V8 accepts a cache made from *other* code of the same
 * length, so a cache file is code we run as root (docs/security.md):
 *  - the directory is opened with O_NOFOLLOW and checked on the descriptor
 *    (a directory, ours, mode 0700); anything else at that name (a link, a
 *    file, a directory of another user or with looser bits) is moved aside
 *    and a fresh private directory made. Its parent must be sticky or not
 *    writable by others, so nobody else can rename or replace it afterwards;
 *  - every later access goes through /proc/self/fd/<dir fd>/<name> (openat
 *    without an openat API): a name flipped after the check changes nothing;
 *  - a cache file is read only when it is a regular file of ours, not
 *    writable by others, opened without following links.
 * Any problem means a normal compile, never a failure.
 */
function nsPlugCacheDir(fs, path, tmp, uid) {
  const C = fs.constants;
  const dir = path.join(tmp, "ns-plug-cache");
  const parent = fs.statSync(tmp); // TMPDIR itself may be a link (/var/tmp → /tmp): root's, not a user's
  if (!parent.isDirectory() || (parent.uid !== 0 && parent.uid !== uid)) return -1;
  if ((parent.mode & 0o022) !== 0 && (parent.mode & 0o1000) === 0) return -1; // others could swap our directory
  for (let i = 0; i < 3; i++) {
    try {
      fs.mkdirSync(dir, 0o700);
    } catch (e) {
      if (e.code !== "EEXIST") return -1;
    }
    let fd = -1;
    try {
      fd = fs.openSync(dir, C.O_RDONLY | C.O_DIRECTORY | C.O_NOFOLLOW);
      const s = fs.fstatSync(fd);
      if (s.isDirectory() && s.uid === uid && (s.mode & 0o077) === 0) return fd;
    } catch {
      /* a link (ELOOP) or not a directory (ENOTDIR): not ours */
    }
    if (fd >= 0) fs.closeSync(fd);
    // Not ours: out of the way. unlink/rename act on the name, never on a link's target.
    const aside = path.join(tmp, `.ns-plug-cache.${process.pid}.${Math.random().toString(36).slice(2, 10)}.untrusted`);
    try {
      if (fs.lstatSync(dir).isDirectory()) fs.renameSync(dir, aside);
      else fs.unlinkSync(dir);
    } catch {
      return -1; // e.g. another user's directory in a sticky /tmp we don't own: no cache
    }
  }
  return -1;
}

/** Is process `pid` alive (EPERM: alive, not ours)? */
function nsPlugAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return e.code === "EPERM";
  }
}

function nsPlugLoad(source) {
  const fs = require("node:fs");
  const path = require("node:path");
  const vm = require("node:vm");
  const C = fs.constants;
  const file = __filename;
  let at; // "/proc/self/fd/<n>": our verified cache directory
  let cacheName;
  let cached;
  let version = "";
  const uid = typeof process.geteuid === "function" ? process.geteuid() : -1;
  try {
    const st = fs.statSync(file);
    // Not under NS_PLUG_ROOT: it caches the program, not router state.
    const tmp = process.env.TMPDIR || "/tmp";
    // One file per command: V8 caches the functions compiled by the run that
    // wrote it, and `--help` compiles little of what `ns.plug call` needs.
    const name = path.basename(process.argv[1] || "").replace(/\.js$/, "");
    const command = (name === "ns-plug" ? process.argv[2] || "" : name).replace(/[^A-Za-z0-9._-]/g, "").slice(0, 40);
    version = `${process.version}-${process.arch}-${st.size}-${Math.floor(st.mtimeMs)}`;
    cacheName = `${version}-${command || "none"}.v8`;
    const dirFd = nsPlugCacheDir(fs, path, tmp, uid);
    if (dirFd >= 0) at = `/proc/self/fd/${dirFd}`;
    if (at) {
      let fd = -1;
      try {
        fd = fs.openSync(`${at}/${cacheName}`, C.O_RDONLY | C.O_NOFOLLOW | C.O_NONBLOCK);
        const s = fs.fstatSync(fd);
        if (s.isFile() && s.uid === uid && (s.mode & 0o022) === 0) cached = fs.readFileSync(fd);
      } catch {
        /* no cache yet */
      } finally {
        if (fd >= 0) fs.closeSync(fd);
      }
    }
  } catch {
    /* no cache yet, or not usable: compile normally */
  }
  const wrapper = `(function (exports, require, module, __filename, __dirname) {${source}\n})`;
  const script = new vm.Script(wrapper, { filename: file, cachedData: cached });
  if (at && (cached === undefined || script.cachedDataRejected)) {
    // Written at exit, so the functions compiled during this run are in it too.
    process.once("exit", () => {
      try {
        // Caches of older bundles or Node versions go; other commands' stay. Names in our own directory only.
        for (const old of fs.readdirSync(at)) {
          // A temp file whose writer died (killed while writing its cache) goes too.
          const writer = /\.(\d+)\.tmp$/.exec(old);
          if (writer && !nsPlugAlive(Number(writer[1]))) {
            try {
              fs.unlinkSync(`${at}/${old}`);
            } catch {
              /* not a file: leave it */
            }
            continue;
          }
          if (!old.endsWith(".v8") || old.startsWith(`${version}-`)) continue;
          try {
            fs.unlinkSync(`${at}/${old}`);
          } catch {
            /* not a file: leave it */
          }
        }
        const tmp = `${cacheName}.${process.pid}.tmp`;
        const fd = fs.openSync(`${at}/${tmp}`, C.O_WRONLY | C.O_CREAT | C.O_EXCL | C.O_NOFOLLOW, 0o600);
        try {
          fs.writeFileSync(fd, script.createCachedData());
          fs.renameSync(`${at}/${tmp}`, `${at}/${cacheName}`);
        } catch (e) {
          fs.unlinkSync(`${at}/${tmp}`); // ours, just made with O_EXCL: never a half-written cache left behind
          throw e;
        } finally {
          fs.closeSync(fd);
        }
      } catch {
        /* a read-only or full /tmp only costs speed */
      }
    });
  }
  script.runInThisContext()(module.exports, require, module, file, path.dirname(file));
}
