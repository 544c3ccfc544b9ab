/**
 * `make demo` is the newcomer's first command: run it to the end, exactly as
 * the Makefile does, and hold it to its own verdict line and exit code.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import { REPO } from "../helpers/bundle";

test("the whole-flow demo runs to the end and exits 0", () => {
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  const r = spawnSync(process.execPath, ["--import", "tsx", "demo/run.ts"], { cwd: REPO, env, encoding: "utf8", timeout: 600_000 });
  const out = `${r.stdout}${r.stderr}`;
  assert.is(r.status, 0, out);
  assert.match(r.stdout, /demo: all steps passed/);
  for (const step of ["ns.plug register", "LuCI shows pending", "client.conf written", "register enterprise", "send-backup", "restore pipeline", "portal received the legacy alerts", "unregister"]) {
    assert.ok(r.stdout.includes(step), `demo step missing: ${step}\n${out}`);
  }
  if (process.getuid?.() === 0) assert.match(r.stdout, /LuCI shows connected: address 172\.21\./);
  if (process.getuid?.() === 0) assert.match(r.stdout, /support: ssh -p 981 root@172\.29\.[0-9.]+ \(support key\): support is in: root@/);
  else assert.match(r.stdout, /remote support session SKIPPED/);
  assert.not.match(out, /ent-secret-0001|demo passphrase/, "a secret reached the demo's output");
});

test.run();
