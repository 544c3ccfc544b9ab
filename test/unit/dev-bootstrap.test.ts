/**
 * The README's entry point, scripts/dev (issue 18): on a bare Debian it
 * installs make, Node.js and npm with apt-get, then runs make; with
 * everything there it installs nothing. Run with a PATH that holds only
 * the tools it may use plus recording stand-ins (apt-get, make, node, npm,
 * id, dpkg-query): what apt-get was asked to install, and what make ran.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { REPO } from "../helpers/bundle";

const SCRIPT = join(REPO, "scripts", "dev");
/** Real tools the script may call; make, node and npm are deliberately not among them. */
const REAL = ["sh", "dirname", "sleep", "printf"];

interface Box {
  bin: string;
  log: string;
  run(...args: string[]): { code: number; stderr: string; calls: string[] };
  tool(name: string, body: string): void;
  cleanup(): void;
}

function box(opts: { uid?: number } = {}): Box {
  const root = mkdtempSync(join(tmpdir(), "nsplug-dev-"));
  const bin = join(root, "bin");
  const log = join(root, "calls.log");
  spawnSync("mkdir", ["-p", bin]);
  for (const t of REAL) {
    const real = spawnSync("sh", ["-c", `command -v ${t}`], { encoding: "utf8" }).stdout.trim();
    if (real.startsWith("/")) symlinkSync(real, join(bin, t));
  }
  const tool = (name: string, body: string) => writeFileSync(join(bin, name), `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  tool("id", `echo ${opts.uid ?? 0}`);
  // apt-get: records its arguments; "install" puts stand-ins for the packages on PATH.
  tool(
    "apt-get",
    [
      `echo "apt-get $*" >> ${log}`,
      `[ "$1" = install ] || exit 0`,
      `for p in "$@"; do case "$p" in`,
      `  make) printf '#!/bin/sh\\necho "make $*" >> ${log}\\n' > ${bin}/make; /bin/chmod +x ${bin}/make ;;`,
      `  nodejs) printf '#!/bin/sh\\necho v18.20.4\\n' > ${bin}/node; /bin/chmod +x ${bin}/node ;;`,
      `  npm) printf '#!/bin/sh\\necho 9.2.0\\n' > ${bin}/npm; /bin/chmod +x ${bin}/npm ;;`,
      `esac; done`,
    ].join("\n"),
  );
  return {
    bin,
    log,
    tool,
    run(...args) {
      const r = spawnSync("/bin/sh", [SCRIPT, ...args], { env: { PATH: bin, HOME: root }, encoding: "utf8", timeout: 30_000 });
      const calls = existsSync(log) ? readFileSync(log, "utf8").trim().split("\n").filter(Boolean) : [];
      rmSync(log, { force: true });
      return { code: r.status ?? -1, stderr: r.stderr, calls };
    },
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  };
}

const makeStandin = `echo "make $*" >> "$(dirname "$0")/../calls.log"`;

test("bare machine as root: installs make, nodejs and npm, then runs the make target", () => {
  const b = box();
  try {
    const first = b.run("test");
    assert.is(first.code, 0, first.stderr);
    assert.equal(first.calls, ["apt-get update -qq", "apt-get install -y -qq --no-install-recommends make nodejs npm", "make test"]);
    assert.match(first.stderr, /dev: installing make nodejs npm/);
    // Idempotent: the second run only checks, and goes straight to make.
    const second = b.run("demo");
    assert.is(second.code, 0, second.stderr);
    assert.equal(second.calls, ["make demo"]);
  } finally {
    b.cleanup();
  }
});

test("an existing node >= 18 (not Debian's) is kept: only make is installed", () => {
  const b = box();
  try {
    b.tool("node", "echo v20.20.2");
    b.tool("npm", "echo 10.8.2");
    const r = b.run("test");
    assert.is(r.code, 0, r.stderr);
    assert.equal(r.calls, ["apt-get update -qq", "apt-get install -y -qq --no-install-recommends make", "make test"]);
  } finally {
    b.cleanup();
  }
});

test("everything present: nothing installed, make runs", () => {
  const b = box();
  try {
    b.tool("node", "echo v18.20.8");
    b.tool("npm", "echo 10.8.2");
    b.tool("make", makeStandin);
    const r = b.run("demo");
    assert.is(r.code, 0, r.stderr);
    assert.equal(r.calls, ["make demo"]);
  } finally {
    b.cleanup();
  }
});

test("Debian's nodejs without npm: npm is added", () => {
  const b = box();
  try {
    b.tool("node", "echo v18.20.4");
    b.tool("make", makeStandin);
    b.tool("dpkg-query", `[ "$*" = '-W -f=\${Version} nodejs' ] && printf '18.20.4+dfsg-1~deb12u3'`);
    const r = b.run("test");
    assert.is(r.code, 0, r.stderr);
    assert.equal(r.calls, ["apt-get update -qq", "apt-get install -y -qq --no-install-recommends npm", "make test"]);
  } finally {
    b.cleanup();
  }
});

test("refusals: a node older than 18, npm missing next to a foreign node, not root", () => {
  const b = box();
  try {
    b.tool("make", makeStandin);
    b.tool("node", "echo v16.20.2");
    let r = b.run("test");
    assert.is(r.code, 1);
    assert.match(r.stderr, /is Node\.js v16\.20\.2; ns-plug needs >= 18/);
    assert.equal(r.calls, []);
    b.tool("node", "echo v20.20.2");
    r = b.run("test");
    assert.is(r.code, 1);
    assert.match(r.stderr, /npm is missing next to .*not Debian's nodejs/);
    assert.equal(r.calls, []);
  } finally {
    b.cleanup();
  }
  const user = box({ uid: 1000 });
  try {
    const r = user.run("test");
    assert.is(r.code, 1);
    assert.match(r.stderr, /missing: make nodejs npm \(run as root/);
    assert.equal(r.calls, []);
  } finally {
    user.cleanup();
  }
});

test("the README's first two commands are the entry point's, and CI runs the same", () => {
  const readme = readFileSync(join(REPO, "README.md"), "utf8");
  const block = /```sh\n([^]*?)```/.exec(readme)![1]!;
  const commands = block.split("\n").filter(Boolean).map((l) => l.replace(/\s+#.*$/, ""));
  assert.equal(commands, ["sh scripts/dev demo", "sh scripts/dev test"]);
  const ci = readFileSync(join(REPO, ".ci", "run"), "utf8");
  assert.match(ci, /^sh scripts\/dev test$/m);
});

test.run();
