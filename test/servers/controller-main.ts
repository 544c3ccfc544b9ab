/**
 * The loopback controller as a separate process, for the tunnel lab: it must
 * run inside the server's network namespace (`ip netns exec … node --import
 * tsx test/servers/controller-main.ts '<json options>'`). Two listeners share
 * one token and PKI: the public HTTPS API (register, /api/ingest) on
 * `listen`, and the plain-HTTP API the unit reaches through the tunnel
 * (`vpn_address:api_port`, /ingest) on all addresses.
 * Protocol: stdout gets one JSON line {"ready": {...}} then
 * {"request": {...}} per request; stdin takes lines "approve <unitId>".
 */
import { createInterface } from "node:readline";
import { openPki, startController, type ControllerOptions } from "./controller";
import type { RecordedRequest } from "../helpers/servers";

interface MainOptions extends Omit<ControllerOptions, "pki" | "apiPort"> {
  pkiDir: string;
}

async function main(): Promise<void> {
  const o = JSON.parse(process.argv[2] ?? "{}") as MainOptions;
  const pki = openPki(o.pkiDir);
  const api = await startController({ tls: false, listen: "0.0.0.0", pki, token: o.token });
  const pub = await startController({ ...o, pki, token: api.token, apiPort: api.port });
  const say = (v: unknown) => process.stdout.write(JSON.stringify(v) + "\n");
  const report = (via: string) => (r: RecordedRequest) =>
    say({ request: { via, method: r.method, path: r.path, headers: r.headers, text: r.text } });
  // Report each request once it is recorded (the recorders are plain arrays).
  for (const [via, c] of [["public", pub], ["tunnel", api]] as const) {
    const push = c.requests.push.bind(c.requests);
    c.requests.push = (...items: RecordedRequest[]) => {
      items.forEach(report(via));
      return push(...items);
    };
  }
  say({ ready: { url: pub.url, token: pub.token, apiPort: api.port } });
  const rl = createInterface({ input: process.stdin });
  rl.on("line", (line) => {
    const m = /^approve (\S+)$/.exec(line.trim());
    if (m) void pub.approve(m[1]!).then(() => say({ approved: m[1] }));
  });
  rl.on("close", () => {
    void Promise.all([pub.close(), api.close()]).then(() => process.exit(0));
  });
}

main().catch((e) => {
  process.stderr.write(`controller-main: ${e instanceof Error ? e.stack : e}\n`);
  process.exit(1);
});
