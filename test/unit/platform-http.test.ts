import { test } from "uvu";
import * as assert from "uvu/assert";
import { Readable } from "node:stream";
import { createHttp } from "../../src/platform/http";
import { RemoteError } from "../../src/platform/errors";
import { makeCert, sendJson, startServer } from "../helpers/servers";

const http = createHttp({ sleep: async () => {}, random: () => 0.5 });

test("JSON body via serializer, token auth header, answer readable", async () => {
  const srv = await startServer((req, res) => sendJson(res, 200, { echo: req.json() }));
  const res = await http.request({ url: `${srv.url}/x`, json: { a: "it's \"q\"\n" }, auth: { token: "tok-1" } });
  assert.is(res.status, 200);
  assert.equal(JSON.parse(await res.text()), { echo: { a: "it's \"q\"\n" } });
  assert.is(srv.requests[0]!.method, "POST");
  assert.is(srv.requests[0]!.headers.authorization, "token tok-1");
  assert.is(srv.requests[0]!.headers["content-type"], "application/json");
  await srv.close();
});

test("basic auth is built in-process", async () => {
  const srv = await startServer((_req, res) => sendJson(res, 200, {}));
  await (await http.request({ url: srv.url, auth: { basic: { user: "id", password: "p:w $(x)" } } })).dump();
  const h = String(srv.requests[0]!.headers.authorization);
  assert.is(Buffer.from(h.replace(/^Basic /, ""), "base64").toString(), "id:p:w $(x)");
  await srv.close();
});

test("redirects: credentials kept to the same origin, dropped across origins unless keepAuth", async () => {
  const other = await startServer((_req, res) => sendJson(res, 200, {}));
  const srv = await startServer((req, res) => {
    if (req.path === "/same") return void res.writeHead(302, { location: "/final" }).end();
    if (req.path === "/cross") return void res.writeHead(307, { location: `${other.url}/elsewhere` }).end();
    sendJson(res, 200, {});
  });
  const auth = { basic: { user: "u", password: "p" } };
  await (await http.request({ url: `${srv.url}/same`, auth })).dump();
  assert.ok(srv.requests.find((r) => r.path === "/final")!.headers.authorization);
  await (await http.request({ url: `${srv.url}/cross`, auth })).dump();
  assert.is(other.requests[0]!.headers.authorization, undefined);
  await (await http.request({ url: `${srv.url}/cross`, auth, redirects: { max: 3, keepAuth: true } })).dump();
  assert.ok(other.requests[1]!.headers.authorization);
  await srv.close();
  await other.close();
});

test("a redirect loop ends with a clear error", async () => {
  const srv = await startServer((_req, res) => void res.writeHead(302, { location: "/again" }).end());
  await http.request({ url: srv.url, remote: "backupd" }).then(
    () => assert.unreachable(),
    (e: Error) => {
      assert.instance(e, RemoteError);
      assert.match(e.message, /^backupd http:\/\/127\.0\.0\.1:\d+\/: too many redirects$/);
    },
  );
  await srv.close();
});

test("streamed bodies are re-sent after a 307 (factory)", async () => {
  const srv = await startServer((req, res) => {
    if (req.path === "/up") return void res.writeHead(307, { location: "/up2" }).end();
    sendJson(res, 200, { got: req.text.length });
  });
  const res = await http.request({ method: "PUT", url: `${srv.url}/up`, body: () => Readable.from(["abc", "def"]) });
  assert.equal(JSON.parse(await res.text()), { got: 6 });
  await srv.close();
});

test("transient 5xx is retried, then the answer is returned", async () => {
  let n = 0;
  const srv = await startServer((_req, res) => (++n <= 2 ? sendJson(res, 503, {}) : sendJson(res, 200, { n })));
  const res = await http.request({ url: srv.url, retries: 2 });
  assert.is(res.status, 200);
  assert.is(srv.requests.length, 3);
  await res.dump();
  await srv.close();
});

test("connection refused names the remote and the fault, and carries no credentials", async () => {
  const srv = await startServer(() => {});
  const url = `http://user:pw@127.0.0.1:${srv.port}/api?x=1`;
  await srv.close();
  await http.request({ url, remote: "portal" }).then(
    () => assert.unreachable(),
    (e: Error) => assert.is(e.message, `portal http://127.0.0.1:${srv.port}/api: connection refused`),
  );
});

test("an answer that never comes times out", async () => {
  const srv = await startServer(() => {}); // accepts, never answers
  await http.request({ url: srv.url, timeoutMs: 300, remote: "controller" }).then(
    () => assert.unreachable(),
    (e: Error) => assert.match(e.message, /controller .*: no answer \(timed out\)/),
  );
  await srv.close();
});

test("TLS: a self-signed server fails verification, works with tlsVerify false", async () => {
  const cert = makeCert();
  const srv = await startServer((_req, res) => sendJson(res, 200, { ok: true }), { tls: cert });
  await http.request({ url: srv.url, remote: "controller" }).then(
    () => assert.unreachable(),
    (e: Error) => assert.match(e.message, /TLS certificate verification failed/),
  );
  const res = await http.request({ url: srv.url, tlsVerify: false });
  assert.is(res.status, 200);
  await res.dump();
  // The insecure agent must not leak into verified calls made afterwards.
  await http.request({ url: srv.url }).then(
    () => assert.unreachable(),
    (e: Error) => assert.match(e.message, /TLS certificate verification failed/),
  );
  await srv.close();
  await http.close();
});

test.run();
