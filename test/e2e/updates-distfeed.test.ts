/**
 * distfeed-setup (the built bundle) on a temp root: the three apk files, their
 * modes and content, registered and unregistered, no secret anywhere but in
 * 01-enterprise.list and /etc/config/ns-plug; the register/unregister hooks
 * that run it and switch automatic updates; 20_ns-plug's repository_url
 * migration and its distfeed-setup call.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { readdirSync, readFileSync, statSync, symlinkSync, mkdirSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { BUNDLE, REPO, runBundle } from "../helpers/bundle";
import { testdir, type TestDir } from "../helpers/testdir";
import { UCI_STANDIN } from "../helpers/uci-standin";
import { DEMO_SYSTEMS, startPortal } from "../servers/portal";
import { routerRoot } from "./subscription-fixture";

const SECRET = "Sekr3t-distfeed-4417";
const SYSTEM_ID = "NETH-1234-ABCD";
const LISTS = "/etc/apk/repositories.d";

const RELEASE_FILES = {
  "/etc/openwrt_release": "DISTRIB_ID='NethSecurity'\nDISTRIB_RELEASE='8.5.0'\nDISTRIB_TARGET='x86/64'\nDISTRIB_ARCH='x86_64'\n",
  "/etc/openwrt_version": "v24.10.2\n",
  "/etc/os-release": 'NAME="NethSecurity"\nVERSION="8.5.0"\nVERSION_ID="8.5.0"\nOPENWRT_BOARD="x86/64"\n',
  "/etc/repo-channel": "stable\n",
};

function config(registered: boolean): string {
  const base = "\nconfig main 'config'\n\toption repository_url 'https://updates.nethsecurity.nethserver.org/stable'\n";
  return registered
    ? base + `\toption type 'enterprise'\n\toption system_id '${SYSTEM_ID}'\n\toption secret '${SECRET}'\n`
    : base;
}

function root(registered: boolean): TestDir {
  return testdir({ ...RELEASE_FILES, "/etc/config/ns-plug": { content: config(registered), mode: 0o600 } });
}

/** Every file under the root (stand-in logs left out) whose content holds the secret. */
function filesWithSecret(dir: TestDir): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const name of readdirSync(join(dir.root, rel))) {
      const p = `${rel}/${name}`;
      if (p === "/.standins") continue;
      const st = statSync(join(dir.root, p));
      if (st.isDirectory()) walk(p);
      else if (readFileSync(join(dir.root, p), "utf8").includes(SECRET)) out.push(p);
    }
  };
  walk("");
  return out.sort();
}

const DEFAULTS = [
  "# This file is handled by nethsecurity and should not be edited manually. Changes will be overwritten.",
  "# Create a 98-overrides.list file to override these values if needed.",
  "set -default target_arch=x86/64",
  "set -default package_arch=x86_64",
  "set -default openwrt_version=24.10.2",
  "set -default repo_channel=stable",
  "set -default version=8.5.0",
  "set -default endpoint=updates.nethsecurity.nethserver.org/${repo_channel}",
  "",
].join("\n");

const FEEDS = ["targets/${target_arch}/packages", "packages/${package_arch}/base", "packages/${package_arch}/luci", "packages/${package_arch}/nethsecurity", "packages/${package_arch}/packages"]
  .map((p) => `https://\${endpoint}/\${version}/${p}/packages.adb`).join("\n") + "\n";

test("registered: 99-defaults.list and distfeeds.list 0644, 01-enterprise.list 0600 with the credentials; the secret nowhere else", async () => {
  const dir = root(true);
  try {
    const r = await runBundle(["distfeed-setup"], { dir });
    assert.is(r.code, 0, r.stderr);
    assert.is(r.stdout, "");
    assert.is(dir.read(`${LISTS}/99-defaults.list`), DEFAULTS);
    assert.is(dir.read(`${LISTS}/distfeeds.list`), FEEDS);
    assert.is(
      dir.read(`${LISTS}/01-enterprise.list`),
      "# This file is handled by nethsecurity and should not be edited manually. Changes will be overwritten.\n" +
        `set endpoint=${SYSTEM_ID}:${SECRET}@distfeed.nethesis.it/repository/enterprise/nethsecurity\n`,
    );
    assert.is(dir.mode(`${LISTS}/01-enterprise.list`), 0o600);
    assert.is(dir.mode(`${LISTS}/99-defaults.list`), 0o644);
    assert.is(dir.mode(`${LISTS}/distfeeds.list`), 0o644);
    assert.equal(readdirSync(dir.path(LISTS)).sort(), ["01-enterprise.list", "99-defaults.list", "distfeeds.list"], "no temp file left");
    assert.equal(filesWithSecret(dir), ["/etc/apk/repositories.d/01-enterprise.list", "/etc/config/ns-plug"]);
    assert.not.ok((r.stdout + r.stderr).includes(SECRET));

    // Again: nothing changes (same content, same inode: not rewritten).
    const ino = statSync(dir.path(`${LISTS}/01-enterprise.list`)).ino;
    assert.is((await runBundle(["distfeed-setup"], { dir })).code, 0);
    assert.is(statSync(dir.path(`${LISTS}/01-enterprise.list`)).ino, ino);
  } finally {
    dir.cleanup();
  }
});

