// rpcd arguments: loose forms rpcd delivers, stdin parsing, validation answers.
import { test } from "uvu";
import * as assert from "uvu/assert";
import * as z from "zod/mini";
import { looseBool, looseInt, looseNumber, looseText, toBool, toNumber } from "../../src/rpcd/loose";
import { parseArguments, validateArguments } from "../../src/rpcd/protocol";
import { method } from "../../src/rpcd/method";
import { issuesToErrors } from "../../src/rpcd/answer";

test("booleans in every form rpcd and shell callers produce", () => {
  for (const t of [true, 1, "1", "true", "TRUE", "yes", "on", " 1 "]) assert.is(toBool(t), true, String(t));
  for (const f of [false, 0, "0", "false", "no", "off", ""]) assert.is(toBool(f), false, String(f));
  for (const bad of [2, -1, 0.5, "2", "maybe", null, [], {}]) assert.is(toBool(bad), undefined, JSON.stringify(bad));
});

test("numbers as blobmsg_format_json prints doubles (1.500000) and as strings", () => {
  assert.is(toNumber(1.5), 1.5);
  assert.is(toNumber(JSON.parse("1.500000")), 1.5);
  assert.is(toNumber("1.500000"), 1.5);
  assert.is(toNumber(" 42 "), 42);
  assert.is(toNumber("-3e2"), -300);
  for (const bad of ["", "1,5", "0x10", "NaN", "Infinity", true, null, Infinity]) assert.is(toNumber(bad), undefined, String(bad));
  assert.is(looseInt().parse(JSON.parse("2.000000")), 2);
  assert.not.ok(looseInt().safeParse(2.5).success);
  assert.not.ok(looseInt(1, 10).safeParse(11).success);
  assert.is(looseNumber().parse("0.25"), 0.25);
});

test("text: numbers become text, control characters and over-long values are refused", () => {
  assert.is(looseText().parse(12), "12");
  assert.is(looseText().parse("l'unità \"x\""), "l'unità \"x\"");
  assert.not.ok(looseText().safeParse("a\nb").success);
  assert.not.ok(looseText().safeParse(true).success);
  assert.not.ok(looseText({ max: 3 }).safeParse("abcd").success);
  assert.not.ok(looseText({ required: true }).safeParse("").success);
  assert.ok(looseText({ controls: true }).safeParse("a\tb").success);
  assert.not.ok(looseText({ controls: true }).safeParse("a\u0000b").success);
});

test("loose schemas: the message of each refusal, default limits at their edges", () => {
  const msg = (schema: { safeParse(v: unknown): { success: boolean; error?: { issues: Array<{ message: string }> } } }, v: unknown) => {
    const r = schema.safeParse(v);
    return r.success ? "ok" : r.error!.issues.map((i) => i.message).join(",");
  };
  assert.is(msg(looseBool(), "maybe"), "must_be_boolean");
  assert.is(msg(looseBool(), " On "), "ok");
  assert.is(msg(looseInt(), 2.5), "must_be_integer");
  assert.is(msg(looseInt(), "x"), "must_be_integer");
  assert.is(msg(looseInt(1, 10), 11), "out_of_range");
  assert.is(msg(looseInt(1, 10), 0), "out_of_range");
  assert.is(msg(looseInt(1, 10), 10), "ok");
  assert.is(msg(looseInt(1, 10), 1), "ok");
  assert.is(msg(looseInt(), 2147483647), "ok");
  assert.is(msg(looseInt(), -2147483648), "ok");
  assert.is(msg(looseInt(), 2147483648), "out_of_range");
  assert.is(msg(looseInt(), -2147483649), "out_of_range");
  assert.is(msg(looseNumber(), "abc"), "must_be_number");
  assert.is(msg(looseText(), NaN), "must_be_string");
  assert.is(msg(looseText(), null), "must_be_string");
  assert.is(msg(looseText({ required: true }), ""), "required");
  assert.is(msg(looseText(), ""), "ok");
  assert.is(msg(looseText(), "x".repeat(4096)), "ok");
  assert.is(msg(looseText(), "x".repeat(4097)), "too_long");
  assert.is(msg(looseText({ max: 3 }), "abc"), "ok");
  for (const c of ["\u0000", "\u001f", "\u007f", "\t", "\r"]) assert.is(msg(looseText(), `a${c}b`), "invalid_characters", JSON.stringify(c));
  assert.is(msg(looseText(), "a b~"), "ok");
  assert.is(msg(looseText({ controls: true }), "a\nb\u007f"), "ok");
  const pat = looseText({ pattern: [/^[a-z]+$/, "must_be_lowercase"] });
  assert.is(msg(pat, "ABC"), "must_be_lowercase");
  assert.is(msg(pat, "abc"), "ok");
  assert.is(msg(pat, ""), "ok", "the pattern applies to a non-empty value only");
  for (const [t, n] of [[".5", 0.5], ["5.", 5], ["+5", 5], ["1e+3", 1000], ["-0.25E-2", -0.0025]] as const) assert.is(toNumber(t), n, t);
  for (const bad of ["1e", "e5", ".", "1.2.3", "- 1", "1 2"]) assert.is(toNumber(bad), undefined, bad);
  assert.is(toNumber(-0), -0);
  for (const [t, n] of [["12.5", 12.5], [".25", 0.25], ["1e10", 1e10], ["10.75", 10.75]] as const) assert.is(toNumber(t), n, t);
  for (const bad of [[5], ["7"], new Date(0)]) assert.is(toNumber(bad), undefined, "only numbers and strings");
});

