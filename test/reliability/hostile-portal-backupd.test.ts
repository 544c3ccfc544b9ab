/**
 * Issue 9 §2, hostile portal and backupd answers.
 * - Portal info answers whose `uuid` is built to inject a UCI line, a shell
 *   command or a path: `register` refuses every one (exit 1) and leaves UCI
 *   byte for byte as it was. Hostile values in the other fields are taken
 *   as data: UCI gains nothing, and `subscription-info` / `ns.subscription
 *   info` print them back exactly, as one JSON line.
 * - backupd list entries with hostile ids: `list` prints each id exactly;
 *   `download <id>` (no output: named after the id) writes one file inside
 *   the working directory or refuses; `delete <id>` sends it as ONE path
 *   segment. Nothing is ever written outside the target.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawn } from "node:child_process";
import { mkdirSync, readFileSync } from "node:fs";
import { BUNDLE, bundleEnv, runBundle } from "../helpers/bundle";
import { onlyJson, runFile, pluginFile } from "../helpers/rpcd";
import { sendJson, startServer, type TestServer } from "../helpers/servers";
import { testdir, type TestDir } from "../helpers/testdir";
import { startBackupd, type Backupd } from "../servers/backupd";
import { canaryClean, HOSTILE, uciShape } from "./lib/hostile";
import { diffSnapshots, snapshot } from "./lib/snapshot";

const GOOD_UUID = "5f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0";
const SUBSCRIPTION_KEYS = ["tls_verify", "backup_url", "repository_url", "type", "system_id", "secret", "api_url", "alerts_url", "inventory_url"];
const answers = new Map<string, unknown>();
let portal: TestServer;
let backupd: Backupd;
/** Outcomes observed at the end of each case (a case that failed early adds nothing). */
const outcomes = new Map<string, number>();
const saw = (kind: string) => outcomes.set(kind, (outcomes.get(kind) ?? 0) + 1);

function root(): TestDir {
  const dir = testdir({
    "/etc/config/ns-plug": { content: "\nconfig main 'config'\n\toption tls_verify '1'\n\toption backup_url 'https://backupd.nethesis.it'\n", mode: 0o600 },
    "/etc/repo-channel": "stable\n",
  });
  dir.standin("/sbin/hotplug-call");
  return dir;
}

test.before(async () => {
  portal = await startServer((req, res) => {
    if (req.path === "/api/systems/info") {
      const a = answers.get(String((req.json() as { secret?: string }).secret));
      return a === undefined ? sendJson(res, 401, { message: "Unauthorized" }) : sendJson(res, 200, a);
    }
    sendJson(res, 200, { result: "success" }); // heartbeat, inventory, proxy
  });
  backupd = await startBackupd({ systemId: GOOD_UUID, secret: "bk-secret" });
});
test.after(async () => {
  await Promise.all([portal?.close(), backupd?.close()]);
});

const env = () => ({ NS_PLUG_ENTERPRISE_PORTAL: portal.url, NS_PLUG_COMMUNITY_PORTAL: portal.url });

for (const [name, value] of Object.entries(HOSTILE)) {
  test(`portal info answer, uuid: ${name} → register refuses, UCI unchanged`, async () => {
    const secret = `uuid-${name.replace(/\W/g, "")}`;
    answers.set(secret, { id: 1, uuid: value, subscription: { status: "valid" } });
    const dir = root();
    try {
      const before = dir.read("/etc/config/ns-plug");
      const r = await runBundle(["register", "enterprise", secret], { dir, env: env() });
      assert.is(r.code, 1, r.stderr);
      assert.match(r.stderr, /refused the secret|expected/);
      assert.not.match(r.stderr, /^\s+at /m);
      assert.is(dir.read("/etc/config/ns-plug"), before, "UCI byte for byte as it was");
      assert.equal(canaryClean(), []);
      saw("portal uuid: register refused, UCI unchanged");
    } finally {
      dir.cleanup();
    }
  });
}

