/**
 * A loopback NethSecurity controller: /api/units/register and /api/ingest/*
 * as the real one (nethsecurity-controller, SPEC §3.1/§3.7) behaves, with a
 * real easy-rsa PKI so OpenVPN can use what it hands out.
 *
 *   unknown unit          → 403 "unit added to waiting list" (until approve(unitId))
 *   approved unit         → 200 {host, port, ca, cert (easy-rsa text dump + PEM), key,
 *                                promtail_address, promtail_port, [api_port, vpn_address]}
 *   same unit_id, other username than the one registered → 409 (a duplicate firewall)
 *   wrong RegistrationToken → HTTP 401, body code 403 (what the real controller does)
 *   malformed body        → 400
 * Every request is recorded. Used by tests and by the demo.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { randomBytes } from "node:crypto";
import { makeCert, sendJson, startServer, type RecordedRequest, type TestServer } from "../helpers/servers";

const run = promisify(execFile);
const EASYRSA = "/usr/share/easy-rsa/easyrsa";

export interface Pki {
  dir: string;
  caPath: string;
  serverCertPath: string;
  serverKeyPath: string;
  /** Issue (once) a client certificate with CN = unitId, as the controller's `POST /units` does. */
  issueClient(unitId: string): Promise<{ certPath: string; keyPath: string }>;
}

async function easyrsa(dir: string, ...args: string[]): Promise<void> {
  try {
    await run(EASYRSA, args, {
      env: { ...process.env, EASYRSA_BATCH: "1", EASYRSA_PKI: join(dir, "pki"), EASYRSA_ALGO: "ec", EASYRSA_CURVE: "prime256v1" },
      cwd: dir,
    });
  } catch (e) {
    const err = e as { stderr?: string; code?: string };
    if (err.code === "ENOENT") throw new Error(`${EASYRSA} not found: install Debian's easy-rsa (scripts/install-deps.sh)`);
    throw new Error(`easyrsa ${args.join(" ")} failed: ${err.stderr ?? e}`);
  }
}

/** A fresh CA with a server certificate (serverAuth, as `remote-cert-tls server` requires). */
export async function createPki(dir = mkdtempSync(join(tmpdir(), "nsplug-pki-"))): Promise<Pki> {
  await easyrsa(dir, "init-pki");
  await easyrsa(dir, "build-ca", "nopass");
  await easyrsa(dir, "build-server-full", "server", "nopass");
  return openPki(dir);
}

/** A PKI made by createPki, e.g. in another process (the tunnel lab's controller). */
export function openPki(dir: string): Pki {
  const pki = join(dir, "pki");
  const issued = new Map<string, Promise<void>>();
  return {
    dir,
    caPath: join(pki, "ca.crt"),
    serverCertPath: join(pki, "issued", "server.crt"),
    serverKeyPath: join(pki, "private", "server.key"),
    async issueClient(unitId) {
      if (!/^[A-Za-z0-9._-]+$/.test(unitId)) throw new Error(`bad unit id for a certificate: ${unitId}`);
      const certPath = join(pki, "issued", `${unitId}.crt`);
      if (!issued.has(unitId) && !existsSync(certPath)) issued.set(unitId, easyrsa(dir, "build-client-full", unitId, "nopass"));
      await issued.get(unitId);
      return { certPath, keyPath: join(pki, "private", `${unitId}.key`) };
    },
  };
}

export interface ControllerOptions {
  /** RegistrationToken the units must send (default: random). */
  token?: string;
  /** HTTPS with a self-signed certificate (default) or plain HTTP. */
  tls?: boolean;
  /** Listen address (default 127.0.0.1). */
  listen?: string;
  /** OpenVPN endpoint handed to units (default 127.0.0.1 / "1194", a string like the real one). */
  vpnHost?: string;
  vpnPort?: number | string;
  promtailAddress?: string;
  promtailPort?: number | string;
  /** Optional fields of the 200 answer. */
  apiPort?: number | string;
  vpnAddress?: string;
  /** Approve every unit at its first request (the tunnel lab). */
  autoApprove?: boolean;
  /** Units already registered elsewhere: unitId → username (a different username gets 409). */
  registered?: Record<string, string>;
  /** Reuse a PKI (e.g. one shared with an OpenVPN server); default: a new one. */
  pki?: Pki;
  /** Message of the waiting-list 403 (default "unit added to waiting list"). */
  pendingMessage?: string;
}

