/**
 * What the router says about itself, for the package feeds and the image
 * download: /etc/openwrt_release (DISTRIB_TARGET, DISTRIB_ARCH),
 * /etc/openwrt_version, /etc/os-release (VERSION_ID, VERSION, OPENWRT_BOARD)
 * and /etc/repo-channel. Every value ends up in a URL or an apk list file,
 * so each is checked against a narrow pattern: a newline or a space there
 * would add a line to apk's configuration.
 */
import * as z from "zod/mini";
import type { Ctx } from "../platform/context";
import { ConfigError } from "../platform/errors";
import { parseShellVars } from "../platform/shellvars";

const word = (what: string, re: RegExp) => z.string().check(z.regex(re, `${what}: unexpected characters`));
/** A version or a channel: one path segment, never "." or "..". */
const SEGMENT = /^(?!\.{1,2}$)[A-Za-z0-9._+~-]{1,64}$/;
/** An OpenWrt target: "x86/64", "mediatek/filogic". */
const TARGET = /^[A-Za-z0-9_-]{1,32}\/[A-Za-z0-9_-]{1,32}$/;

export const Version = word("version", SEGMENT);
export const Board = word("board", TARGET);

const FeedFacts = z.object({
  target: word("DISTRIB_TARGET", TARGET),
  arch: word("DISTRIB_ARCH", /^[A-Za-z0-9_-]{1,64}$/),
  openwrtVersion: word("/etc/openwrt_version", SEGMENT),
  channel: word("/etc/repo-channel", SEGMENT),
  versionId: word("VERSION_ID", SEGMENT),
});
export type FeedFacts = z.infer<typeof FeedFacts>;

function check<T>(schema: z.ZodMiniType<T>, value: unknown, file: string): T {
  const r = schema.safeParse(value);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new ConfigError(`${file}: ${issue?.path.join(".") || "value"}: ${issue?.message ?? "invalid"}`);
  }
  return r.data;
}

/** Pure: the three files' text → the values the feed files need. */
export function parseFeedFacts(openwrtRelease: string, openwrtVersion: string, osRelease: string, channel: string): FeedFacts {
  const rel = parseShellVars(openwrtRelease);
  const os = parseShellVars(osRelease);
  return check(
    FeedFacts,
    {
      target: rel.DISTRIB_TARGET ?? "",
      arch: rel.DISTRIB_ARCH ?? "",
      openwrtVersion: openwrtVersion.trim().replace(/^v/, ""),
      channel: channel.trim() || "stable",
      versionId: os.VERSION_ID ?? "",
    },
    "/etc/openwrt_release, /etc/openwrt_version, /etc/os-release, /etc/repo-channel",
  );
}

export async function readFeedFacts(ctx: Ctx): Promise<FeedFacts> {
  const read = async (p: string) => (await ctx.fs.readIfExists(p)) ?? "";
  return parseFeedFacts(
    await read("/etc/openwrt_release"),
    await read("/etc/openwrt_version"),
    await read("/etc/os-release"),
    await read("/etc/repo-channel"),
  );
}

export interface ImageFacts {
  /** OPENWRT_BOARD, e.g. "x86/64". */
  board: string;
  /** VERSION of the running image, e.g. "8.5.0". */
  version: string;
}

export function parseImageFacts(osRelease: string): ImageFacts {
  const os = parseShellVars(osRelease);
  return check(z.object({ board: Board, version: Version }), { board: os.OPENWRT_BOARD ?? "", version: os.VERSION ?? "" }, "/etc/os-release");
}
