/**
 * Secret hygiene's runner: every bundle run (CLI or rpcd front) watched by
 * test/helpers/proc-watch.ts, its output kept; and a root's files as text.
 */
import { spawn } from "node:child_process";
import { lstatSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { BUNDLE, bundleEnv } from "../../helpers/bundle";
import { watchDescendants } from "../../helpers/proc-watch";
import { pluginFile } from "../../helpers/rpcd";
import type { TestDir } from "../../helpers/testdir";

export interface Ran {
  name: string;
  code: number | null;
  /** stdout and stderr together (searched); `stdout` alone (parsed). */
  out: string;
  stdout: string;
  /** From the watcher: processes that carried a secret, every argv/environment seen, every process. */
  hits: string[];
  texts: string[];
  seen: string[];
}

export interface Runner {
  runs: Ran[];
  /** Run the bundle (`args`) or an rpcd front (`plugin` + `method`, `stdin` as JSON). */
  run(name: string, how: { args?: string[]; plugin?: string; method?: string; stdin?: unknown }): Promise<Ran>;
}

/** `secrets` is asked at every run: some are only known once earlier runs happened. */
export function watchedRunner(dir: TestDir, env: Record<string, string>, secrets: () => string[]): Runner {
  const runs: Ran[] = [];
  return {
    runs,
    async run(name, how) {
      const [cmd, argv] = how.plugin ? [pluginFile(how.plugin), ["call", how.method!]] : [process.execPath, [BUNDLE, ...how.args!]];
      const child = spawn(cmd, argv, { env: bundleEnv({ dir, env }), stdio: ["pipe", "pipe", "pipe"] });
      const watch = watchDescendants(child.pid!, secrets(), 1);
      let out = "";
      let stdout = "";
      child.stdout!.on("data", (b) => ((out += b), (stdout += b)));
      child.stderr!.on("data", (b) => (out += b));
      child.stdin!.on("error", () => {});
      child.stdin!.end(how.stdin === undefined ? "" : typeof how.stdin === "string" ? how.stdin : JSON.stringify(how.stdin));
      const code = await new Promise<number | null>((r) => child.on("close", (c) => r(c)));
      const rep = watch.stop();
      const r: Ran = { name, code, out, stdout, hits: rep.hits, texts: rep.texts, seen: rep.seen };
      runs.push(r);
      return r;
    },
  };
}

/** Every file under the root, router path → content (latin1: binary files compare byte for byte). */
export function filesOf(root: string, rel = ""): Map<string, string> {
  const out = new Map<string, string>();
  for (const name of readdirSync(join(root, rel))) {
    const p = `${rel}/${name}`;
    const st = lstatSync(join(root, p));
    if (st.isDirectory()) filesOf(root, p).forEach((v, k) => out.set(k, v));
    else if (st.isFile()) out.set(p, readFileSync(join(root, p), "latin1"));
  }
  return out;
}
