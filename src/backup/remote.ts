/**
 * The backupd client: list, download, upload (streamed PUT), delete.
 * HTTP basic auth is built in-process (never a curl --user in argv) and kept
 * across redirects, like the original's curl --location-trusted. Any answer
 * but 2xx is a failure carrying the status.
 */
import type { Ctx } from "../platform/context";
import type { HttpRequest, HttpResponse } from "../platform/http";
import { displayUrl } from "../platform/http";
import { fileSize, openFileRead } from "../platform/files";
import { parseJson } from "../platform/schema";
import { BackupError } from "./errors";
import { idSegment } from "./ids";
import { normaliseList, type RemoteBackup } from "./list";
import type { RemoteTarget } from "./target";

const REDIRECTS = { max: 5, keepAuth: true };

function hint(status: number): string {
  if (status === 401 || status === 403) return " (system_id/secret refused)";
  if (status === 404) return " (not found)";
  return "";
}

async function call(ctx: Ctx, t: RemoteTarget, what: string, req: Omit<HttpRequest, "auth" | "redirects" | "remote">): Promise<HttpResponse> {
  const res = await ctx.http.request({ ...req, auth: t.auth, redirects: REDIRECTS, remote: "backupd" });
  if (res.status < 200 || res.status > 299) {
    await res.dump();
    throw new BackupError("remote_failed", `${what}: backupd ${displayUrl(req.url)} answered HTTP ${res.status}${hint(res.status)}`);
  }
  return res;
}

/** The server's list answer, unchanged (`--raw`). */
export async function listRaw(ctx: Ctx, t: RemoteTarget): Promise<string> {
  const res = await call(ctx, t, "list backups", { method: "GET", url: t.base, retries: 1 });
  return res.text();
}

export async function listRemote(ctx: Ctx, t: RemoteTarget): Promise<RemoteBackup[]> {
  return normaliseList(parseJson(await listRaw(ctx, t), "list backups: backupd answer"));
}

/** Start a download; the caller streams `body` where it wants. */
export function downloadRemote(ctx: Ctx, t: RemoteTarget, id: string): Promise<HttpResponse> {
  return call(ctx, t, `download ${id}`, { method: "GET", url: t.base + idSegment(id), retries: 1 });
}

export async function deleteRemote(ctx: Ctx, t: RemoteTarget, id: string): Promise<unknown> {
  const res = await call(ctx, t, `delete ${id}`, { method: "DELETE", url: t.base + idSegment(id) });
  const text = await res.text();
  return text.trim() === "" ? { result: "success" } : parseJson(text, `delete ${id}: backupd answer`);
}

/**
 * PUT `<base><name>` with the file streamed from disk (memory stays flat
 * whatever its size). `realPath` is a path on this machine. Returns the
 * server's answer body.
 */
export async function uploadRemote(
  ctx: Ctx,
  t: RemoteTarget,
  realPath: string,
  name: string,
  opts: { retries?: number; overallMs?: number } = {},
): Promise<string> {
  const size = await fileSize(realPath);
  if (size === undefined) throw new BackupError("invalid_backup_file", `upload: ${name}: no such file`);
  const res = await call(ctx, t, `upload ${name}`, {
    method: "PUT",
    url: t.base + idSegment(name),
    headers: { "content-type": "application/octet-stream", "content-length": String(size) },
    // A factory: a redirect or a retry sends the file again from the start.
    body: () => openFileRead(realPath),
    timeoutMs: 120_000,
    retries: opts.retries ?? 0,
    overallMs: opts.overallMs,
  });
  return res.text();
}

/**
 * Enterprise: also POST the upload to the portal's backup proxy. Best
 * effort: a failure is logged, never fatal (SPEC §3.5).
 */
export async function proxyUpload(
  ctx: Ctx,
  t: RemoteTarget,
  realPath: string,
  name: string,
  opts: { overallMs?: number } = {},
): Promise<void> {
  if (!t.proxyUrl) return;
  try {
    const size = await fileSize(realPath);
    const res = await ctx.http.request({
      method: "POST",
      url: t.proxyUrl,
      headers: {
        "content-type": "application/octet-stream",
        "x-filename": name,
        ...(size !== undefined ? { "content-length": String(size) } : {}),
      },
      body: () => openFileRead(realPath),
      auth: t.auth,
      redirects: REDIRECTS,
      remote: "portal",
      timeoutMs: 120_000,
      overallMs: opts.overallMs,
    });
    await res.dump();
    if (res.status < 200 || res.status > 299) {
      ctx.log.warning(`backup proxy ${displayUrl(t.proxyUrl)} answered HTTP ${res.status}${hint(res.status)}`);
    } else ctx.log.info(`backup ${name} also sent to ${displayUrl(t.proxyUrl)}`);
  } catch (e) {
    ctx.log.warning(`backup proxy ${displayUrl(t.proxyUrl)}: ${e instanceof Error ? e.message : String(e)}`);
  }
}
