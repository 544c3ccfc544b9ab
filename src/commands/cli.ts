/**
 * commander, configured the same way for every command: no exit call
 * (main.ts owns that), errors become UsageError (exit 2), help goes to stdout.
 */
import { Command, CommanderError } from "commander";
import type { Ctx } from "../platform/context";
import { UsageError } from "../platform/errors";

export function program(ctx: Ctx, name: string, description: string): Command {
  return new Command(name)
    .description(description)
    .exitOverride()
    .allowExcessArguments(false)
    .configureOutput({
      writeOut: (s) => ctx.print(s),
      writeErr: () => {},
      outputError: () => {},
    });
}

/**
 * Parse argv; returns false when help was shown (the command should exit 0).
 * Throws UsageError for bad arguments.
 */
export async function parse(cmd: Command, args: string[]): Promise<boolean> {
  try {
    await cmd.parseAsync(args, { from: "user" });
    return true;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === "commander.helpDisplayed" || e.code === "commander.help" || e.code === "commander.version") {
        return false;
      }
      throw new UsageError(`${cmd.name()}: ${e.message.replace(/^error: /, "")}`);
    }
    throw e;
  }
}