test("portal info answer, every hostile value in the other fields → data: round-trips, UCI gains nothing", async () => {
  const hostile = Object.fromEntries(Object.entries(HOSTILE).map(([k, v]) => [k, v]));
  const answer = {
    id: HOSTILE.newline, uuid: GOOD_UUID, name: HOSTILE["UCI injection"], extra: hostile,
    subscription: { status: HOSTILE["$(…)"], valid_until: HOSTILE["directive injection"], subscription_plan: { name: HOSTILE["1 MB"] + HOSTILE.unicode } },
  };
  answers.set("fields-secret", answer);
  const dir = root();
  try {
    const r = await runBundle(["register", "enterprise", "fields-secret"], { dir, env: env() });
    assert.is(r.code, 0, r.stderr);
    assert.equal(uciShape(dir, "ns-plug", { config: SUBSCRIPTION_KEYS }), []);
    const info = await runBundle(["subscription-info"], { dir, env: env() });
    assert.is(info.code, 0, info.stderr);
    assert.is(info.stdout.indexOf("\n"), info.stdout.length - 1, "one line");
    assert.equal(JSON.parse(info.stdout), answer, "printed exactly as the portal said it");
    const rpc = await runFile(pluginFile("ns.subscription"), ["call", "info"], { dir, env: env() });
    const summary = onlyJson(rpc.stdout, rpc.stderr);
    assert.is(summary.plan, HOSTILE["1 MB"] + HOSTILE.unicode);
    assert.is(summary.expiration, 0, "an unreadable valid_until is 0, not a crash");
    assert.is(summary.active, false);
    assert.equal(canaryClean(), []);
    saw("portal fields: round-tripped, UCI gained nothing");
  } finally {
    dir.cleanup();
  }
});

// ---- backupd

const IDS: Record<string, string> = {
  "path traversal": "../../etc/shadow",
  "dot-dot": "..",
  dot: ".",
  "slash inside": "a/b",
  "encoded traversal": "%2e%2e%2fetc%2fshadow",
  newline: HOSTILE.newline!,
  NUL: HOSTILE.NUL!,
  quote: HOSTILE.quote!,
  "$(…)": HOSTILE["$(…)"]!,
  backticks: HOSTILE.backticks!,
  unicode: HOSTILE.unicode!,
  "looks like an option": "-rf",
  "600 characters": "b".repeat(600),
};

function inDir(cwd: string, args: string[], dir: TestDir): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BUNDLE, ...args], { cwd, env: bundleEnv({ dir }) });
    let stderr = "";
    child.stderr.on("data", (b) => (stderr += b));
    child.on("close", (code) => resolve({ code, stderr }));
  });
}

/** A refusal: a non-zero exit with one clean line, nothing written (diff empty). */
function refused(code: number | null, stderr: string, diff: string[], what: string): void {
  assert.ok(code === 1 || code === 2, `${what}: exit ${code}: ${stderr}`);
  assert.match(stderr, /invalid backup id|no usable file name|unknown option/, what);
  assert.equal(diff, [], `${what}: nothing written`);
}

