/**
 * `ns-download [-f] [-l]` (SPEC §10): the system image for this board and
 * its checksum, into /tmp/download. Prints the image path only when the
 * image's sha256 matches `sha256sums`; otherwise removes what it downloaded.
 *
 * repository_url may carry the subscription's credentials
 * (https://<system_id>:<secret>@distfeed…): they are taken out of the URL
 * and sent as an Authorization header built in this process, never put in
 * any argv (the original ran curl with the URL on its command line, so
 * every user of the router could read the secret in /proc/<pid>/cmdline).
 */
import type { Ctx } from "../platform/context";
import type { HttpRequest, HttpResponse } from "../platform/http";
import { NsPlugError, RemoteError } from "../platform/errors";
import { redact } from "../platform/log";
import { regularFile, removeReal, saveHashed, sha256File } from "../platform/download";
import { Version, type ImageFacts } from "./release";

export const DL_DIR = "/tmp/download";
/** The original's name for the checksum list it keeps next to the image. */
export const HASH_FILE = `${DL_DIR}/sha256`;
const MAX_SUMS = 1024 * 1024;

export interface Repository {
  /** repository_url without credentials and without a trailing '/'. */
  base: string;
  auth?: { basic: { user: string; password: string } };
}

/** Pure: repository_url → base URL and credentials (percent-decoded, as curl does). */
export function parseRepositoryUrl(raw: string | undefined): Repository {
  if (!raw) throw new NsPlugError(1, "ns-download: repository_url is not set (ns-plug.config.repository_url)");
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new NsPlugError(1, "ns-download: repository_url is not a URL");
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") throw new NsPlugError(1, "ns-download: repository_url must be http(s)");
  const user = decodeURIComponent(url.username);
  const password = decodeURIComponent(url.password);
  redact.add(password);
  url.username = "";
  url.password = "";
  const base = url.toString().replace(/\/+$/, "");
  return { base, auth: user || password ? { basic: { user, password } } : undefined };
}

/** Pure: the image file name the build publishes for this version and board. */
export function imageName(version: string, board: string): string {
  return `nethsecurity-${version}-${board.replace("/", "-")}-generic-squashfs-combined-efi.img.gz`;
}

/** Pure: the sha256 of `name` in a sha256sums text (`<hex> *<name>` or `<hex>  <name>`), or undefined. */
export function expectedHash(sums: string, name: string): string | undefined {
  for (const line of sums.split("\n")) {
    const m = /^([0-9a-fA-F]{64})\s+\*?(\S+)\s*$/.exec(line);
    if (m && m[2] === name) return m[1]!.toLowerCase();
  }
  return undefined;
}

async function get(ctx: Ctx, repo: Repository, url: string, extra: Partial<HttpRequest> = {}): Promise<HttpResponse> {
  const res = await ctx.http.request({ url, auth: repo.auth, remote: "repository", retries: 2, ...extra });
  if (res.status !== 200) {
    await res.dump();
    throw new RemoteError(`repository ${url}: HTTP ${res.status}`, { status: res.status });
  }
  return res;
}

async function readLimited(res: HttpResponse, max: number): Promise<string> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of res.body) {
    n += (c as Buffer).length;
    if (n > max) {
      res.body.destroy();
      throw new NsPlugError(1, `repository ${res.url}: answer larger than ${max} bytes`);
    }
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}

export async function latestVersion(ctx: Ctx, repo: Repository): Promise<string> {
  const text = (await readLimited(await get(ctx, repo, `${repo.base}/latest_release`, { overallMs: 20_000 }), 4096)).trim();
  const r = Version.safeParse(text);
  if (!r.success) throw new NsPlugError(1, `repository ${repo.base}/latest_release: not a version`);
  return r.data;
}

export interface DownloadOptions {
  force: boolean;
  version: string;
}

/** Download (unless already there) and verify; returns the image's router path. */
export async function downloadImage(ctx: Ctx, repo: Repository, facts: ImageFacts, opts: DownloadOptions): Promise<string> {
  const name = imageName(opts.version, facts.board);
  const image = `${DL_DIR}/${name}`;
  const real = (p: string) => ctx.fs.real(p);
  const dir = `${repo.base}/${opts.version}/targets/${facts.board}`;
  // Private (0700, ours): a link or someone else's directory planted there is moved aside (platform/shared.ts).
  await ctx.fs.mkdirp(DL_DIR, 0o700);
  const removeAll = async () => {
    await ctx.fs.remove(image);
    await ctx.fs.remove(HASH_FILE);
  };
  if (opts.force) await removeAll();

  // A signal mid-download must not leave a partial image behind.
  const temps = new Set<string>();
  const off = ctx.onTerminate(async () => {
    for (const t of temps) await removeReal(t).catch(() => {});
  });
  try {
    let actual: string;
    const have = (await regularFile(real(image))) && (await regularFile(real(HASH_FILE)));
    if (!have) {
      await removeAll();
      const sums = await readLimited(await get(ctx, repo, `${dir}/sha256sums`, { overallMs: 60_000 }), MAX_SUMS);
      await ctx.fs.writeAtomic(HASH_FILE, sums, { mode: 0o600 });
      const res = await get(ctx, repo, `${dir}/${name}`);
      try {
        actual = (await saveHashed(res.body, real(image), { mode: 0o600, onTemp: (t) => temps.add(t) })).sha256;
      } catch (e) {
        await removeAll();
        throw new NsPlugError(1, `ns-download: ${name}: download failed: ${(e as Error).message}`, { cause: e });
      }
    } else {
      actual = await sha256File(real(image));
    }
    const want = expectedHash((await ctx.fs.readIfExists(HASH_FILE)) ?? "", name);
    if (!want || want !== actual) {
      await removeAll();
      throw new NsPlugError(1, want ? `ns-download: ${name}: checksum mismatch, download removed` : `ns-download: ${name}: not listed in sha256sums, download removed`);
    }
    return image;
  } finally {
    off();
  }
}
