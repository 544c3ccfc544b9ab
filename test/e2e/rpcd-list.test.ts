// The generated rpcd fronts: `list` equals the TypeScript table and never
// starts Node; the files are shellcheck-clean; `call` finds the bundle.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RPCD_TABLES } from "../../src/rpcd/tables";
import { BUNDLE, runBundle } from "../helpers/bundle";
import { onlyJson, pluginFile, PLUGINS, runFile } from "../helpers/rpcd";
import { testdir } from "../helpers/testdir";
import { methods as plugMethods } from "../../src/rpcd/plug";
import { methods as subscriptionMethods } from "../../src/rpcd/subscription";
import { methods as backupMethods } from "../../src/rpcd/backup";
import { methods as donMethods } from "../../src/rpcd/don";

// A PATH where no node can be found: only the shell's builtins are left.
const NO_NODE = { PATH: "/nonexistent" };

for (const p of PLUGINS) {
  test(`${p}: generated file, mode 0755, POSIX sh`, () => {
    const f = pluginFile(p);
    assert.is(statSync(f).mode & 0o777, 0o755);
    assert.ok(readFileSync(f, "utf8").startsWith("#!/bin/sh\n"));
  });

  test(`${p} list: the TypeScript table, as valid JSON, with no node in PATH`, async () => {
    const r = await runFile(pluginFile(p), ["list"], { env: NO_NODE });
    assert.is(r.code, 0, r.stderr);
    assert.is(r.stderr, "");
    assert.equal(onlyJson(r.stdout), RPCD_TABLES[p]);
  });

  test(`${p} list through the bundle prints the same bytes`, async () => {
    const viaFront = await runFile(pluginFile(p), ["list"]);
    const viaBundle = await runBundle([p, "list"]);
    assert.is(viaBundle.code, 0);
    assert.is(viaBundle.stdout, viaFront.stdout);
  });
}

test("list starts exactly one program: the shell itself (strace)", () => {
  const dir = mkdtempSync(join(tmpdir(), "rpcd-strace-"));
  try {
    for (const p of PLUGINS) {
      const out = join(dir, `${p}.txt`);
      const r = spawnSync("strace", ["-f", "-qq", "-e", "trace=execve", "-e", "signal=none", "-o", out, pluginFile(p), "list"]);
      assert.is(r.status, 0, `strace failed (is strace installed?): ${r.stderr}`);
      const execs = readFileSync(out, "utf8").split("\n").filter((l) => / = 0$/.test(l));
      assert.is(execs.length, 1, execs.join("\n"));
      assert.match(execs[0]!, pluginFile(p));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the generated files are shellcheck-clean", () => {
  const r = spawnSync("shellcheck", ["--shell=sh", ...PLUGINS.map(pluginFile)], { encoding: "utf8" });
  assert.ok(r.error === undefined, `shellcheck could not run: ${r.error}`);
  assert.is(r.status, 0, r.stdout + r.stderr);
});

test("every table method has a handler and nothing else does", () => {
  assert.equal(Object.keys(plugMethods).sort(), Object.keys(RPCD_TABLES["ns.plug"]).sort());
  assert.equal(Object.keys(subscriptionMethods).sort(), Object.keys(RPCD_TABLES["ns.subscription"]).sort());
  assert.equal(Object.keys(backupMethods).sort(), Object.keys(RPCD_TABLES["ns.backup"]).sort());
  assert.equal(Object.keys(donMethods).sort(), Object.keys(RPCD_TABLES["ns.don"]).sort());
});

test("ACLs: valid JSON in rpcd's shape, every method granted exactly once", () => {
  for (const p of PLUGINS) {
    const acl = JSON.parse(readFileSync(`files/usr/share/rpcd/acl.d/${p}.json`, "utf8")) as Record<string, {
      description: string; read?: { ubus?: Record<string, string[]> }; write?: { ubus?: Record<string, string[]> };
    }>;
    const groups = Object.values(acl);
    assert.is(groups.length, 1);
    const g = groups[0]!;
    assert.type(g.description, "string");
    const granted = [...(g.read?.ubus?.[p] ?? []), ...(g.write?.ubus?.[p] ?? [])];
    assert.equal(granted.slice().sort(), Object.keys(RPCD_TABLES[p]).sort(), p);
    assert.equal(Object.keys({ ...g.read?.ubus, ...g.write?.ubus }), [p]);
  }
});

test("call with no node in PATH: an error object, not silence", async () => {
  const r = await runFile(pluginFile("ns.plug"), ["call", "status"], { env: NO_NODE, stdin: "{}" });
  assert.equal(onlyJson(r.stdout), { error: "node_not_found" });
});

test("a front away from the bundle looks for the installed path", async () => {
  const dir = mkdtempSync(join(tmpdir(), "rpcd-front-"));
  try {
    copyFileSync(pluginFile("ns.plug"), join(dir, "ns.plug"));
    const r = await runFile(join(dir, "ns.plug"), ["call", "status"], { stdin: "{}" });
    assert.equal(onlyJson(r.stdout), { error: "bundle_not_found" });
    // SPEC §7: exit 0 and a silent stderr, or ns-api-server loses the answer; the reason goes to syslog.
    assert.is(r.code, 0);
    assert.is(r.stderr, "");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("installed layout under another root: usr/libexec/rpcd/<p> runs usr/libexec/ns-plug/ns-plug.js", async () => {
  const dir = testdir();
  try {
    mkdirSync(dir.path("/usr/libexec/rpcd"), { recursive: true });
    mkdirSync(dir.path("/usr/libexec/ns-plug"), { recursive: true });
    copyFileSync(pluginFile("ns.plug"), dir.path("/usr/libexec/rpcd/ns.plug"));
    chmodSync(dir.path("/usr/libexec/rpcd/ns.plug"), 0o755);
    copyFileSync(BUNDLE, dir.path("/usr/libexec/ns-plug/ns-plug.js"));
    const r = await runFile(dir.path("/usr/libexec/rpcd/ns.plug"), ["call", "status"], { dir, stdin: "{ }" });
    assert.is(onlyJson(r.stdout, r.stderr).status, "unregistered");
  } finally {
    dir.cleanup();
  }
});

test("protocol misuse: unknown method, unknown verb → one error object", async () => {
  const dir = testdir();
  try {
    for (const [args, error] of [
      [["call", "frobnicate"], "method_not_found"],
      [["call", "__proto__"], "method_not_found"],
      [["call"], "usage"],
      [["lst"], "usage"],
      [[], "usage"],
    ] as const) {
      const r = await runFile(pluginFile("ns.plug"), [...args], { dir, stdin: "{}" });
      assert.equal(onlyJson(r.stdout, r.stderr), { error }, args.join(" "));
    }
    const h = await runFile(pluginFile("ns.backup"), ["--help"], { dir });
    assert.match(h.stdout, "registered-list-backups");
  } finally {
    dir.cleanup();
  }
});

test("the generator's table module is src/rpcd/tables.ts (one source of truth)", () => {
  const src = readFileSync("scripts/gen-rpcd.mjs", "utf8");
  assert.match(src, "src/rpcd/tables.ts");
  // Regenerating gives the same files.
  const before = PLUGINS.map((p) => readFileSync(pluginFile(p), "utf8"));
  execFileSync(process.execPath, ["-e", "import('./scripts/gen-rpcd.mjs').then(m => m.generate('dist'))"]);
  assert.equal(PLUGINS.map((p) => readFileSync(pluginFile(p), "utf8")), before);
});

test.run();
