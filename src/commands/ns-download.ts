import type { Ctx } from "../platform/context";
import { readNsPlugConfig } from "../config";
import { parseImageFacts } from "../updates/release";
import { downloadImage, latestVersion, parseRepositoryUrl } from "../updates/download";
import { parse, program } from "./cli";

/** `ns-download [-f] [-l]`: download and verify the system image; print its path (SPEC §10). */
export async function run(ctx: Ctx, args: string[]): Promise<number> {
  const cmd = program(ctx, "ns-download", "Download the system image for this board into /tmp/download and verify its sha256.")
    .option("-f, --force", "download again, even if the image is already there")
    .option("-l, --latest", "the latest release (<repository_url>/latest_release), not the running version");
  if (!(await parse(cmd, args))) return 0;
  const o = cmd.opts<{ force?: boolean; latest?: boolean }>();
  const facts = parseImageFacts((await ctx.fs.readIfExists("/etc/os-release")) ?? "");
  const { config } = await readNsPlugConfig(ctx);
  const repo = parseRepositoryUrl(config.repositoryUrl);
  const version = o.latest ? await latestVersion(ctx, repo) : facts.version;
  const image = await downloadImage(ctx, repo, facts, { force: !!o.force, version });
  ctx.print(`${image}\n`);
  return 0;
}
