import { test } from "uvu";
import * as assert from "uvu/assert";
import { createLog, redact } from "../../src/platform/log";
import { makeResolver } from "../../src/platform/paths";

test("log lines carry tag and level, respect the threshold, stay one line", () => {
  const out: string[] = [];
  const log = createLog((l) => out.push(l), "ns-plug", "warning");
  log.info("hidden");
  log.warning("multi\nline");
  log.error("bad");
  assert.equal(out, ["ns-plug: warning: multi line\n", "ns-plug: error: bad\n"]);
  log.setLevel("debug");
  log.debug("now visible");
  assert.is(out.length, 3);
});

test("registered secrets are redacted from every line", () => {
  const out: string[] = [];
  const log = createLog((l) => out.push(l), "t", "debug");
  redact.add("s3cr3t-value");
  redact.add("ab"); // too short to be a secret: ignored, ordinary words survive
  log.info("token=s3cr3t-value and again s3cr3t-value; about");
  assert.is(out[0], "t: info: token=*** and again ***; about\n");
  assert.is(redact.apply("x s3cr3t-value y"), "x *** y");
});

test("paths resolve under the root", () => {
  assert.is(makeResolver("/tmp/r")("/etc/config/ns-plug"), "/tmp/r/etc/config/ns-plug");
  assert.is(makeResolver("/")("/etc/config/ns-plug"), "/etc/config/ns-plug");
  // ".." cannot climb above the root: "/etc/../../x" is "/x" inside it.
  assert.is(makeResolver("/tmp/r")("/etc/../../x"), "/tmp/r/x");
  assert.throws(() => makeResolver("/tmp/r")("etc/x"), /not absolute/);
});

test.run();