for (const [name, id] of Object.entries(IDS)) {
  test(`backupd list entry, id: ${name} → listed exactly, downloaded inside the target or refused, deleted as one segment`, async () => {
    const content = `backup for ${name}\n`;
    backupd.seed("x.tar.gz.gpg", content, { id });
    const dir = testdir({
      "/etc/config/ns-plug": `\nconfig main 'config'\n\toption type 'community'\n\toption system_id '${GOOD_UUID}'\n\toption secret 'bk-secret'\n\toption backup_url '${backupd.url}'\n`,
    });
    try {
      const list = await runBundle(["remote-backup", "list"], { dir });
      assert.is(list.code, 0, list.stderr);
      assert.ok((JSON.parse(list.stdout) as Array<{ file: string }>).some((b) => b.file === id), "listed with its exact id");
      // An id with NUL cannot be an argument (no OS passes one): the CLI steps need a typeable id.
      const typeable = !id.includes("\0");
      const cwd = dir.path("/root/a/b");
      mkdirSync(cwd, { recursive: true });
      let before = snapshot(dir.root);
      if (typeable) {
        const dl = await inDir(cwd, ["remote-backup", "download", id], dir);
        const diff = diffSnapshots(before, snapshot(dir.root));
        assert.not.match(dl.stderr, /^\s+at |internal error/m);
        if (dl.code === 0) {
          assert.is(diff.length, 1, `one file written: ${diff.join(", ")}`);
          assert.match(diff[0]!, /^\+ \/root\/a\/b\/[A-Za-z0-9._+-]+$/, "inside the working directory, a plain name");
          assert.is(readFileSync(dir.path(diff[0]!.slice(2)), "utf8"), content);
          saw("backupd id: CLI download inside the target");
        } else {
          refused(dl.code, dl.stderr, diff, "download");
          saw("backupd id: CLI download refused");
        }
      }
      // LuCI's way (rpcd args on stdin): the file lands in the downloads directory or is refused.
      before = snapshot(dir.root);
      const rpc = await runFile(pluginFile("ns.backup"), ["call", "registered-download-backup"], { dir, stdin: JSON.stringify({ file: id }) });
      const answer = onlyJson(rpc.stdout, rpc.stderr);
      const rdiff = diffSnapshots(before, snapshot(dir.root)).filter((d) => d !== "+ /var/run/ns-api-server" && d !== "+ /var/run/ns-api-server/downloads");
      if (answer.error || answer.validation) {
        assert.equal(rdiff, [], `rpcd download refused (${JSON.stringify(answer)}): nothing written`);
        saw("backupd id: rpcd download refused");
      } else {
        assert.is(rdiff.length, 1, `one file: ${rdiff.join(", ")}`);
        assert.match(rdiff[0]!, /^\+ \/var\/run\/ns-api-server\/downloads\/[A-Za-z0-9._+-]+$/, "inside the downloads directory");
        saw("backupd id: rpcd download inside downloads");
      }
      const n = backupd.requests.length;
      const del = typeable
        ? await runBundle(["remote-backup", "delete", id], { dir })
        : await runFile(pluginFile("ns.backup"), ["call", "registered-delete-backup"], { dir, stdin: JSON.stringify({ id }) });
      const deleted = typeable ? del.code === 0 : !/"error"|"validation"/.test(del.stdout);
      if (deleted) {
        assert.is(backupd.requests[n]!.path, `/community/api/v2/backup/${encodeURIComponent(id)}`, "one path segment");
        assert.not.ok(backupd.backups.some((b) => b.id === id), "deleted");
      } else {
        assert.is(backupd.requests.length, n, "a refused id is never sent");
        backupd.backups.splice(backupd.backups.findIndex((b) => b.id === id), 1);
      }
      assert.equal(canaryClean(), []);
      saw(deleted ? "backupd id: deleted as one segment" : "backupd id: delete refused, never sent");
    } finally {
      dir.cleanup();
    }
  });
}

test("figures: outcomes observed", () => {
  const parts = [...outcomes].sort().map(([k, n]) => `${n} ${k}`);
  console.log(`\nFIGURE hostile corpus: portal answers and backupd list: ${parts.join(", ")}`);
  const count = (re: RegExp) => [...outcomes].filter(([k]) => re.test(k)).reduce((a, [, n]) => a + n, 0);
  assert.is(count(/^portal uuid:/), Object.keys(HOSTILE).length, "every hostile uuid refused with UCI unchanged");
  assert.is(count(/^portal fields:/), 1);
  assert.is(count(/^backupd id: rpcd download/), Object.keys(IDS).length, "every id downloaded inside downloads/ or refused");
  assert.is(count(/^backupd id: (deleted|delete refused)/), Object.keys(IDS).length, "every id deleted as one segment or refused");
  // The traversal ids must be among the refusals, not the downloads.
  assert.ok((outcomes.get("backupd id: rpcd download refused") ?? 0) >= 4, "path traversal, .., . and a/b refused");
});

test.run();