test("unregistered (after having been registered): 01-enterprise.list removed; the other two stay; the channel follows /etc/repo-channel", async () => {
  const dir = root(true);
  try {
    assert.is((await runBundle(["distfeed-setup"], { dir })).code, 0);
    dir.write("/etc/config/ns-plug", config(false));
    dir.write("/etc/repo-channel", "dev\n");
    const r = await runBundle(["distfeed-setup"], { dir });
    assert.is(r.code, 0, r.stderr);
    assert.not.ok(dir.exists(`${LISTS}/01-enterprise.list`));
    assert.is(dir.read(`${LISTS}/99-defaults.list`), DEFAULTS.replace("repo_channel=stable", "repo_channel=dev"));
    assert.is(dir.read(`${LISTS}/distfeeds.list`), FEEDS);
    assert.equal(filesWithSecret(dir), []);
  } finally {
    dir.cleanup();
  }
});

test("a value that would add a line to apk's configuration is refused, nothing written", async () => {
  const dir = root(false);
  try {
    dir.write("/etc/repo-channel", "stable\nset endpoint=evil.example\n");
    const r = await runBundle(["distfeed-setup"], { dir });
    assert.is(r.code, 1);
    assert.match(r.stderr, /^ns-plug: .*repo-channel/m);
    assert.not.ok(dir.exists(`${LISTS}/99-defaults.list`));
  } finally {
    dir.cleanup();
  }
});

/** The hook scripts as the hook runner starts them: NS_PLUG_ROOT set, no arguments. */
function runHook(dir: TestDir, kind: "register" | "unregister", name: string) {
  return spawnSync("dash", [join(REPO, "hooks", kind, name)], {
    env: { PATH: `${dir.bin}:${process.env.PATH}`, NS_PLUG_ROOT: dir.root },
    encoding: "utf8",
  });
}

/** distfeed-setup installed in the root as on the router: a link to the built bundle. */
function installDistfeedSetup(dir: TestDir): void {
  mkdirSync(dir.path("/usr/sbin"), { recursive: true });
  symlinkSync(BUNDLE, dir.path("/usr/sbin/distfeed-setup"));
}

test("hooks: register runs distfeed-setup and `schedule-automatic-updates add`; unregister the same with `remove`", () => {
  const dir = root(true);
  try {
    installDistfeedSetup(dir);
    dir.standin("/usr/libexec/ns-api/schedule-automatic-updates");
    for (const h of ["50distfeed-setup", "60enable_automatic_updates"]) {
      const r = runHook(dir, "register", h);
      assert.is(r.status, 0, `${h}: ${r.stderr}`);
    }
    assert.ok(dir.exists(`${LISTS}/01-enterprise.list`), "register hook wrote the subscription feed");
    assert.equal(dir.calls(), ["/usr/libexec/ns-api/schedule-automatic-updates add"]);

    dir.write("/etc/config/ns-plug", config(false));
    for (const h of ["50distfeed-setup", "60disable_automatic_updates"]) {
      const r = runHook(dir, "unregister", h);
      assert.is(r.status, 0, `${h}: ${r.stderr}`);
    }
    assert.not.ok(dir.exists(`${LISTS}/01-enterprise.list`), "unregister hook removed the subscription feed");
    assert.equal(dir.calls(), ["/usr/libexec/ns-api/schedule-automatic-updates add", "/usr/libexec/ns-api/schedule-automatic-updates remove"]);
  } finally {
    dir.cleanup();
  }
});

test("hooks: without ns-api's schedule-automatic-updates (or distfeed-setup) they do nothing and succeed", () => {
  const dir = root(false);
  try {
    for (const [kind, h] of [["register", "60enable_automatic_updates"], ["unregister", "60disable_automatic_updates"], ["register", "50distfeed-setup"]] as const) {
      const r = runHook(dir, kind, h);
      assert.is(r.status, 0, `${h}: ${r.stderr}`);
    }
    assert.equal(dir.calls(), []);
    assert.not.ok(dir.exists(LISTS));
  } finally {
    dir.cleanup();
  }
});

function run20(dir: TestDir) {
  return spawnSync("dash", [join(REPO, "uci-defaults", "20_ns-plug")], {
    env: { PATH: `${dir.bin}:${process.env.PATH}`, NS_PLUG_ROOT: dir.root, HOME: dir.root },
    encoding: "utf8",
  });
}

