/**
 * shellcheck over every shell file of the repository: found by extension
 * (.sh), by shebang (sh, bash, dash, ash, `/bin/sh /etc/rc.common`), and every
 * file of the directories that hold only shell (init.d/, uci-defaults/, hooks/,
 * control/), which may be sourced scripts without a shebang. node_modules/ and
 * dist/ are left out (.gitignore); the generated rpcd fronts get their own test.
 * Settings: .shellcheckrc.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { REPO } from "../helpers/bundle";

const SHELL_DIRS = ["init.d/", "uci-defaults/", "hooks/", "control/"];
const SHEBANG = /^#!\s*(\/\S*\/)?(env\s+)?(sh|bash|dash|ash|ksh)(\s|$)/;

/** What .gitignore leaves out, for the walk below (a tree without git: a tarball, a bare machine's copy). */
const IGNORED_TOP = new Set([".git", "node_modules", "tmp"]);
const IGNORED_ANY = new Set(["dist", ".cache", "reports", ".stryker-tmp"]);

function walkFiles(dir = ""): string[] {
  const out: string[] = [];
  for (const e of readdirSync(join(REPO, dir), { withFileTypes: true })) {
    const rel = dir ? `${dir}/${e.name}` : e.name;
    if (e.isDirectory()) {
      if (!(dir === "" && IGNORED_TOP.has(e.name)) && !IGNORED_ANY.has(e.name)) out.push(...walkFiles(rel));
    } else if (e.isFile() && !e.name.endsWith(".log")) out.push(rel);
  }
  return out;
}

/** The files git tracks or would track; null where git or the checkout is missing. */
function gitFiles(): string[] | null {
  const r = spawnSync("git", ["-C", REPO, "ls-files", "--cached", "--others", "--exclude-standard", "-z"], { encoding: "utf8" });
  if (r.error || r.status !== 0) return null;
  return r.stdout.split("\0").filter(Boolean);
}

const fromGit = gitFiles();
if (!fromGit) console.log("!!! git (or a git checkout) is missing: the shell files are found by walking the tree, .gitignore's directories left out");

function repoFiles(): string[] {
  return [...new Set(fromGit ?? walkFiles())].filter((f) => existsSync(join(REPO, f))).sort();
}

function isShell(rel: string): boolean {
  if (rel.endsWith(".sh")) return true;
  if (SHELL_DIRS.some((d) => rel.startsWith(d))) return !/\.(md|json|txt)$/.test(rel);
  const st = statSync(join(REPO, rel));
  if (!st.isFile() || st.size === 0) return false;
  const head = readFileSync(join(REPO, rel)).subarray(0, 128).toString("latin1");
  return SHEBANG.test(head.split("\n")[0]!);
}

const hasShebang = (rel: string) => readFileSync(join(REPO, rel)).subarray(0, 2).toString("latin1") === "#!";

/** shellcheck's findings for these files, one line each ("" when clean). */
function shellcheck(files: string[]): string {
  // --shell overrides a shebang, so it is given only for the files without one (sourced scripts).
  const groups: [string[], string[]][] = [
    [[], files.filter(hasShebang)],
    [["--shell=sh"], files.filter((f) => !hasShebang(f))],
  ];
  let out = "";
  for (const [opts, group] of groups) {
    if (!group.length) continue;
    const r = spawnSync("shellcheck", ["--format=gcc", ...opts, ...group], { cwd: REPO, encoding: "utf8" });
    if (r.error) throw new Error(`shellcheck could not run (${r.error.message}): install it (scripts/install-deps.sh)`);
    out += r.stdout + r.stderr;
  }
  return out.trim();
}

const files = repoFiles().filter(isShell);

test("the shell files are found (the finder sees the known ones)", () => {
  for (const f of ["scripts/install.sh", "scripts/build-ipk.sh", "scripts/install-deps.sh", ".ci/run", "control/postinst", "control/prerm", "init.d/send-inventory",
    "files/usr/libexec/ns-plug/mwan-hooks", "hooks/register/60enable_automatic_updates", "hooks/unregister/60disable_automatic_updates",
    "hooks/register/50distfeed-setup", "uci-defaults/40_ns-plug_automatic_updates", "uci-defaults/40_ns-plug_mwan_hooks",
    "uci-defaults/50_ns-plug_rsyslog_fixup", "uci-defaults/99_ns-plug_backup_alert_cleanup"]) {
    assert.ok(files.includes(f), `${f} not found among: ${files.join(", ")}`);
  }
  assert.not.ok(files.some((f) => f.startsWith("node_modules/") || f.startsWith("dist/")));
});

test("without git, walking the tree finds the same shell files as git does", () => {
  if (!fromGit) {
    console.log("!!! not compared: git is missing here");
    return;
  }
  assert.equal(walkFiles().filter((f) => existsSync(join(REPO, f))).filter(isShell).sort(), files);
});

test("shellcheck finds nothing in any shell file of the repository", () => {
  const findings = shellcheck(files);
  assert.is(findings, "", `shellcheck findings in ${files.length} files:\n${findings}`);
});

// Depends on the rpcd part: the fronts are generated into dist/rpcd/ by scripts/gen-rpcd.mjs.
test("the generated rpcd fronts (dist/rpcd/*) are shellcheck-clean", () => {
  const dir = join(REPO, "dist", "rpcd");
  const fronts = existsSync(dir) ? readdirSync(dir).map((f) => join("dist", "rpcd", f)) : [];
  assert.ok(fronts.length >= 3, `expected ns.plug, ns.subscription, ns.backup in ${dir}, found: ${fronts.join(", ") || "none"}`);
  assert.is(shellcheck(fronts), "");
});

test.run();
