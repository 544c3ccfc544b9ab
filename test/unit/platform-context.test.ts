/**
 * platform/context.ts: print() output survives main.ts's immediate
 * process.exit through a pipe (it was cut at 64 KiB), and abandon() runs the
 * onTerminate handlers (rpcd's deadline path uses it to clean up).
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { createContext } from "../../src/platform/context";

const SCRIPT = fileURLToPath(new URL("../fixtures/context-print.ts", import.meta.url));

test("print then process.exit: every byte reaches a slow pipe reader", async () => {
  const size = 3 * 1024 * 1024;
  const child = spawn(process.execPath, ["--import", "tsx", SCRIPT, String(size)], { stdio: ["ignore", "pipe", "inherit"] });
  let got = 0;
  child.stdout.pause();
  setTimeout(() => child.stdout.resume(), 300); // the reader is late: the pipe fills up first
  child.stdout.on("data", (b: Buffer) => (got += b.length));
  const code = await new Promise<number | null>((r) => child.on("close", r));
  assert.is(code, 0);
  assert.is(got, size + 1);
});

test("abandon() runs the onTerminate handlers, and only the subscribed ones", async () => {
  const ctx = createContext("t");
  const ran: string[] = [];
  ctx.onTerminate(async () => void ran.push("a"));
  const off = ctx.onTerminate(() => void ran.push("b"));
  off();
  await ctx.abandon();
  assert.equal(ran, ["a"]);
});

test.run();
