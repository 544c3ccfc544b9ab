// ns.subscription through the generated plugin file, against a test root.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { call } from "../helpers/rpcd";
import { testdir } from "../helpers/testdir";

test("inventory-status: not attempted, then what send-inventory wrote", async () => {
  const dir = testdir();
  try {
    assert.equal((await call(dir, "ns.subscription", "inventory-status")).answer, { status: "not attempted" });
    const sent = { status: "success", last_attempt: "2025-06-02T03:05:12+02:00" };
    dir.write("/tmp/inventory-sent.json", JSON.stringify(sent));
    assert.equal((await call(dir, "ns.subscription", "inventory-status")).answer, sent);
    dir.write("/tmp/inventory-sent.json", "{garbage");
    assert.equal((await call(dir, "ns.subscription", "inventory-status")).answer, { status: "not attempted" });
  } finally {
    dir.cleanup();
  }
});

// Until the portal feature lands in this build these answer not_implemented, in the error shape.
for (const m of ["register", "unregister", "info", "send-inventory"]) {
  test(`${m}: {"error":"not_implemented"} until the portal feature lands`, async () => {
    const dir = testdir();
    try {
      const { answer } = await call(dir, "ns.subscription", m, { secret: "x" });
      assert.equal(answer, { error: "not_implemented" });
    } finally {
      dir.cleanup();
    }
  });
}

test.run();
