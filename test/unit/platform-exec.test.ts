import { test } from "uvu";
import * as assert from "uvu/assert";
import { chmodSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createExec, which } from "../../src/platform/exec";

const exec = createExec(process.env);

test("argv is passed as is: no shell interprets $(…), quotes or spaces", async () => {
  const nasty = `a b 'c' "d" $(touch /tmp/pwned) ; \`id\``;
  const r = await exec("printf", ["%s", nasty]);
  assert.is(r.code, 0);
  assert.is(r.stdout, nasty);
});

test("stdin is delivered and stdout captured", async () => {
  const r = await exec("cat", [], { stdin: "hello\n" });
  assert.is(r.stdout, "hello\n");
});

test("a secret reaches the child on fd 3, not argv or environment", async () => {
  const r = await exec("sh", ["-c", 'cat <&3; echo; tr "\\0" "\\n" < /proc/$$/cmdline; env'], {
    fds: ["TOPSECRET-123"],
  });
  const [first, ...rest] = r.stdout.split("\n");
  assert.is(first, "TOPSECRET-123");
  assert.not.ok(rest.join("\n").includes("TOPSECRET-123"));
});

test("a child over its timeout is killed and reported", async () => {
  const t0 = Date.now();
  const r = await exec("sleep", ["10"], { timeoutMs: 200 });
  assert.ok(r.timedOut);
  assert.is(r.signal, "SIGTERM");
  assert.ok(Date.now() - t0 < 5000);
});

test("PATH comes from the context: a stand-in first in PATH wins", async () => {
  const d = mkdtempSync(join(tmpdir(), "nsplug-exec-"));
  writeFileSync(join(d, "reload_config"), "#!/bin/sh\necho stand-in\n");
  chmodSync(join(d, "reload_config"), 0o755);
  const e = createExec({ ...process.env, PATH: `${d}:${process.env.PATH}` });
  assert.is((await e("reload_config", [])).stdout, "stand-in\n");
  assert.is(which("reload_config", `${d}:/usr/bin`), join(d, "reload_config"));
  assert.is(which("reload_config", "/nonexistent"), undefined);
  await e("no-such-command-xyz", []).then(
    () => assert.unreachable("should reject"),
    (err: Error) => assert.match(err.message, /command not found/),
  );
});

test("no PATH at all (an OpenVPN hook's environment): procd's default PATH finds ip and is passed on", async () => {
  const e = createExec({ script_type: "route-up" });
  const r = await e("sh", ["-c", 'command -v ip; printf %s "$PATH"']);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /^\/(usr\/)?s?bin\/ip\n/);
  assert.match(r.stdout, /\/usr\/sbin:\/usr\/bin:\/sbin:\/bin$/);
});

test("non-zero exit and stderr are reported", async () => {
  const r = await exec("sh", ["-c", "echo oops >&2; exit 3"]);
  assert.is(r.code, 3);
  assert.is(r.stderr, "oops\n");
});

test.run();
