/**
 * `make demo`: the whole life of a unit against the loopback servers of
 * test/servers/, one line per step. (Grows with each feature.)
 */
import { runBundle } from "../test/helpers/bundle";

async function main(): Promise<number> {
  const help = await runBundle(["--help"]);
  console.log("demo: the bundle's commands:\n" + help.stdout);
  return help.code ?? 1;
}

main().then((c) => (process.exitCode = c));
