/**
 * A real OpenVPN lab: two network namespaces joined by a veth pair.
 *   server ns: the loopback controller (HTTPS API + plain-HTTP tunnel API) and
 *              an OpenVPN server (Debian's openvpn) with the controller's CA
 *   unit ns:   where the test runs /usr/sbin/ns-plug from a test root
 * Names carry the pid and a counter, so parallel runs never collide. Needs
 * root and /dev/net/tun: without them startTunnelLab throws saying so.
 * Used by test/e2e/controller-tunnel.test.ts and by the demo.
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { accessSync, constants, existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { stopChild, waitLine } from "../helpers/child";
import { REPO } from "../helpers/bundle";
import { createPki, type Pki } from "./controller";

let labs = 0;

export interface LabRequest {
  via: "public" | "tunnel";
  method: string;
  path: string;
  headers: Record<string, string>;
  text: string;
}

export interface TunnelLab {
  serverNs: string;
  unitNs: string;
  /** Addresses of the server end of the veth. */
  serverIpv4: string;
  serverIpv6: string;
  /** The controller's public API (HTTPS, self-signed: use tls_verify=0). */
  controllerUrl: string;
  token: string;
  pki: Pki;
  requests: LabRequest[];
  waitForRequest(pred: (r: LabRequest) => boolean, timeoutMs?: number): Promise<LabRequest>;
  approve(unitId: string): void;
  /** Common names the OpenVPN server currently lists as connected clients. */
  connectedClients(): string[];
  /** Run a command in the unit's namespace (argv, no shell). */
  spawnInUnit(cmd: string, args: string[], env: Record<string, string>): ChildProcess;
  close(): Promise<void>;
}

export interface LabOptions {
  /** Approve every unit at once (default true); false: call approve(). */
  autoApprove?: boolean;
  /** The OpenVPN endpoint handed to units: the server's IPv4 (default) or IPv6 address. */
  vpnFamily?: "ipv4" | "ipv6";
  /**
   * The server's --tun-mtu. OpenVPN 2.6 servers push their tun-mtu to 2.6
   * clients (IV_MTU), which overrides the client's own tun-mtu: a unit's
   * tun_mtu only holds when the controller's server uses the same value.
   */
  serverTunMtu?: number;
}

/** Throws an Error saying what is missing when this machine cannot run the lab. */
export function checkLabPrerequisites(): void {
  if (process.getuid?.() !== 0) throw new Error("the real-tunnel test needs root (network namespaces, tun devices); run it as root");
  try {
    accessSync("/dev/net/tun", constants.R_OK | constants.W_OK);
  } catch {
    throw new Error("the real-tunnel test needs /dev/net/tun (a tun-capable kernel/container); it is missing or not accessible");
  }
  for (const [bin, pkg] of [["ip", "iproute2"], ["openvpn", "openvpn"]]) {
    try {
      execFileSync("sh", ["-c", `command -v ${bin}`], { stdio: "ignore" });
    } catch {
      throw new Error(`the real-tunnel test needs '${bin}' (Debian's ${pkg})`);
    }
  }
}

function ip(...args: string[]): void {
  execFileSync("ip", args, { stdio: ["ignore", "ignore", "pipe"] });
}

