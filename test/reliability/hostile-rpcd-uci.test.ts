/**
 * Issue 9 §2, hostile rpcd arguments and hostile UCI files.
 * - ns.plug update / register and ns.subscription register with every
 *   hostile value: the value round-trips through /etc/config/ns-plug exactly
 *   (read back with the libuci-compatible parser) or is refused with a
 *   validation/error answer and the file stays byte for byte as it was.
 * - A config already holding hostile values in libuci's own syntax (escaped
 *   quotes, double quotes with backslashes, a value spanning lines, 1 MB, a
 *   `package` line and comments): a commit by the bundle keeps every other
 *   value exactly as libuci reads it. No file gains an option; no shell runs.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { parseUci } from "../../src/platform/uci/codec";
import { onlyJson, pluginFile, runFile } from "../helpers/rpcd";
import { sendJson, startServer, type TestServer } from "../helpers/servers";
import { testdir, type TestDir } from "../helpers/testdir";
import { canaryClean, HOSTILE, uciShape } from "./lib/hostile";

const BASE = "\nconfig main 'config'\n\toption tls_verify '1'\n\toption description 'before'\n";
let portal: TestServer;
/** Outcomes observed at the end of each case (a case that failed early adds nothing). */
const outcomes = new Map<string, number>();
const saw = (kind: string) => outcomes.set(kind, (outcomes.get(kind) ?? 0) + 1);

function root(config = BASE): TestDir {
  const dir = testdir({
    "/etc/config/ns-plug": { content: config, mode: 0o600 },
    "/etc/config/firewall": "\nconfig zone\n\toption name 'lan'\n",
    "/etc/repo-channel": "stable\n",
    "/proc/sys/kernel/hostname": "fw.example\n",
  });
  dir.standin("/etc/init.d/firewall");
  dir.standin("/sbin/hotplug-call");
  return dir;
}

const call = async (dir: TestDir, plugin: string, method: string, args: unknown) => {
  const run = await runFile(pluginFile(plugin), ["call", method], { dir, stdin: JSON.stringify(args), env: { NS_PLUG_ENTERPRISE_PORTAL: portal.url, NS_PLUG_COMMUNITY_PORTAL: portal.url } });
  return { answer: onlyJson(run.stdout, run.stderr), run };
};
const option = (dir: TestDir, key: string) => parseUci(dir.read("/etc/config/ns-plug"), "ns-plug").find((s) => s.name === "config")?.options.get(key);
const refusedAnswer = (a: Record<string, unknown>) => "validation" in a || "error" in a;

test.before(async () => {
  // A portal that knows every secret: the unit's uuid is fixed, the secret is whatever was sent.
  portal = await startServer((req, res) => {
    if (req.path.endsWith("/systems/info")) return sendJson(res, 200, { id: 1, uuid: "3c2b1a00-0000-4000-8000-0000000000aa", subscription: { status: "valid" } });
    sendJson(res, 200, { result: "success" });
  });
});
test.after(() => portal?.close());

const KEYS = ["tls_verify", "description", "unit_name", "server", "token", "unit_id", "type", "system_id", "secret", "api_url", "alerts_url", "inventory_url", "repository_url"];

for (const [name, value] of Object.entries(HOSTILE)) {
  test(`ns.plug update, description: ${name} → round-trips or is refused`, async () => {
    const dir = root();
    try {
      const { answer } = await call(dir, "ns.plug", "update", { description: value });
      const refused = refusedAnswer(answer);
      if (refused) assert.is(dir.read("/etc/config/ns-plug"), BASE, "refused: file untouched");
      else {
        assert.equal(answer, { result: "success" });
        assert.is(option(dir, "description"), value, "exactly the value, as libuci reads it");
      }
      assert.equal(uciShape(dir, "ns-plug", { config: KEYS }), []);
      assert.equal(canaryClean(), []);
      saw(refused ? "update: refused, file untouched" : "update: stored exactly");
    } finally {
      dir.cleanup();
    }
  });
}

const join = (o: Record<string, string>) => Buffer.from(JSON.stringify({ fqdn: "ctl.example.org", token: "tok-1", unit_id: "unit-1", ...o })).toString("base64");
const JOINS: Array<[string, Record<string, string>]> = [
  ["token with a UCI injection", { token: HOSTILE["UCI injection"]! }],
  ["fqdn with $(…)", { fqdn: HOSTILE["$(…)"]! }],
  ["fqdn with a path", { fqdn: "ctl.example.org/../../x" }],
  ["unit_id with a path traversal", { unit_id: HOSTILE["path traversal"]! }],
];
for (const [name, fields] of JOINS) {
  test(`ns.plug register, join code ${name} → join_code_decode_failed, nothing written`, async () => {
    const dir = root();
    try {
      const { answer } = await call(dir, "ns.plug", "register", { join_code: join(fields), tls_verify: true, unit_name: "", description: "" });
      assert.equal(answer, { error: "join_code_decode_failed" });
      assert.is(dir.read("/etc/config/ns-plug"), BASE);
      assert.equal(dir.calls(), []);
      assert.equal(canaryClean(), []);
      saw("register: join code refused, nothing written");
    } finally {
      dir.cleanup();
    }
  });
}

