/**
 * A loopback backupd (the remote backup service) for tests and the demo.
 *
 *   GET    /<type>/api/v2/backup/        list: {"backups": [{id, name, created, size, mimetype}]}
 *                                        (or the old bare array of {file, …} with `legacyList`)
 *   PUT    /<type>/api/v2/backup/<name>  store the body, streamed to disk
 *   GET    /<type>/api/v2/backup/<id>    download
 *   DELETE /<type>/api/v2/backup/<id>    {"result": "success"}
 *
 * HTTP basic auth `systemId:secret` on every request (401 otherwise).
 * Cases: `redirectUrl` is a second origin answering 307 to the real one
 * (credentials must survive it); `fail = 500` answers 500 to everything;
 * `delayMs` holds every answer (after the request body has been received).
 */
import { createHash, randomBytes } from "node:crypto";
import { chmodSync, copyFileSync, createReadStream, createWriteStream, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { fileURLToPath } from "node:url";
import { sendJson, startServer, type RecordedRequest, type TestServer } from "../helpers/servers";

export interface BackupdOptions {
  systemId?: string;
  secret?: string;
  /** Answer the list in the old shape: a bare array of items carrying `file`. */
  legacyList?: boolean;
  /** Where uploads are stored (default: a fresh temp directory, removed by close()). */
  dir?: string;
  host?: string;
  tls?: { key: string; cert: string };
}

export interface StoredBackup {
  id: string;
  name: string;
  created: number;
  size: number;
  mimetype: string;
  /** Path of the stored body on this machine. */
  path: string;
  md5: string;
}

export interface Backupd {
  /** Use as `backup_url`. */
  url: string;
  /** Same service behind a 307 from another origin (another port). */
  redirectUrl: string;
  requests: RecordedRequest[];
  /** Requests the redirecting front received. */
  redirectRequests: RecordedRequest[];
  backups: StoredBackup[];
  /** Answer every request with this status (e.g. 500), or undefined for normal service. */
  fail: number | undefined;
  /** Hold every answer this long, after the request body has arrived. */
  delayMs: number;
  /** Resolves when the body of the next PUT starts arriving (for tests that interrupt an upload). */
  uploadStarted(): Promise<void>;
  /** Add a backup as if it had been uploaded (`id` lets a test pick a hostile one). */
  seed(name: string, content: Buffer | string, opts?: { created?: number; id?: string }): StoredBackup;
  close(): Promise<void>;
}

const PREFIX = /^\/(enterprise|community)\/api\/v2\/backup\/(.*)$/;

function authorized(raw: IncomingMessage, id: string, secret: string): boolean {
  const h = raw.headers.authorization ?? "";
  const m = /^Basic (.+)$/i.exec(h);
  if (!m) return false;
  return Buffer.from(m[1]!, "base64").toString("utf8") === `${id}:${secret}`;
}

export async function startBackupd(opts: BackupdOptions = {}): Promise<Backupd> {
  const systemId = opts.systemId ?? "test-system-id";
  const secret = opts.secret ?? "test-secret";
  const ownDir = opts.dir === undefined;
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), "nsplug-backupd-"));
  const backups: StoredBackup[] = [];
  let lastCreated = 0;
  let uploadWaiters: Array<() => void> = [];

  const nextCreated = (wanted?: number) => {
    // Strictly increasing: two uploads in one second still sort newest first.
    const c = wanted ?? Math.max(Math.floor(Date.now() / 1000), lastCreated + 1);
    lastCreated = Math.max(lastCreated, c);
    return c;
  };
  const store = (name: string, path: string, md5: string, created?: number, id?: string): StoredBackup => {
    const b: StoredBackup = {
      id: id ?? randomBytes(8).toString("hex"),
      name,
      created: nextCreated(created),
      size: statSync(path).size,
      mimetype: name.endsWith(".gpg") ? "application/pgp-encrypted" : "application/gzip",
      path,
      md5,
    };
    backups.push(b);
    return b;
  };

  const state = { fail: undefined as number | undefined, delayMs: 0 };
  const holds = new Set<() => void>();
  const hold = () =>
    state.delayMs
      ? new Promise<void>((r) => {
          const done = () => {
            clearTimeout(timer);
            holds.delete(done);
            r();
          };
          const timer = setTimeout(done, state.delayMs);
          holds.add(done);
        })
      : Promise.resolve();

  const handler = async (req: RecordedRequest, res: ServerResponse, raw: IncomingMessage) => {
    const consume = async () => {
      if (raw.readableEnded) return;
      raw.resume();
      await new Promise((r) => raw.on("end", r).on("error", r).on("close", r));
    };
    if (state.fail !== undefined) {
      await consume();
      await hold();
      return sendJson(res, state.fail, { error: `failing with ${state.fail} (test)` });
    }
    if (!authorized(raw, systemId, secret)) {
      await consume();
      await hold();
      res.setHeader("www-authenticate", 'Basic realm="backupd"');
      return sendJson(res, 401, { error: "unauthorized" });
    }
    const m = PREFIX.exec(req.path);
    if (!m) {
      await consume();
      return sendJson(res, 404, { error: "not found" });
    }
    const rest = decodeURIComponent(m[2]!);
    if (req.method === "GET" && rest === "") {
      await hold();
      const list = backups.map((b) => ({ id: b.id, name: b.name, created: b.created, size: b.size, mimetype: b.mimetype }));
      if (opts.legacyList) return sendJson(res, 200, list.map(({ id, ...o }) => ({ file: id, ...o })));
      return sendJson(res, 200, { backups: list });
    }
    if (req.method === "PUT" && rest !== "" && !rest.includes("/")) {
      const path = join(dir, `${Date.now()}-${randomBytes(4).toString("hex")}`);
      const md5 = createHash("md5");
      raw.once("data", () => uploadWaiters.splice(0).forEach((w) => w()));
      raw.on("data", (c: Buffer) => md5.update(c));
      try {
        await pipeline(raw, createWriteStream(path));
      } catch {
        rmSync(path, { force: true });
        return; // client went away mid-upload
      }
      await hold();
      const b = store(rest, path, md5.digest("hex"));
      return sendJson(res, 200, { result: "success", id: b.id });
    }
    await consume();
    const b = backups.find((x) => x.id === rest);
    if (!b) return sendJson(res, 404, { error: "no such backup" });
    await hold();
    if (req.method === "GET") {
      res.writeHead(200, {
        "content-type": b.mimetype,
        "content-length": b.size,
        "content-disposition": `attachment; filename="${b.name}"`,
      });
      return void (await pipeline(createReadStream(b.path), res).catch(() => {}));
    }
    if (req.method === "DELETE") {
      backups.splice(backups.indexOf(b), 1);
      rmSync(b.path, { force: true });
      return sendJson(res, 200, { result: "success" });
    }
    return sendJson(res, 405, { error: "method not allowed" });
  };

  const server: TestServer = await startServer(handler, { streaming: true, host: opts.host, tls: opts.tls });
  const front: TestServer = await startServer(
    async (req, res, raw) => {
      raw.resume();
      await new Promise((r) => (raw.readableEnded ? r(null) : raw.on("end", r).on("close", r)));
      res.writeHead(307, { location: `${server.url}${req.url}`, "content-length": 0 });
      res.end();
    },
    { streaming: true, host: opts.host, tls: opts.tls },
  );

  return {
    url: server.url,
    redirectUrl: front.url,
    requests: server.requests,
    redirectRequests: front.requests,
    backups,
    get fail() {
      return state.fail;
    },
    set fail(v) {
      state.fail = v;
    },
    get delayMs() {
      return state.delayMs;
    },
    set delayMs(v) {
      state.delayMs = v;
    },
    uploadStarted: () => new Promise<void>((r) => uploadWaiters.push(r)),
    seed(name, content, o = {}) {
      const path = join(dir, `seed-${randomBytes(4).toString("hex")}`);
      const buf = Buffer.from(content);
      writeFileSync(path, buf);
      return store(name, path, createHash("md5").update(buf).digest("hex"), o.created, o.id);
    },
    async close() {
      for (const release of [...holds]) release();
      await Promise.all([server.close(), front.close()]);
      if (ownDir) rmSync(dir, { recursive: true, force: true });
      else for (const b of backups) rmSync(b.path, { force: true });
      uploadWaiters = [];
    },
  };
}

/** The POSIX sh sysupgrade stand-in (test/standins/sysupgrade). */
export const SYSUPGRADE_STANDIN = fileURLToPath(new URL("../standins/sysupgrade", import.meta.url));

/** Put the sysupgrade stand-in into a PATH directory (a test root's bin). */
export function installSysupgrade(binDir: string): void {
  copyFileSync(SYSUPGRADE_STANDIN, join(binDir, "sysupgrade"));
  chmodSync(join(binDir, "sysupgrade"), 0o755);
}
