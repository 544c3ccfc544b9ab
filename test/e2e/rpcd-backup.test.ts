// ns.backup through the generated plugin file, against a test root.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { call } from "../helpers/rpcd";
import { testdir } from "../helpers/testdir";

test("set-passphrase writes /etc/backup.pass (0600, atomically), empty removes it", async () => {
  const dir = testdir();
  try {
    assert.equal((await call(dir, "ns.backup", "is-passphrase-set")).answer, { values: { set: false } });
    const { answer, run } = await call(dir, "ns.backup", "set-passphrase", { passphrase: "correct horse 'battery'", ubus_rpc_session: "s" });
    assert.equal(answer, { message: "success" });
    assert.is(dir.read("/etc/backup.pass"), "correct horse 'battery'");
    assert.is(dir.mode("/etc/backup.pass"), 0o600);
    assert.not.match(run.stderr, "horse");
    assert.equal((await call(dir, "ns.backup", "is-passphrase-set")).answer, { values: { set: true } });
    assert.equal((await call(dir, "ns.backup", "set-passphrase", { passphrase: "" })).answer, { message: "success" });
    assert.not.ok(dir.exists("/etc/backup.pass"));
    assert.equal((await call(dir, "ns.backup", "is-passphrase-set")).answer, { values: { set: false } });
  } finally {
    dir.cleanup();
  }
});

test("set-passphrase: missing or multi-line passphrase is a validation error", async () => {
  const dir = testdir();
  try {
    assert.equal((await call(dir, "ns.backup", "set-passphrase", {})).answer, {
      validation: { errors: [{ parameter: "passphrase", message: "required", value: "" }] },
    });
    assert.not.ok(dir.exists("/etc/backup.pass"));
  } finally {
    dir.cleanup();
  }
});

test("an empty /etc/backup.pass is not a passphrase", async () => {
  const dir = testdir({ "/etc/backup.pass": "" });
  try {
    assert.equal((await call(dir, "ns.backup", "is-passphrase-set")).answer, { values: { set: false } });
  } finally {
    dir.cleanup();
  }
});

// Until the backup feature lands in this build these answer not_implemented, in the error shape.
for (const m of ["backup", "restore", "registered-list-backups", "registered-backup", "registered-restore",
  "registered-download-backup", "registered-delete-backup"]) {
  test(`${m}: {"error":"not_implemented"} until the backup feature lands`, async () => {
    const dir = testdir();
    try {
      assert.equal((await call(dir, "ns.backup", m, {})).answer, { error: "not_implemented" });
    } finally {
      dir.cleanup();
    }
  });
}

test.run();