export async function startTunnelLab(opts: LabOptions = {}): Promise<TunnelLab> {
  checkLabPrerequisites();
  const n = labs++;
  const tag = `${process.pid}${n}`;
  const serverNs = `nsplug-srv-${tag}`;
  const unitNs = `nsplug-unit-${tag}`;
  // Interface names are at most 15 characters.
  const vs = `nspS${tag}`.slice(0, 15);
  const vu = `nspU${tag}`.slice(0, 15);
  const subnet = 10 + (Number(tag) % 200);
  const serverIpv4 = `10.213.${subnet}.1`;
  const serverIpv6 = `fd57:${subnet.toString(16)}::1`;
  const work = mkdtempSync(join(tmpdir(), "nsplug-lab-"));
  const procs: ChildProcess[] = [];
  let ctl: ChildProcess | undefined;

  const cleanup = async () => {
    ctl?.stdin?.end();
    await Promise.all(procs.map((p) => stopChild(p)));
    for (const ns of [serverNs, unitNs]) {
      try {
        ip("netns", "del", ns);
      } catch {
        /* not created */
      }
    }
  };

  try {
    ip("netns", "add", serverNs);
    ip("netns", "add", unitNs);
    ip("link", "add", vs, "type", "veth", "peer", "name", vu);
    ip("link", "set", vs, "netns", serverNs);
    ip("link", "set", vu, "netns", unitNs);
    for (const [ns, dev, v4, v6] of [[serverNs, vs, serverIpv4, serverIpv6], [unitNs, vu, `10.213.${subnet}.2`, `fd57:${subnet.toString(16)}::2`]]) {
      ip("-n", ns!, "link", "set", "lo", "up");
      ip("-n", ns!, "addr", "add", `${v4}/24`, "dev", dev!);
      // nodad: usable at once instead of after duplicate address detection.
      ip("-n", ns!, "-6", "addr", "add", `${v6}/64`, "dev", dev!, "nodad");
      ip("-n", ns!, "link", "set", dev!, "up");
    }

    const pki = await createPki(mkdtempSync(join(work, "pki-")));
    const status = join(work, "openvpn-status.log");
    // proto udp6 binds dual-stack (plain udp refuses IPv6 clients); dh none: ECDHE only.
    const server = spawn("ip", ["netns", "exec", serverNs, "openvpn", "--dev", "tun", "--proto", "udp6", "--port", "1194",
      "--topology", "subnet", "--server", "172.21.0.0", "255.255.0.0", "--dh", "none",
      "--ca", pki.caPath, "--cert", pki.serverCertPath, "--key", pki.serverKeyPath,
      "--keepalive", "10", "60", "--status", status, "1", "--status-version", "2", "--verb", "3",
      ...(opts.serverTunMtu ? ["--tun-mtu", String(opts.serverTunMtu)] : [])], { stdio: ["ignore", "pipe", "ignore"] });
    procs.push(server);
    await waitLine(server, /Initialization Sequence Completed/, "openvpn server", 20_000);

    const options = {
      pkiDir: pki.dir,
      listen: serverIpv4,
      vpnHost: opts.vpnFamily === "ipv6" ? serverIpv6 : serverIpv4,
      vpnPort: "1194",
      promtailAddress: "172.21.0.1",
      promtailPort: "5151",
      vpnAddress: "172.21.0.1", // the server's tunnel address: the tunnel API is reached through OpenVPN
      autoApprove: opts.autoApprove ?? true,
    };
    ctl = spawn("ip", ["netns", "exec", serverNs, process.execPath, "--import", "tsx", join(REPO, "test/servers/controller-main.ts"),
      JSON.stringify(options)], { stdio: ["pipe", "pipe", "inherit"], cwd: REPO });
    procs.push(ctl);
    const ready = JSON.parse(await waitLine(ctl, /^\{"ready"/, "lab controller", 30_000)).ready as { url: string; token: string };
    const requests: LabRequest[] = [];
    const waiters = new Set<() => void>();
    createInterface({ input: ctl.stdout! }).on("line", (l) => {
      const m = JSON.parse(l) as { request?: LabRequest };
      if (m.request) {
        requests.push(m.request);
        waiters.forEach((w) => w());
      }
    });
    const controller = ctl;
    return {
      serverNs,
      unitNs,
      serverIpv4,
      serverIpv6,
      controllerUrl: ready.url,
      token: ready.token,
      pki,
      requests,
      waitForRequest(pred, timeoutMs = 30_000) {
        return new Promise((resolve, reject) => {
          const check = () => {
            const hit = requests.find(pred);
            if (!hit) return;
            waiters.delete(check);
            clearTimeout(timer);
            resolve(hit);
          };
          const timer = setTimeout(() => {
            waiters.delete(check);
            reject(new Error(`lab: no matching request within ${timeoutMs} ms (${requests.length} seen)`));
          }, timeoutMs);
          waiters.add(check);
          check();
        });
      },
      approve: (unitId) => controller.stdin!.write(`approve ${unitId}\n`),
      connectedClients() {
        if (!existsSync(status)) return [];
        return readFileSync(status, "utf8")
          .split("\n")
          .filter((l) => l.startsWith("CLIENT_LIST,"))
          .map((l) => l.split(",")[1]!);
      },
      spawnInUnit(cmd, args, env) {
        const p = spawn("ip", ["netns", "exec", unitNs, cmd, ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
        procs.push(p);
        return p;
      },
      close: cleanup,
    };
  } catch (e) {
    await cleanup();
    throw e;
  }
}

/** The IPv4 address of `dev` in namespace `ns`, or undefined. */
export function addressIn(ns: string, dev: string): string | undefined {
  try {
    const out = execFileSync("ip", ["-n", ns, "-4", "-o", "addr", "show", "dev", dev], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
    return /inet ([0-9.]+)\//.exec(out)?.[1];
  } catch {
    return undefined;
  }
}

/** The MTU of `dev` in namespace `ns`, or undefined. */
export function mtuIn(ns: string, dev: string): number | undefined {
  try {
    const out = execFileSync("ip", ["-n", ns, "-o", "link", "show", "dev", dev], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
    const m = /mtu (\d+)/.exec(out);
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}
