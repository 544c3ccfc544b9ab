import { test } from "uvu";
import * as assert from "uvu/assert";
import { execFileSync } from "node:child_process";
import { hashPassword, md5Crypt, randomHex, randomSalt, sha512Crypt, verifyPassword } from "../../src/platform/crypt";

const openssl = (alg: "-1" | "-6", salt: string, pw: string) =>
  execFileSync("openssl", ["passwd", alg, "-salt", salt, "-stdin"], { input: pw + "\n" }).toString().trim();

// Lengths around the algorithms' block boundaries (16 for MD5, 64 for SHA-512), multi-byte UTF-8, salts up to the max.
const CASES: Array<[string, string]> = [
  ["password", "saltsalt"],
  ["a", "s"],
  ["x".repeat(15), "abcdefgh"],
  ["x".repeat(16), "abcdefgh"],
  ["x".repeat(17), "abcdefgh"],
  ["y".repeat(63), "0123456789abcdef"],
  ["y".repeat(64), "0123456789abcdef"],
  ["y".repeat(65), "0123456789abcdef"],
  ["z".repeat(200), "./AZaz09"],
  ["héllo wörld €", "Qx9/."],
  ["0123456789abcdef0123456789abcdef", "rAnD0mSaLt123456"],
];

test("$1$ MD5-crypt matches `openssl passwd -1` byte for byte", () => {
  for (const [pw, salt] of CASES) assert.is(md5Crypt(pw, salt), openssl("-1", salt.slice(0, 8), pw), `pw length ${pw.length}`);
});

test("$6$ SHA-512-crypt matches `openssl passwd -6` byte for byte", () => {
  for (const [pw, salt] of CASES) assert.is(sha512Crypt(pw, salt), openssl("-6", salt, pw), `pw length ${pw.length}`);
});

test("hashPassword: $6$ with a fresh 16-character salt each time, verifiable by openssl", () => {
  const pw = randomHex(16);
  const a = hashPassword(pw);
  const b = hashPassword(pw);
  assert.match(a, /^\$6\$[./0-9A-Za-z]{16}\$[./0-9A-Za-z]{86}$/);
  assert.is.not(a, b);
  const salt = a.split("$")[2]!;
  assert.is(openssl("-6", salt, pw), a);
  assert.ok(verifyPassword(pw, a));
  assert.not.ok(verifyPassword(pw + "x", a));
  assert.ok(verifyPassword("password", md5Crypt("password", "abc")));
  assert.not.ok(verifyPassword("password", "plain"));
});

test("random helpers: hex length, salt alphabet, no salt separator accepted", () => {
  assert.match(randomHex(12), /^[0-9a-f]{24}$/);
  assert.is.not(randomHex(12), randomHex(12));
  assert.match(randomSalt(64), /^[./0-9A-Za-z]{64}$/);
  assert.throws(() => sha512Crypt("pw", "a$b"), /salt/);
});

test.run();
