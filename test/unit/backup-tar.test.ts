/**
 * The tar.gz reader and the content digest, against archives made by the
 * real GNU tar in every format it writes (gnu, oldgnu, ustar, pax), with long
 * names, symlinks, directories, modes; and against broken input.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { execFileSync } from "node:child_process";
import { chmodSync, createReadStream, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { gzipSync } from "node:zlib";
import { readTarGz, type TarEntry } from "../../src/platform/tar";
import { digestTarGz, normalisePath } from "../../src/backup/digest";

const work = mkdtempSync(join(tmpdir(), "nsplug-tar-"));
const LONG = `etc/${"deep/".repeat(30)}${"n".repeat(120)}.conf`; // > 255 bytes: needs GNU or pax long names

function tree(name: string): string {
  const root = join(work, name);
  rmSync(root, { recursive: true, force: true });
  mkdirSync(join(root, "etc/config"), { recursive: true });
  writeFileSync(join(root, "etc/config/network"), "config interface 'lan'\n");
  writeFileSync(join(root, "etc/config/firewall"), "config defaults\n");
  mkdirSync(join(root, LONG, ".."), { recursive: true });
  writeFileSync(join(root, LONG), "long\n");
  writeFileSync(join(root, "etc/big.bin"), Buffer.alloc(300_000, 7)); // spans many gzip chunks and tar blocks
  writeFileSync(join(root, "etc/empty"), "");
  symlinkSync("config/network", join(root, "etc/link"));
  chmodSync(join(root, "etc/config/firewall"), 0o600);
  return root;
}

let archives = 0;
function tarGz(root: string, format: string, members: string[] = ["etc"], extra: string[] = []): string {
  const out = join(work, `${format}-${++archives}.tar.gz`); // distinct names, no randomness
  execFileSync("tar", [`--format=${format}`, ...extra, "-czf", out, "-C", root, ...members]);
  return out;
}

async function entries(file: string): Promise<Array<TarEntry & { data: string }>> {
  const out: Array<TarEntry & { data: string }> = [];
  await readTarGz(createReadStream(file), (e) => {
    const rec = { ...e, data: "" };
    out.push(rec);
    const parts: Buffer[] = [];
    return (c) => {
      parts.push(Buffer.from(c));
      rec.data = Buffer.concat(parts).toString("latin1");
    };
  });
  return out;
}

const digest = (file: string) => digestTarGz(createReadStream(file));

for (const format of ["gnu", "oldgnu", "ustar", "pax", "posix"]) {
  test(`reads GNU tar --format=${format}: paths, types, modes, data, link targets`, async () => {
    const root = tree(`t-${format}`);
    // ustar can't hold a 300-byte name; everything else can.
    const members = format === "ustar" ? ["etc/config", "etc/big.bin", "etc/empty", "etc/link"] : ["etc"];
    const es = await entries(tarGz(root, format, members));
    const by = new Map(es.map((e) => [normalisePath(e.path), e]));
    assert.is(by.get("etc/config/network")?.data, "config interface 'lan'\n");
    assert.is(by.get("etc/config/firewall")?.mode, 0o600);
    assert.is(by.get("etc/config/network")?.type, "file");
    assert.is(by.get("etc/big.bin")?.data.length, 300_000);
    assert.is(by.get("etc/empty")?.data, "");
    assert.is(by.get("etc/link")?.type, "symlink");
    assert.is(by.get("etc/link")?.linkname, "config/network");
    assert.is(by.get("etc/config")?.type, "directory");
    if (format !== "ustar") assert.is(by.get(LONG)?.data, "long\n", `long name in ${format}`);
    // No metadata record (pax 'x', GNU 'L') leaks out as an entry.
    assert.ok(es.every((e) => ["file", "directory", "symlink"].includes(e.type)), es.map((e) => e.typeflag).join(","));
  });
}

test("the digest is the same across tar formats, member order and mtimes", async () => {
  const root = tree("same");
  const a = await digest(tarGz(root, "gnu"));
  utimesSync(join(root, "etc/config/network"), new Date(2001, 1, 1), new Date(2001, 1, 1));
  const b = await digest(tarGz(root, "pax"));
  const d = await digest(tarGz(root, "posix", ["etc"], ["--sort=name", "--owner=123", "--group=456", "--mtime=@0"]));
  assert.is(a, b, "mtime and format do not count");
  assert.is(a, d, "owner, group and mtime do not count");
  assert.match(a, /^[0-9a-f]{32}$/);
  const members = ["etc/big.bin", "etc/config", "etc/deep", "etc/empty", "etc/link"];
  const forward = await digest(tarGz(root, "gnu", members));
  const backward = await digest(tarGz(root, "gnu", [...members].reverse()));
  assert.is(forward, backward, "member order does not count");
});

test("the digest changes when a file is added, removed, edited, chmod-ed or a link retargeted", async () => {
  const root = tree("change");
  const base = await digest(tarGz(root, "gnu"));
  const variants: Array<[string, () => void, () => void]> = [
    ["added", () => writeFileSync(join(root, "etc/config/new"), "x"), () => rmSync(join(root, "etc/config/new"))],
    ["removed", () => rmSync(join(root, "etc/empty")), () => writeFileSync(join(root, "etc/empty"), "")],
    ["edited", () => writeFileSync(join(root, "etc/config/network"), "config interface 'wan'\n"),
      () => writeFileSync(join(root, "etc/config/network"), "config interface 'lan'\n")],
    ["chmod", () => chmodSync(join(root, "etc/config/network"), 0o640), () => chmodSync(join(root, "etc/config/network"), 0o644)],
    ["relinked", () => { rmSync(join(root, "etc/link")); symlinkSync("config/firewall", join(root, "etc/link")); },
      () => { rmSync(join(root, "etc/link")); symlinkSync("config/network", join(root, "etc/link")); }],
    ["renamed", () => execFileSync("mv", [join(root, "etc/empty"), join(root, "etc/empty2")]),
      () => execFileSync("mv", [join(root, "etc/empty2"), join(root, "etc/empty")])],
  ];
  for (const [what, change, undo] of variants) {
    change();
    assert.is.not(await digest(tarGz(root, "gnu")), base, `${what} must change the digest`);
    undo();
    assert.is(await digest(tarGz(root, "gnu")), base, `undoing ${what} restores the digest`);
  }
});

test("data moved between two files is a change (entries are not just a bag of bytes)", async () => {
  const root = tree("swap");
  writeFileSync(join(root, "etc/config/a"), "AAAA");
  writeFileSync(join(root, "etc/config/b"), "BBBB");
  const one = await digest(tarGz(root, "gnu"));
  writeFileSync(join(root, "etc/config/a"), "BBBB");
  writeFileSync(join(root, "etc/config/b"), "AAAA");
  assert.is.not(await digest(tarGz(root, "gnu")), one);
});

test("corrupt input is rejected: not gzip, gzip of garbage, truncated archive", async () => {
  const root = tree("bad");
  const good = readFileSync(tarGz(root, "gnu"));
  const cases: Array<[string, Buffer]> = [
    ["not gzip", Buffer.from("hello, this is not an archive")],
    ["garbage tar", gzipSync(Buffer.alloc(2048, 0x41))],
    ["truncated gzip", good.subarray(0, Math.floor(good.length / 2))],
    ["truncated tar", gzipSync(execFileSync("tar", ["-cf", "-", "-C", root, "etc"]).subarray(0, 5000))],
  ];
  for (const [what, buf] of cases) {
    let failed = false;
    await digestTarGz(Readable.from([buf])).catch(() => (failed = true));
    assert.ok(failed, `${what} must be rejected`);
  }
});

test("an empty archive has a digest, and it differs from a non-empty one", async () => {
  const empty = join(work, "empty.tar.gz");
  execFileSync("tar", ["-czf", empty, "-T", "/dev/null"]);
  const root = tree("nonempty");
  const d0 = await digest(empty);
  assert.match(d0, /^[0-9a-f]{32}$/);
  assert.is.not(d0, await digest(tarGz(root, "gnu")));
});

test("paths are normalised: ./etc/x, /etc/x and etc/x are one entry", () => {
  assert.is(normalisePath("./etc/x"), "etc/x");
  assert.is(normalisePath("/etc/x"), "etc/x");
  assert.is(normalisePath("etc/dir/"), "etc/dir");
  assert.is(normalisePath("././etc"), "etc");
});

test.after(() => rmSync(work, { recursive: true, force: true }));
test("digest: an ignored path (acme.sh's http.header) changes nothing, wherever tar spells it; other changes still do", async () => {
  const root = tree("acme");
  mkdirSync(join(root, "etc/acme"), { recursive: true });
  const ignore = ["etc/acme/http.header"];
  const digest = async (f: string) => digestTarGz(createReadStream(f), ignore);
  const base = await digest(tarGz(root, "gnu"));
  writeFileSync(join(root, "etc/acme/http.header"), "Replay-Nonce: 1\n");
  assert.is(await digest(tarGz(root, "gnu")), base, "added header ignored");
  writeFileSync(join(root, "etc/acme/http.header"), "Replay-Nonce: 2\n");
  assert.is(await digest(tarGz(root, "pax", ["./etc"])), base, "rewritten header ignored (./ spelling)");
  assert.is.not(await digestTarGz(createReadStream(tarGz(root, "gnu"))), base, "without the ignore list it counts");
  writeFileSync(join(root, "etc/acme/other"), "x\n");
  assert.is.not(await digest(tarGz(root, "gnu")), base, "another file under /etc/acme counts");
});

test.run();
