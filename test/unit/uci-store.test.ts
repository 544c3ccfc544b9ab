/**
 * UCI store against real files in a temporary router root: load, edit with
 * libuci's semantics, commit only on change, keep modes.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createFs } from "../../src/platform/fs";
import { makeResolver } from "../../src/platform/paths";
import { NsPlugError } from "../../src/platform/errors";
import { commitPackage, loadPackage, UciPackage } from "../../src/platform/uci/store";

let root = "";
const fs = () => createFs(makeResolver(root));
const file = (name: string) => join(root, "etc/config", name);
const write = (name: string, text: string, mode?: number) => {
  writeFileSync(file(name), text);
  if (mode !== undefined) chmodSync(file(name), mode);
};
const read = (name: string) => readFileSync(file(name), "utf8");
const mode = (name: string) => statSync(file(name)).mode & 0o777;
const throwsNsPlug = (fn: () => unknown, re: RegExp) => {
  try {
    fn();
  } catch (e) {
    assert.instance(e, NsPlugError);
    assert.is((e as NsPlugError).exitCode, 1);
    assert.match((e as Error).message, re);
    return;
  }
  assert.unreachable("should have thrown");
};

test.before.each(() => {
  root = mkdtempSync(join(tmpdir(), "uci-store-"));
  mkdirSync(join(root, "etc/config"), { recursive: true });
});
test.after.each(() => rmSync(root, { recursive: true, force: true }));

const NSPLUG = `# ns-plug
config main 'config'
\toption server "https://ctl.example"
\toption unit_id 'u-1'
\toption tls_verify 1
`;

test("missing file: empty package, nothing written", async () => {
  const pkg = await loadPackage(fs(), "ns-plug");
  assert.is(pkg.name, "ns-plug");
  assert.equal(pkg.sections(), []);
  assert.is(pkg.changed, false);
  assert.is(await commitPackage(fs(), pkg), false);
  assert.is(existsSync(file("ns-plug")), false);
});

test("getters: get, getString, getList", async () => {
  write("rpcd", "config login\n\toption username 'root'\n\tlist read '*'\n\tlist read x\n");
  const pkg = await loadPackage(fs(), "rpcd");
  const name = pkg.sectionsOfType("login")[0]!.name;
  assert.is(name, "cfg01f8be");
  assert.is(pkg.get(name, "username"), "root");
  assert.equal(pkg.get(name, "read"), ["*", "x"]);
  assert.is(pkg.getString(name, "read"), undefined);
  assert.equal(pkg.getList(name, "username"), ["root"]);
  assert.equal(pkg.getList(name, "nothing"), []);
  assert.equal(pkg.getList("nosection", "read"), []);
  assert.is(pkg.section("nosection"), undefined);
});

test("getString: a string option only; addList on a missing option starts a list", async () => {
  write("x", "config main 'm'\n\toption one 'v'\n\tlist many a\n");
  const pkg = await loadPackage(fs(), "x");
  assert.is(pkg.getString("m", "one"), "v");
  assert.is(pkg.getString("m", "many"), undefined);
  assert.is(pkg.getString("m", "none"), undefined);
  pkg.addList("m", "fresh", "1");
  assert.equal(pkg.get("m", "fresh"), ["1"]);
  pkg.addList("m", "many", "b");
  assert.equal(pkg.get("m", "many"), ["a", "b"]);
  pkg.addList("m", "one", "w"); // a string of more than one character becomes one item, not its letters
  assert.equal(pkg.get("m", "one"), ["v", "w"]);
  pkg.set("m", "two", "xy");
  pkg.addList("m", "two", "z");
  assert.equal(pkg.get("m", "two"), ["xy", "z"]);
});

test("addSection skips a name a hand-named section already holds", async () => {
  // libuci would name the next "rule" cfg0392bd; a hand-written section took that name.
  write("firewall", "config defaults\nconfig zone 'cfg0392bd'\n");
  const pkg = await loadPackage(fs(), "firewall");
  assert.is(pkg.addSection("rule"), "cfg0492bd");
});

test("loadPackage: a read error other than a missing file is not turned into a parse error", async () => {
  mkdirSync(file("adir"));
  await loadPackage(fs(), "adir").then(
    () => assert.unreachable("loaded a directory"),
    (e) => {
      assert.not.instance(e, NsPlugError);
      assert.is((e as { code?: string }).code, "EISDIR");
    },
  );
});

test("no change: file untouched (comments and layout survive), returns false", async () => {
  write("ns-plug", NSPLUG);
  const pkg = await loadPackage(fs(), "ns-plug");
  pkg.set("config", "unit_id", "u-1"); // same value
  pkg.set("config", "unit_id", "u-2");
  pkg.set("config", "unit_id", "u-1"); // reverted
  pkg.setSection("config", "main"); // exists with that type
  assert.is(pkg.changed, false);
  assert.is(await commitPackage(fs(), pkg), false);
  assert.is(read("ns-plug"), NSPLUG);
});

test("set: existing keeps its place, new goes last, '' deletes; commit writes canonical text", async () => {
  write("ns-plug", NSPLUG, 0o600);
  const pkg = await loadPackage(fs(), "ns-plug");
  pkg.set("config", "server", "https://new.example");
  pkg.set("config", "description", "it's \"mine\"");
  pkg.set("config", "tls_verify", "");
  assert.is(pkg.changed, true);
  assert.is(await commitPackage(fs(), pkg), true);
  assert.is(
    read("ns-plug"),
    "\nconfig main 'config'\n\toption server 'https://new.example'\n\toption unit_id 'u-1'\n\toption description 'it'\\''s \"mine\"'\n\n",
  );
  assert.is(mode("ns-plug"), 0o600); // existing mode kept
  assert.is(pkg.changed, false);
  assert.is(await commitPackage(fs(), pkg), false);
});

test("new file: defaultMode, or 0644", async () => {
  const a = await loadPackage(fs(), "a");
  a.setSection("main", "main");
  a.set("main", "token", "s3cret");
  assert.is(await commitPackage(fs(), a, { defaultMode: 0o600 }), true);
  assert.is(mode("a"), 0o600);
  assert.is(read("a"), "\nconfig main 'main'\n\toption token 's3cret'\n\n");
  const b = await loadPackage(fs(), "b");
  b.setSection("x", "t");
  await commitPackage(fs(), b);
  assert.is(mode("b"), 0o644);
});

test("sections: setSection appends or retypes, addSection names like libuci, deleteSection", async () => {
  write("firewall", "config defaults\nconfig zone 'lan'\n");
  const pkg = await loadPackage(fs(), "firewall");
  assert.is(pkg.addSection("rule"), "cfg0392bd");
  pkg.setSection("wan", "zone");
  assert.is(pkg.addSection("rule"), "cfg0592bd");
  pkg.setSection("lan", "zone2");
  pkg.deleteSection("cfg01e63d");
  pkg.deleteSection("nothing");
  assert.equal(
    pkg.sections().map((s) => `${s.type}:${s.name}:${s.anonymous}`),
    ["zone2:lan:false", "rule:cfg0392bd:true", "zone:wan:false", "rule:cfg0592bd:true"],
  );
  assert.equal(pkg.sectionsOfType("rule").length, 2);
  await commitPackage(fs(), pkg);
  assert.is(read("firewall"), "\nconfig zone2 'lan'\n\nconfig rule\n\nconfig zone 'wan'\n\nconfig rule\n\n");
});

test("lists: addList turns a string into [old, item] in place; delList; set with an array", async () => {
  write("rsyslog", "config syslog 'syslog'\n\toption includes 'a'\n\toption port 514\n");
  const pkg = await loadPackage(fs(), "rsyslog");
  pkg.addList("syslog", "includes", "b");
  pkg.addList("syslog", "includes", "c");
  pkg.addList("syslog", "new", "x");
  assert.equal([...pkg.section("syslog")!.options.keys()], ["includes", "port", "new"]);
  assert.equal(pkg.getList("syslog", "includes"), ["a", "b", "c"]);
  pkg.delList("syslog", "includes", "b");
  pkg.delList("syslog", "port", "514"); // a string is left alone, as in libuci
  pkg.delList("syslog", "new", "x"); // emptied list is gone
  pkg.delList("nosection", "x", "y");
  assert.equal(pkg.get("syslog", "includes"), ["a", "c"]);
  assert.is(pkg.get("syslog", "port"), "514");
  assert.is(pkg.get("syslog", "new"), undefined);
  pkg.set("syslog", "port", ["1", "2"]);
  await commitPackage(fs(), pkg);
  assert.is(read("rsyslog"), "\nconfig syslog 'syslog'\n\tlist includes 'a'\n\tlist includes 'c'\n\tlist port '1'\n\tlist port '2'\n\n");
  pkg.set("syslog", "port", []);
  pkg.delete("syslog", "includes");
  pkg.delete("nosection", "includes");
  assert.equal([...pkg.section("syslog")!.options.keys()], []);
});

test("get hands out copies: mutating them does not change the package", async () => {
  const pkg = new UciPackage("p");
  pkg.setSection("s", "t");
  pkg.set("s", "l", ["a"]);
  (pkg.get("s", "l") as string[]).push("b");
  pkg.getList("s", "l").push("c");
  assert.equal(pkg.get("s", "l"), ["a"]);
});

test("invalid names and missing sections throw NsPlugError(1)", async () => {
  const pkg = new UciPackage("p");
  throwsNsPlug(() => pkg.setSection("a-b", "t"), /invalid section name 'a-b'/);
  throwsNsPlug(() => pkg.setSection("a", "t t"), /invalid section type 't t'/);
  throwsNsPlug(() => pkg.addSection(""), /invalid section type/);
  pkg.setSection("s", "my-type");
  throwsNsPlug(() => pkg.set("s", "a.b", "v"), /invalid option name 'a.b'/);
  throwsNsPlug(() => pkg.addList("s", "", "v"), /invalid option name/);
  throwsNsPlug(() => pkg.set("missing", "a", "v"), /p\.missing: no such section/);
  throwsNsPlug(() => pkg.addList("missing", "a", "v"), /no such section/);
  await loadPackage(fs(), "../passwd").then(
    () => assert.unreachable("should have thrown"),
    (e) => assert.match((e as Error).message, /invalid config name/),
  );
});

test("parse error: NsPlugError(1, '<file>:<line>: <reason>')", async () => {
  write("bad", "config t\n\toption a 'ok'\n\toption b 'unterminated\n");
  try {
    await loadPackage(fs(), "bad");
    assert.unreachable("should have thrown");
  } catch (e) {
    assert.instance(e, NsPlugError);
    assert.is((e as NsPlugError).exitCode, 1);
    assert.is((e as Error).message, "/etc/config/bad:3: EOF with unterminated '");
  }
});

test.run();
