// Bad input corpus: whatever arrives on stdin, the plugin answers with one
// JSON object — a validation or error object for bad input — and changes nothing.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { bundleEnv } from "../helpers/bundle";
import { call, onlyJson, pluginFile, type Plugin } from "../helpers/rpcd";
import { testdir } from "../helpers/testdir";

const CONFIG = "\nconfig main 'config'\n\toption server 'https://ctl.example.org'\n\toption description 'keep'\n";
const KIB64 = 64 * 1024;

const isFailure = (a: Record<string, unknown>) => {
  if (typeof a.error === "string") return /^[a-z][a-z0-9_]*$/.test(a.error) && Object.keys(a).length === 1;
  const v = a.validation as { errors?: Array<Record<string, unknown>> } | undefined;
  return Object.keys(a).length === 1 && Array.isArray(v?.errors) && v!.errors!.length > 0 &&
    v!.errors!.every((e) => typeof e.parameter === "string" && typeof e.message === "string" && "value" in e);
};

const truncated = JSON.stringify({ join_code: "eyJ".repeat(30000), tls_verify: true }).slice(0, KIB64);
const CORPUS: Array<[string, string | Buffer]> = [
  ["empty stdin", ""],
  ["{ }", "{ }"],
  ["non-JSON", "hello world"],
  ["truncated JSON", '{"join_code":"abc'],
  ["truncated at 64 KiB", truncated],
  ["a JSON array", "[1,2,3]"],
  ["a JSON string", '"text"'],
  ["JSON null", "null"],
  ["wrong types", JSON.stringify({ join_code: ["a"], tls_verify: "maybe", unit_name: { a: 1 }, description: 1.5e400 })],
  ["booleans for strings", JSON.stringify({ join_code: true, description: false, passphrase: true, secret: true })],
  ["64 KiB of junk", randomBytes(KIB64)],
  ["64 KiB of printable junk", "x".repeat(KIB64)],
  ["more than 64 KiB", Buffer.alloc(KIB64 * 4, "{")],
  ["NUL bytes", Buffer.from([0x7b, 0, 0x7d])],
];

const TARGETS: Array<[Plugin, string]> = [
  ["ns.plug", "register"],
  ["ns.plug", "update"],
  ["ns.backup", "set-passphrase"],
];

for (const [plugin, method] of TARGETS) {
  test(`${plugin} ${method}: bad input corpus → one validation/error object, nothing changed`, async () => {
    const dir = testdir({ "/etc/config/ns-plug": CONFIG });
    try {
      for (const [label, input] of CORPUS) {
        const { answer, run } = await call(dir, plugin, method, input);
        assert.ok(isFailure(answer), `${label}: ${JSON.stringify(answer)} ${run.stderr}`);
        assert.is(dir.read("/etc/config/ns-plug"), CONFIG, label);
        assert.not.ok(dir.exists("/etc/backup.pass"), label);
      }
      assert.equal(dir.calls(), []);
    } finally {
      dir.cleanup();
    }
  });
}

test("the specific answers: invalid_json, arguments_not_object, input_too_large, required", async () => {
  const dir = testdir({ "/etc/config/ns-plug": CONFIG });
  try {
    const a = async (input: string | Buffer) => (await call(dir, "ns.plug", "register", input)).answer;
    assert.equal(await a("hello"), { error: "invalid_json" });
    assert.equal(await a(truncated), { error: "invalid_json" });
    assert.equal(await a("[]"), { error: "arguments_not_object" });
    assert.equal(await a(Buffer.alloc(KIB64 + 1, " ")), { error: "input_too_large" });
    assert.equal(await a("{ }"), { validation: { errors: [{ parameter: "join_code", message: "required", value: "" }] } });
    assert.equal(await a(JSON.stringify({ join_code: "", unit_name: ["x"] })), {
      validation: { errors: [
        { parameter: "join_code", message: "required", value: "" },
        { parameter: "unit_name", message: "must_be_string", value: "object" },
      ] },
    });
  } finally {
    dir.cleanup();
  }
});

test("extra keys and rpcd's loose forms are accepted", async () => {
  const dir = testdir({ "/etc/config/ns-plug": CONFIG });
  try {
    const { answer } = await call(dir, "ns.plug", "update", '{"ubus_rpc_session":"0123456789abcdef","description":1.500000,"x":{"y":[1]}}');
    assert.equal(answer, { result: "success" });
    assert.match(dir.read("/etc/config/ns-plug"), "\toption description '1.5'\n");
  } finally {
    dir.cleanup();
  }
});

test("secrets given in arguments never come back in a validation answer", async () => {
  const dir = testdir();
  try {
    const { answer } = await call(dir, "ns.backup", "set-passphrase", { passphrase: "line1\nline2-secret" });
    assert.equal(answer, { validation: { errors: [{ parameter: "passphrase", message: "invalid_characters", value: "" }] } });
  } finally {
    dir.cleanup();
  }
});

test("a caller that never closes stdin still gets its one answer", async () => {
  const dir = testdir();
  try {
    const child = spawn(pluginFile("ns.plug"), ["call", "status"], { env: bundleEnv({ dir }), stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (b) => (out += b));
    child.stdin.write("{ }"); // and never end()
    const code = await new Promise((r) => child.on("close", r));
    assert.is(code, 0);
    assert.is(onlyJson(out).status, "unregistered");
  } finally {
    dir.cleanup();
  }
});

test.run();
