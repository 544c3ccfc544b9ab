/**
 * A loopback server that misbehaves in one chosen way, for the fault matrix
 * (issue 9). Every fault a remote (controller, portal, backupd) can show.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startServer, type TestServer } from "../helpers/servers";

export const FAULTS = [
  "refused",
  "hang",
  "http500",
  "html502",
  "garbage200",
  "wrongshape200",
  "tlsmismatch",
  "redirectloop",
  "cutbody",
  "slowbody",
] as const;
export type Fault = (typeof FAULTS)[number];

export interface Chaos {
  fault: Fault;
  url: string;
  /** Extra environment for the bundle (e.g. NODE_EXTRA_CA_CERTS for the TLS case). */
  env: Record<string, string>;
  requests(): number;
  close(): Promise<void>;
}

/** A CA the bundle trusts (via NODE_EXTRA_CA_CERTS) and a leaf for another name: a true name mismatch. */
function mismatchCert(): { key: string; cert: string; caPath: string } {
  const d = mkdtempSync(join(tmpdir(), "nsplug-chaos-"));
  const run = (args: string[]) => execFileSync("openssl", args, { cwd: d, stdio: "ignore" });
  run(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
    "-subj", "/CN=chaos-ca", "-keyout", "ca.key", "-out", "ca.pem"]);
  run(["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-subj", "/CN=wrong.example",
    "-keyout", "leaf.key", "-out", "leaf.csr"]);
  writeFileSync(join(d, "ext"), "subjectAltName=DNS:wrong.example\nextendedKeyUsage=serverAuth\n");
  run(["x509", "-req", "-in", "leaf.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-days", "2",
    "-extfile", "ext", "-out", "leaf.pem"]);
  return { key: readFileSync(join(d, "leaf.key"), "utf8"), cert: readFileSync(join(d, "leaf.pem"), "utf8"), caPath: join(d, "ca.pem") };
}

async function rawServer(onSocket: (s: Socket) => void): Promise<{ server: Server; port: number; count: () => number }> {
  let n = 0;
  const sockets = new Set<Socket>();
  const server = createServer((s) => {
    n++;
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
    s.on("error", () => {});
    onSocket(s);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as { port: number }).port;
  server.on("close", () => sockets.forEach((s) => s.destroy()));
  (server as Server & { killAll?: () => void }).killAll = () => sockets.forEach((s) => s.destroy());
  return { server, port, count: () => n };
}

export async function startChaos(fault: Fault): Promise<Chaos> {
  const done = (srv: TestServer, env: Record<string, string> = {}): Chaos => ({
    fault,
    url: srv.url,
    env,
    requests: () => srv.requests.length,
    close: () => srv.close(),
  });
  switch (fault) {
    case "refused": {
      const { server, port } = await rawServer(() => {});
      await new Promise((r) => server.close(r));
      return { fault, url: `http://127.0.0.1:${port}`, env: {}, requests: () => 0, close: async () => {} };
    }
    case "hang": {
      const { server, port, count } = await rawServer(() => {}); // accept, read nothing, answer nothing
      return {
        fault,
        url: `http://127.0.0.1:${port}`,
        env: {},
        requests: count,
        close: () =>
          new Promise((r) => {
            (server as Server & { killAll: () => void }).killAll();
            server.close(() => r());
          }),
      };
    }
    case "http500":
      return done(await startServer((_q, res) => void res.writeHead(500, { "content-type": "text/plain" }).end("boom")));
    case "html502":
      return done(
        await startServer((_q, res) =>
          void res.writeHead(502, { "content-type": "text/html" }).end("<html><body><h1>502 Bad Gateway</h1></body></html>"),
        ),
      );
    case "garbage200":
      return done(await startServer((_q, res) => void res.writeHead(200, { "content-type": "application/json" }).end("{not json at all")));
    case "wrongshape200":
      return done(
        await startServer((_q, res) =>
          void res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ code: "x", data: [1, 2], uuid: 42, backups: "no" })),
        ),
      );
    case "tlsmismatch": {
      const c = mismatchCert();
      return done(await startServer((_q, res) => void res.writeHead(200).end("{}"), { tls: c }), { NODE_EXTRA_CA_CERTS: c.caPath });
    }
    case "redirectloop":
      return done(await startServer((q, res) => void res.writeHead(302, { location: `${q.path}` }).end()));
    case "cutbody": {
      const { server, port, count } = await rawServer((s) => {
        s.once("data", () => {
          s.write("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{\"code\": 200, \"da");
          setTimeout(() => s.destroy(), 50);
        });
      });
      return { fault, url: `http://127.0.0.1:${port}`, env: {}, requests: count, close: () => new Promise((r) => server.close(() => r())) };
    }
    case "slowbody": {
      const timers = new Set<NodeJS.Timeout>();
      const { server, port, count } = await rawServer((s) => {
        s.once("data", () => {
          s.write("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n");
          // One byte every 2 s: never silent long enough for an idle timeout, never finished.
          const t = setInterval(() => s.write("1\r\n \r\n"), 2000);
          timers.add(t);
          s.on("close", () => clearInterval(t));
        });
      });
      return {
        fault,
        url: `http://127.0.0.1:${port}`,
        env: {},
        requests: count,
        close: () =>
          new Promise((r) => {
            timers.forEach(clearInterval);
            (server as Server & { killAll: () => void }).killAll();
            server.close(() => r());
          }),
      };
    }
  }
}
