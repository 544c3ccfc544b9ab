/**
 * Entry point: pick the command by the name we were called by (a link such as
 * /usr/sbin/register) or by the first argument (`ns-plug.js register …`), run
 * it, and exit. This is the only try/catch around commands and the only
 * process.exit of the program.
 */
import { COMMANDS, helpText, type CommandSpec } from "./commands/index";
import { NsPlugError } from "./platform/errors";
import { redact } from "./platform/log";

function basename(p: string | undefined): string {
  const b = (p ?? "").split("/").pop() ?? "";
  return b.endsWith(".js") ? b.slice(0, -3) : b;
}

type Resolved = { name: string; spec: CommandSpec; args: string[] } | { help: boolean; unknown?: string };

function resolve(argv: string[]): Resolved {
  const self = basename(argv[1]);
  const direct = COMMANDS[self];
  if (direct && Object.hasOwn(COMMANDS, self)) return { name: self, spec: direct, args: argv.slice(2) };
  const first = argv[2];
  if (first === undefined) return { help: false };
  if (first === "--help" || first === "-h" || first === "help") return { help: true };
  if (Object.hasOwn(COMMANDS, first)) return { name: first, spec: COMMANDS[first]!, args: argv.slice(3) };
  return { help: false, unknown: first };
}

async function main(argv: string[]): Promise<number> {
  const r = resolve(argv);
  if (!("spec" in r)) {
    if (r.help) {
      process.stdout.write(helpText());
      return 0;
    }
    const self = basename(argv[1]);
    const what = r.unknown ?? (self !== "ns-plug" ? self : undefined);
    process.stderr.write((what ? `ns-plug: unknown command: ${what}\n\n` : "") + helpText());
    return 2;
  }
  // Loaded here, not at the top: `--help` and unknown names never pay for fs/child_process.
  const { createContext } = await import("./platform/context");
  const ctx = createContext(r.name);
  try {
    const { run } = await r.spec.load();
    return await run(ctx, r.args);
  } catch (e) {
    const debug = process.env.NS_PLUG_DEBUG === "1";
    if (e instanceof NsPlugError) {
      process.stderr.write(redact.apply(`ns-plug: ${e.message}`) + "\n");
      if (debug && e.stack) process.stderr.write(redact.apply(e.stack) + "\n");
      return e.exitCode;
    }
    const msg = e instanceof Error ? e.message : String(e);
    process.stderr.write(redact.apply(`ns-plug: ${r.name}: internal error: ${msg.split("\n")[0]}`) + "\n");
    if (debug && e instanceof Error && e.stack) process.stderr.write(redact.apply(e.stack) + "\n");
    return 1;
  } finally {
    await ctx.http.close();
  }
}

main(process.argv).then(
  (code) => process.exit(code),
  (e) => {
    process.stderr.write(`ns-plug: fatal: ${redact.apply(String(e))}\n`);
    process.exit(1);
  },
);
