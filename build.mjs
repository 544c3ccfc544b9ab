// Build: one minified file for Node >= 18, plus the generated rpcd sh fronts.
import { build } from "esbuild";
import { chmodSync, mkdirSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import { builtinModules } from "node:module";
import { deflateRawSync } from "node:zlib";

const out = "dist/ns-plug.js";
// What the router runs: one CommonJS file for Node 18, minified.
const target = { bundle: true, platform: "node", target: "node18", format: "cjs", minify: true, legalComments: "none" };

/*
 * Packages that are large and needed only on some code paths are embedded as
 * a string and compiled on first use. V8 must pre-parse every function of a
 * script at start-up even when it never runs; a string literal is only
 * scanned. undici is ~95% of the bundle, so this is what keeps `--help` and
 * rpcd calls near `node -e 0` (see bench/startup.mjs).
 */
const LAZY = ["undici"];
const lazyPlugin = {
  name: "lazy-packages",
  setup(b) {
    const filter = new RegExp(`^(${LAZY.join("|")})$`);
    b.onResolve({ filter }, (args) => ({ path: args.path, namespace: "lazy" }));
    b.onLoad({ filter: /.*/, namespace: "lazy" }, async (args) => {
      const inner = await build({
        stdin: { contents: `module.exports = require(${JSON.stringify(args.path)});`, resolveDir: process.cwd() },
        ...target,
        write: false,
      });
      // Deflated and base64'd: a third of the bytes every command reads and
      // scans at start (and no escapes in the literal); inflating costs the
      // commands that use it ~2 ms (bench/startup.bench.mjs).
      const packed = deflateRawSync(Buffer.from(inner.outputFiles[0].text), { level: 9 }).toString("base64");
      return {
        contents:
          `const m = { exports: {} };\n` +
          `const code = require("node:zlib").inflateRawSync(Buffer.from(${JSON.stringify(packed)}, "base64")).toString();\n` +
          `new Function("module", "exports", "require", code)(m, m.exports, require);\n` +
          `module.exports = m.exports;\n`,
        loader: "js",
      };
    });
  },
};
mkdirSync("dist", { recursive: true });
const result = await build({
  entryPoints: ["src/main.ts"],
  outfile: out,
  ...target,
  metafile: true,
  write: false,
  logLevel: "warning",
  plugins: [lazyPlugin],
});
// The file on disk: shebang, the loader (build/loader.cjs), the program as a string.
const program = result.outputFiles.find((f) => f.path.endsWith(".js")).text;
const loader = readFileSync("build/loader.cjs", "utf8");
writeFileSync(out, `#!/usr/bin/env node\n${loader}\nnsPlugLoad(${JSON.stringify(program)});\n`);
chmodSync(out, 0o755);

// The bundle must stand alone on the router: no require() of anything but Node built-ins.
const builtins = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);
const external = Object.values(result.metafile.outputs)
  .flatMap((o) => o.imports ?? [])
  .filter((i) => i.external && !builtins.has(i.path) && !i.path.startsWith("node:"));
if (external.length) {
  console.error("build: the bundle requires non-builtin modules:", external.map((i) => i.path).join(", "));
  process.exit(1);
}

// rpcd fronts are generated from the TypeScript method tables (issue 7) when present.
if (existsSync("scripts/gen-rpcd.mjs")) {
  const { generate } = await import("./scripts/gen-rpcd.mjs");
  await generate("dist");
}
writeFileSync("dist/.built", new Date().toISOString() + "\n");