export interface Controller {
  url: string;
  port: number;
  token: string;
  pki: Pki;
  /** Path of the self-signed HTTPS certificate (NODE_EXTRA_CA_CERTS for tls_verify=1 runs). */
  certPath?: string;
  requests: RecordedRequest[];
  registerRequests(): RecordedRequest[];
  ingestRequests(): RecordedRequest[];
  /** Username/password the unit sent in its successful registration. */
  credentials(unitId: string): { username: string; password: string } | undefined;
  approve(unitId: string): Promise<void>;
  setPendingMessage(message: string): void;
  /** Replace the answer to the next register requests (hostile answers): return undefined to answer normally. */
  override(fn: ((req: RecordedRequest) => { status: number; body: unknown } | undefined) | undefined): void;
  waitFor: TestServer["waitFor"];
  close(): Promise<void>;
}

const str = (v: unknown) => typeof v === "string" && v.length > 0 && v.length < 1024;

export async function startController(opts: ControllerOptions = {}): Promise<Controller> {
  const token = opts.token ?? randomBytes(12).toString("hex");
  const pki = opts.pki ?? (await createPki());
  const approved = new Set<string>();
  const registered = new Map<string, { username: string; password: string }>(
    Object.entries(opts.registered ?? {}).map(([id, username]) => [id, { username, password: "" }]),
  );
  let pendingMessage = opts.pendingMessage ?? "unit added to waiting list";
  let override: ((req: RecordedRequest) => { status: number; body: unknown } | undefined) | undefined;

  async function register(req: RecordedRequest) {
    if (req.headers.registrationtoken !== token) {
      return { status: 401, body: { code: 403, message: "invalid registration token", data: "" } };
    }
    let b: Record<string, unknown>;
    try {
      b = req.json() as Record<string, unknown>;
      if (!b || typeof b !== "object" || !str(b.unit_id) || !str(b.username) || !str(b.password)) throw new Error();
    } catch {
      return { status: 400, body: { code: 400, message: "request fields malformed", data: "" } };
    }
    const unitId = b.unit_id as string;
    const known = registered.get(unitId);
    if (known && known.username !== b.username) {
      return { status: 409, body: { code: 409, message: "unit already registered", data: "" } };
    }
    if (opts.autoApprove) approved.add(unitId);
    if (!approved.has(unitId)) return { status: 403, body: { code: 403, message: pendingMessage, data: "" } };
    const { certPath, keyPath } = await pki.issueClient(unitId);
    registered.set(unitId, { username: b.username as string, password: b.password as string });
    const data: Record<string, unknown> = {
      host: opts.vpnHost ?? "127.0.0.1",
      port: opts.vpnPort ?? "1194",
      ca: readFileSync(pki.caPath, "utf8").trim(),
      cert: readFileSync(certPath, "utf8").trim(), // easy-rsa's text dump, then the PEM
      key: readFileSync(keyPath, "utf8").trim(),
      promtail_address: opts.promtailAddress ?? "127.0.0.1",
      promtail_port: opts.promtailPort ?? "5151",
    };
    if (opts.apiPort !== undefined) data.api_port = opts.apiPort;
    if (opts.vpnAddress !== undefined) data.vpn_address = opts.vpnAddress;
    return { status: 200, body: { code: 200, message: "unit registered successfully", data } };
  }

  function ingest(req: RecordedRequest) {
    const auth = String(req.headers.authorization ?? "");
    const [user, ...rest] = Buffer.from(auth.replace(/^Basic /, ""), "base64").toString().split(":");
    if (!auth.startsWith("Basic ") || rest.join(":") !== token || !user) {
      return { status: 401, body: { code: 401, message: "invalid unit id", data: null } };
    }
    try {
      req.json();
    } catch {
      return { status: 400, body: { code: 400, message: "request fields malformed", data: null } };
    }
    return { status: 200, body: { code: 200, message: "success", data: null } };
  }

  const cert = opts.tls === false ? undefined : makeCert("controller.test", "DNS:localhost,IP:127.0.0.1,IP:::1");
  const server = await startServer(
    async (req, res) => {
      let answer: { status: number; body: unknown };
      if (req.method === "POST" && req.path === "/api/units/register") answer = override?.(req) ?? (await register(req));
      else if (req.method === "POST" && /^\/(api\/)?ingest\/[a-z0-9-]+$/.test(req.path)) answer = ingest(req);
      else answer = { status: 404, body: { code: 404, message: "not found", data: null } };
      sendJson(res, answer.status, answer.body);
    },
    { tls: cert, host: opts.listen },
  );
  return {
    url: server.url,
    port: server.port,
    token,
    pki,
    certPath: cert?.certPath,
    requests: server.requests,
    registerRequests: () => server.requests.filter((r) => r.path === "/api/units/register"),
    ingestRequests: () => server.requests.filter((r) => /ingest\//.test(r.path)),
    credentials: (unitId) => registered.get(unitId),
    async approve(unitId) {
      await pki.issueClient(unitId);
      approved.add(unitId);
    },
    setPendingMessage: (m) => {
      pendingMessage = m;
    },
    override: (fn) => {
      override = fn;
    },
    waitFor: server.waitFor,
    close: server.close,
  };
}
