/**
 * Pure pieces of issue 13's defences: shared-path rules (platform/shared.ts),
 * UCI change sets (uci/store.ts), the tunnel check for vpn_address
 * (controller/tunnel.ts) and rpcd's errno reasons (rpcd/answer.ts).
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { dirProblem, fileProblem, sharedTop } from "../../src/platform/shared";
import { parseUci } from "../../src/platform/uci/codec";
import { applyChanges, diffSections, UciPackage } from "../../src/platform/uci/store";
import { insideTunnel, ipValue, parseNetworks } from "../../src/controller/tunnel";
import { ingestTarget } from "../../src/controller/ingest";
import { parseNsPlugConfig } from "../../src/config";
import { systemReason } from "../../src/rpcd/answer";

const dir = (mode: number, uid = 0) => ({ mode, uid, isDirectory: () => true });
const file = (mode: number, uid = 0) => ({ mode, uid, isFile: () => true });

test("sharedTop: /tmp and /var only, whole components", () => {
  assert.is(sharedTop("/tmp/inventory-sent.json"), "/tmp");
  assert.is(sharedTop("/var/run/x"), "/var");
  assert.is(sharedTop("/var"), "/var");
  assert.is(sharedTop("/variable/x"), undefined);
  assert.is(sharedTop("/etc/config/ns-plug"), undefined);
});

test("dirProblem / fileProblem: ours, closed to others (or sticky), private when asked", () => {
  assert.is(dirProblem(dir(0o755)), undefined);
  assert.is(dirProblem(dir(0o1777)), undefined);
  assert.match(dirProblem(dir(0o777))!, /writable by others/);
  assert.match(dirProblem(dir(0o755, 65534))!, /uid 65534/);
  assert.is(dirProblem(dir(0o700), { private: true }), undefined);
  assert.match(dirProblem(dir(0o1777), { private: true })!, /not private/);
  assert.match(dirProblem({ ...dir(0o755), isDirectory: () => false })!, /not a directory/);
  assert.is(fileProblem(file(0o644)), undefined);
  assert.match(fileProblem(file(0o664))!, /writable/);
  assert.match(fileProblem(file(0o644, 65534))!, /uid 65534/);
});

test("UCI change sets: only this object's edits are replayed on a fresh read", () => {
  const base = "\nconfig main 'config'\n\toption description 'old'\n\toption secret 's'\n\tlist l 'a'\n";
  const mine = new UciPackage("ns-plug", parseUci(base, "x"));
  mine.set("config", "secret", "");
  mine.addList("config", "l", "mine");
  mine.setSection("new", "t");
  mine.set("new", "k", "v");
  const fresh = new UciPackage("ns-plug", parseUci(base.replace("'old'", "'theirs'") + "\tlist l 'theirs'\n", "x"));
  applyChanges(fresh, mine.changes());
  assert.is(fresh.get("config", "description"), "theirs", "not in our change set: kept");
  assert.is(fresh.get("config", "secret"), undefined);
  assert.equal(fresh.get("config", "l"), ["a", "theirs", "mine"]);
  assert.is(fresh.get("new", "k"), "v");
  assert.equal(diffSections(fresh.sections(), fresh.sections()), []);
});

test("vpn_address: only an IP literal inside the tunnel's networks; else the public URL", () => {
  const nets = parseNetworks(JSON.stringify([{ addr_info: [{ family: "inet", local: "172.21.0.5", prefixlen: 16 }, { family: "inet6", local: "fd00::5", prefixlen: 64 }] }]));
  assert.equal(nets.length, 2);
  assert.ok(insideTunnel("172.21.0.1", nets));
  assert.not.ok(insideTunnel("172.22.0.1", nets));
  assert.ok(insideTunnel("fd00::1", nets));
  assert.not.ok(insideTunnel("fd01::1", nets));
  assert.not.ok(insideTunnel("ctl.example.org", nets));
  assert.not.ok(insideTunnel("172.21.0.1", []));
  assert.is(ipValue("::ffff:1.2.3.4")?.value, 0xffff01020304n);
  assert.is(ipValue("1.2.3.256"), undefined);
  const config = parseNsPlugConfig({ server: "https://ctl.example.org", unit_id: "u", token: "t", vpn_address: "172.21.0.1", api_port: "8080" });
  assert.is(ingestTarget(config, nets)!.base, "http://172.21.0.1:8080/ingest");
  assert.is(ingestTarget(config, [])!.base, "https://ctl.example.org/api/ingest");
  const named = parseNsPlugConfig({ server: "https://ctl.example.org", unit_id: "u", token: "t", vpn_address: "evil.example", api_port: "8080" });
  assert.is(ingestTarget(named, nets)!.base, "https://ctl.example.org/api/ingest");
});

test("systemReason: errno codes through causes; anything else is not a system reason", () => {
  const enospc = Object.assign(new Error("write"), { code: "ENOSPC" });
  assert.is(systemReason(enospc), "disk_full");
  assert.is(systemReason(new Error("wrapped", { cause: Object.assign(new Error("x"), { code: "EROFS" }) })), "read_only");
  assert.is(systemReason(Object.assign(new Error("x"), { code: "EACCES" })), "permission_denied");
  assert.is(systemReason(new Error("bug")), undefined);
  assert.is(systemReason(Object.assign(new Error("x"), { code: "ENOENT" })), undefined);
});

test.run();