test("stdin: empty and `{ }` are no arguments; nulls are dropped", () => {
  assert.equal(parseArguments(""), { args: {} });
  assert.equal(parseArguments(" \n"), { args: {} });
  assert.equal(parseArguments("{ }"), { args: {} });
  assert.equal(parseArguments('{"a":null,"b":1}'), { args: { b: 1 } });
});

test("stdin: non-JSON, truncated JSON and non-objects are error answers", () => {
  assert.equal(parseArguments("hello"), { answer: { error: "invalid_json" } });
  assert.equal(parseArguments('{"join_code":"abc'), { answer: { error: "invalid_json" } });
  assert.equal(parseArguments("[1,2]"), { answer: { error: "arguments_not_object" } });
  assert.equal(parseArguments("42"), { answer: { error: "arguments_not_object" } });
  assert.equal(parseArguments("null"), { answer: { error: "arguments_not_object" } });
});

const m = method({
  args: z.object({ name: looseText({ required: true }), flag: z.optional(looseBool()), secret: z.optional(looseText()) }),
  secrets: ["secret"],
  run: async () => ({}),
});

test("validation: extra keys ignored, loose values coerced", () => {
  const r = validateArguments(m, { name: "x", flag: "1", ubus_rpc_session: "0123", other: [1] });
  assert.equal(r, { value: { name: "x", flag: true } });
});

test("validation answer: one entry per parameter, snake_case messages, secrets not echoed", () => {
  const r = validateArguments(m, { flag: "perhaps", secret: 5, name: undefined });
  assert.ok("answer" in r);
  const errors = (r as { answer: { validation: { errors: unknown[] } } }).answer.validation.errors;
  assert.equal(errors, [
    { parameter: "name", message: "required", value: "" },
    { parameter: "flag", message: "must_be_boolean", value: "perhaps" },
  ]);
  const s = validateArguments(m, { name: "x", secret: { a: 1 } });
  assert.equal((s as { answer: unknown }).answer, {
    validation: { errors: [{ parameter: "secret", message: "must_be_string", value: "" }] },
  });
});

test("validation answer: long values are cut, objects are named not echoed", () => {
  const errors = issuesToErrors(
    [{ code: "custom", path: ["a"], message: "too_long" }, { code: "invalid_type", path: ["b"], expected: "string" }],
    { a: "x".repeat(1000), b: { deep: true } },
  );
  assert.is((errors[0]!.value as string).length, 257);
  assert.equal(errors[1], { parameter: "b", message: "must_be_string", value: "object" });
});

test.run();