for (const name of ["quote", "escaped quote", "$(…)", "backticks", "unicode", "shell metachars", "newline"]) {
  const secret = HOSTILE[name]!;
  test(`ns.subscription register, secret: ${name} → stored exactly (feed URL percent-encoded) or refused`, async () => {
    const dir = root();
    try {
      const { answer } = await call(dir, "ns.subscription", "register", { secret });
      const refused = refusedAnswer(answer);
      if (refused) assert.is(dir.read("/etc/config/ns-plug"), BASE);
      else {
        assert.equal(answer, { result: "success" });
        assert.is(option(dir, "secret"), secret);
        const feed = String(option(dir, "repository_url"));
        assert.is(decodeURIComponent(new URL(feed).password), secret, "the feed URL carries the secret percent-encoded");
      }
      assert.equal(uciShape(dir, "ns-plug", { config: KEYS }), []);
      assert.equal(canaryClean(), []);
      saw(refused ? "secret: refused, file untouched" : "secret: stored exactly");
    } finally {
      dir.cleanup();
    }
  });
}

/** Hostile values written the way libuci (or an admin) would write them. */
const UCI_FILES: Array<[string, string]> = [
  ["an escaped single quote", "\toption unit_name 'it'\\''s'\n"],
  ["double quotes with backslash escapes", '\toption unit_name "say \\"hi\\" \\\\ back"\n'],
  ["a value spanning two lines", "\toption unit_name 'first line\nup /bin/sh'\n"],
  ["$(…) and backticks", `\toption unit_name '${HOSTILE["$(…)"]}'\n\toption server '${HOSTILE.backticks}'\n`],
  ["a 1 MB value", `\toption unit_name '${HOSTILE["1 MB"]}'\n`],
  ["unicode", `\toption unit_name '${HOSTILE.unicode}'\n`],
  ["a package line, comments and an unquoted word", "\toption unit_name fw01 # trailing comment\n# a comment line\n"],
];
for (const [name, lines] of UCI_FILES) {
  test(`UCI file with ${name} → a commit by the bundle keeps every other value as libuci reads it`, async () => {
    const text = (name.startsWith("a package") ? "package 'ns-plug'\n" : "") + BASE + lines;
    const dir = root(text);
    try {
      const before = parseUci(text, "ns-plug").find((s) => s.name === "config")!;
      const { answer } = await call(dir, "ns.plug", "update", { description: "after" });
      assert.equal(answer, { result: "success" });
      const after = parseUci(dir.read("/etc/config/ns-plug"), "ns-plug").find((s) => s.name === "config")!;
      const others = (m: Map<string, string | string[]>) => [...m].filter(([k]) => k !== "description").sort();
      assert.equal(others(after.options), others(before.options), "other values unchanged");
      assert.is(after.options.get("description"), "after");
      assert.equal(uciShape(dir, "ns-plug", { config: KEYS }), []);
      assert.equal(canaryClean(), []);
      saw("UCI file: other values kept");
    } finally {
      dir.cleanup();
    }
  });
}

test("figures: outcomes observed", () => {
  const total = [...outcomes.values()].reduce((a, b) => a + b, 0);
  const parts = [...outcomes].sort().map(([k, n]) => `${n} ${k}`);
  console.log(`\nFIGURE hostile corpus: rpcd arguments and UCI files: ${total} cases checked to the end: ${parts.join(", ")}`);
  const count = (re: RegExp) => [...outcomes].filter(([k]) => re.test(k)).reduce((a, [, n]) => a + n, 0);
  assert.is(count(/^update:/), Object.keys(HOSTILE).length, "every hostile description stored exactly or refused");
  assert.is(count(/^register:/), JOINS.length);
  assert.is(count(/^secret:/), 7);
  assert.is(count(/^UCI file:/), UCI_FILES.length);
  // Both answers are exercised: some values are stored, some refused.
  assert.ok((outcomes.get("update: refused, file untouched") ?? 0) >= 1 && (outcomes.get("update: stored exactly") ?? 0) >= 1);
});

test.run();
