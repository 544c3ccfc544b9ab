/*
 * The bundle's loader (inserted by build.mjs ahead of the program, which it
 * receives as a string). Node >= 22 can cache compiled code by itself
 * (module.enableCompileCache); the routers run Node 18/20, so we do the same
 * with vm.Script's cachedData: every run after the first skips compiling the
 * ~160 KB of program code, which is most of a short command's start-up
 * (bench/startup.bench.mjs, bench/rpcd.bench.mjs).
 *
 * The cache lives in $TMPDIR/ns-plug-cache (/tmp: RAM on OpenWrt), keyed
 * by Node version, architecture, and the bundle's size and mtime. It is used
 * only from a directory owned by us and not writable by others; V8 itself
 * rejects data that does not match the source. Any problem means a normal
 * compile, never a failure.
 */
function nsPlugLoad(source) {
  const fs = require("node:fs");
  const path = require("node:path");
  const vm = require("node:vm");
  const file = __filename;
  let dir;
  let cacheFile;
  let cached;
  let usable = false;
  let version = "";
  try {
    const st = fs.statSync(file);
    // Not under NS_PLUG_ROOT: it caches the program, not router state.
    dir = path.join(process.env.TMPDIR || "/tmp", "ns-plug-cache");
    // One file per command: V8 caches the functions compiled by the run that
    // wrote it, and `--help` compiles little of what `ns.plug call` needs.
    const name = path.basename(process.argv[1] || "").replace(/\.js$/, "");
    const command = (name === "ns-plug" ? process.argv[2] || "" : name).replace(/[^A-Za-z0-9._-]/g, "").slice(0, 40);
    version = `${process.version}-${process.arch}-${st.size}-${Math.floor(st.mtimeMs)}`;
    cacheFile = path.join(dir, `${version}-${command || "none"}.v8`);
    let d;
    try {
      d = fs.statSync(dir);
    } catch {
      usable = true; // missing: created below, ours, mode 0700
    }
    if (d) usable = d.isDirectory() && d.uid === process.getuid() && (d.mode & 0o022) === 0;
    if (d && usable && fs.existsSync(cacheFile)) cached = fs.readFileSync(cacheFile);
  } catch {
    /* no cache yet, or not usable: compile normally */
  }
  const wrapper = `(function (exports, require, module, __filename, __dirname) {${source}\n})`;
  const script = new vm.Script(wrapper, { filename: file, cachedData: cached });
  if (usable && cacheFile && (cached === undefined || script.cachedDataRejected)) {
    // Written at exit, so the functions compiled during this run are in it too.
    process.once("exit", () => {
      try {
        fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
        // Caches of older bundles or Node versions go; other commands' stay.
        for (const old of fs.readdirSync(dir)) {
          if (old.endsWith(".v8") && !old.startsWith(`${version}-`)) fs.rmSync(path.join(dir, old), { force: true });
        }
        const tmp = `${cacheFile}.${process.pid}.tmp`;
        fs.writeFileSync(tmp, script.createCachedData(), { mode: 0o600 });
        fs.renameSync(tmp, cacheFile);
      } catch {
        /* a read-only or full /tmp only costs speed */
      }
    });
  }
  script.runInThisContext()(module.exports, require, module, file, path.dirname(file));
}