const repositoryUrl = (dir: TestDir) => /option repository_url '([^']*)'/.exec(dir.read("/etc/config/ns-plug"))?.[1];

test("20_ns-plug: an unsubscribed unit's old-form repository_url becomes <base>/<channel>; distfeed-setup runs; twice changes nothing", () => {
  for (const [before, channel, after] of [
    ["https://updates.nethsecurity.nethserver.org", "stable", "https://updates.nethsecurity.nethserver.org/stable"],
    ["https://updates.nethsecurity.nethserver.org/", "dev", "https://updates.nethsecurity.nethserver.org/dev"],
    ["https://updates.nethsecurity.nethserver.org/stable", "dev", "https://updates.nethsecurity.nethserver.org/dev"],
    ["https://mirror.example.org/nethsecurity", "stable", "https://mirror.example.org/nethsecurity"],
  ]) {
    const dir = testdir({ ...RELEASE_FILES, "/etc/repo-channel": `${channel}\n`, "/etc/config/ns-plug": `\nconfig main 'config'\n\toption repository_url '${before}'\n` });
    try {
      dir.standin("uci", `exec node --import tsx '${UCI_STANDIN}' "$@"`);
      installDistfeedSetup(dir);
      const first = run20(dir);
      assert.is(first.status, 0, first.stderr);
      assert.is(repositoryUrl(dir), after, `${before} (${channel})`);
      assert.ok(dir.exists(`${LISTS}/99-defaults.list`), "distfeed-setup ran");
      assert.match(dir.read(`${LISTS}/99-defaults.list`), new RegExp(`repo_channel=${channel}\\n`));
      const config = dir.read("/etc/config/ns-plug");
      const crontab = dir.read("/etc/crontabs/root");
      const second = run20(dir);
      assert.is(second.status, 0, second.stderr);
      assert.is(dir.read("/etc/config/ns-plug"), config, "second run: config unchanged");
      assert.is(dir.read("/etc/crontabs/root"), crontab, "second run: crontab unchanged");
    } finally {
      dir.cleanup();
    }
  }
});

test("20_ns-plug: a subscribed unit's repository_url is left as it is", () => {
  const url = `https://${SYSTEM_ID}:${SECRET}@distfeed.nethesis.it/repository/enterprise/nethsecurity`;
  const dir = testdir({ ...RELEASE_FILES, "/etc/config/ns-plug": config(true).replace(/repository_url '[^']*'/, `repository_url '${url}'`) });
  try {
    dir.standin("uci", `exec node --import tsx '${UCI_STANDIN}' "$@"`);
    const r = run20(dir);
    assert.is(r.status, 0, r.stderr);
    assert.is(repositoryUrl(dir), url);
  } finally {
    dir.cleanup();
  }
});

test("register / unregister (the bundle, loopback portal) with the shipped hooks installed: the subscription feed appears 0600, then goes; automatic updates on, then off", async () => {
  const sys = DEMO_SYSTEMS[0]!;
  const portal = await startPortal();
  const dir = routerRoot();
  try {
    for (const [p, text] of Object.entries(RELEASE_FILES)) if (p !== "/etc/repo-channel") dir.write(p, text);
    for (const kind of ["register", "unregister"]) {
      for (const name of readdirSync(join(REPO, "hooks", kind)).filter((f) => !f.endsWith(".md"))) {
        dir.write(`/usr/share/ns-plug/hooks/${kind}/${name}`, readFileSync(join(REPO, "hooks", kind, name), "utf8"), 0o755);
      }
    }
    installDistfeedSetup(dir);
    dir.standin("/usr/libexec/ns-api/schedule-automatic-updates");

    const reg = await runBundle(["register", sys.type, sys.secret], { dir, env: portal.env });
    assert.is(reg.code, 0, reg.stderr);
    assert.is(dir.mode(`${LISTS}/01-enterprise.list`), 0o600);
    assert.match(dir.read(`${LISTS}/01-enterprise.list`), new RegExp(`^set endpoint=${sys.uuid}:${sys.secret}@distfeed\\.nethesis\\.it/repository/${sys.type}/nethsecurity$`, "m"));
    assert.ok(dir.calls().includes("/usr/libexec/ns-api/schedule-automatic-updates add"));

    const unreg = await runBundle(["unregister"], { dir, env: portal.env });
    assert.is(unreg.code, 0, unreg.stderr);
    assert.not.ok(dir.exists(`${LISTS}/01-enterprise.list`));
    assert.ok(dir.exists(`${LISTS}/99-defaults.list`));
    assert.ok(dir.calls().includes("/usr/libexec/ns-api/schedule-automatic-updates remove"));
    assert.not.ok((reg.stderr + unreg.stderr).includes(sys.secret));
  } finally {
    await portal.close();
    dir.cleanup();
  }
});

test.run();
