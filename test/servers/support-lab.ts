/**
 * A remote support lab (SPEC §9): the vendor's support server in one network
 * namespace — a real OpenVPN server on UDP 1194 and another on TCP 443, both
 * checking username = system_id and a UUID password with an
 * auth-user-pass-verify script — and the unit in another namespace, where
 * the test runs `don` from a test root. Support's side runs `ssh` from the
 * server namespace. Names carry the pid and a counter: parallel runs never
 * collide. Needs root, /dev/net/tun, openvpn, openssl, sshd, ssh, ssh-keygen.
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { accessSync, chmodSync, constants, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stopChild, waitLine } from "../helpers/child";

let labs = 0;

export interface SupportPki {
  dir: string;
  /** CN of the CA, and of the server certificate (the unit checks they match). */
  cn: string;
  caPath: string;
  serverCertPath: string;
  serverKeyPath: string;
  /** A CA whose subject has no CN (don start must refuse it, exit 3). */
  noCnCaPath: string;
  /** A server certificate from the same CA with another CN (the unit must refuse it). */
  impostorCertPath: string;
  impostorKeyPath: string;
}

export interface SupportLab {
  serverNs: string;
  unitNs: string;
  /** The support server's address on the veth (don.config.server). */
  serverIp: string;
  /** An address in the server namespace where nothing listens. */
  deadIp: string;
  /** An address where an OpenVPN server (UDP 1194) holds a certificate of the same CA with another CN. */
  impostorIp: string;
  systemId: string;
  pki: SupportPki;
  /** The support key pair, and another one the unit must refuse. */
  supportKey: string;
  supportPub: string;
  otherKey: string;
  /** Passwords the verify script received, in order ("<user> <password>"). */
  verified(): string[];
  /** Which servers run; stopping "udp" is how UDP is blocked. */
  running(): { udp: boolean; tcp: boolean };
  stopServer(which: "udp" | "tcp"): Promise<void>;
  startServer(which: "udp" | "tcp"): Promise<void>;
  /** `ssh -p 981 root@<address> <command>` from the support namespace. */
  ssh(address: string, command: string, opts?: { key?: string; password?: boolean }): Promise<{ code: number | null; stdout: string; stderr: string }>;
  close(): Promise<void>;
}

export function checkSupportLabPrerequisites(): void {
  if (process.getuid?.() !== 0) throw new Error("the support lab needs root (network namespaces, tun devices, sshd)");
  try {
    accessSync("/dev/net/tun", constants.R_OK | constants.W_OK);
  } catch {
    throw new Error("the support lab needs /dev/net/tun");
  }
  for (const bin of ["ip", "openvpn", "openssl", "ssh", "ssh-keygen", "sshd"]) {
    try {
      execFileSync("sh", ["-c", `command -v ${bin} || test -x /usr/sbin/${bin}`], { stdio: "ignore" });
    } catch {
      throw new Error(`the support lab needs '${bin}'`);
    }
  }
}

const run = (cmd: string, args: string[], cwd?: string) => execFileSync(cmd, args, { cwd, stdio: ["ignore", "pipe", "pipe"] });

/** EC keys with openssl (seconds faster than easy-rsa's RSA). */
export function createSupportPki(dir: string, cn = "sos.support.test"): SupportPki {
  mkdirSync(dir, { recursive: true });
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  run("openssl", ["req", "-x509", ...ec, "-keyout", "ca.key", "-out", "ca.crt", "-days", "30", "-subj", `/CN=${cn}`,
    "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"], dir);
  run("openssl", ["req", ...ec, "-keyout", "server.key", "-out", "server.csr", "-subj", `/CN=${cn}`], dir);
  writeFileSync(join(dir, "server.ext"),
    "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyAgreement\nextendedKeyUsage=serverAuth\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n");
  run("openssl", ["x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
    "-out", "server.crt", "-days", "30", "-extfile", "server.ext"], dir);
  run("openssl", ["req", ...ec, "-keyout", "impostor.key", "-out", "impostor.csr", "-subj", "/CN=impostor.support.test"], dir);
  run("openssl", ["x509", "-req", "-in", "impostor.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
    "-out", "impostor.crt", "-days", "30", "-extfile", "server.ext"], dir);
  run("openssl", ["req", "-x509", ...ec, "-keyout", "nocn.key", "-out", "nocn.crt", "-days", "30", "-subj", "/O=Support without CN"], dir);
  return {
    dir,
    cn,
    caPath: join(dir, "ca.crt"),
    serverCertPath: join(dir, "server.crt"),
    serverKeyPath: join(dir, "server.key"),
    noCnCaPath: join(dir, "nocn.crt"),
    impostorCertPath: join(dir, "impostor.crt"),
    impostorKeyPath: join(dir, "impostor.key"),
  };
}

export async function startSupportLab(opts: { systemId?: string } = {}): Promise<SupportLab> {
  checkSupportLabPrerequisites();
  const tag = `${process.pid}${labs++}`;
  const serverNs = `nsdon-srv-${tag}`;
  const unitNs = `nsdon-unit-${tag}`;
  const vs = `donS${tag}`.slice(0, 15);
  const vu = `donU${tag}`.slice(0, 15);
  const subnet = 10 + (Number(tag) % 200);
  const serverIp = `10.214.${subnet}.1`;
  const deadIp = `10.214.${subnet}.3`;
  const impostorIp = `10.214.${subnet}.4`;
  const systemId = opts.systemId ?? "don-lab-system-0001";
  const work = mkdtempSync(join(tmpdir(), "nsdon-lab-"));
  chmodSync(work, 0o755);
  const servers: Partial<Record<"udp" | "tcp" | "impostor", ChildProcess>> = {};
  const ipc = (...a: string[]) => run("ip", a);

  const cleanup = async () => {
    await Promise.all([stopChild(servers.udp), stopChild(servers.tcp), stopChild(servers.impostor)]);
    for (const ns of [serverNs, unitNs]) {
      try {
        ipc("netns", "del", ns);
      } catch {
        /* not created */
      }
    }
    rmSync(work, { recursive: true, force: true });
  };

  try {
    ipc("netns", "add", serverNs);
    ipc("netns", "add", unitNs);
    ipc("link", "add", vs, "type", "veth", "peer", "name", vu);
    ipc("link", "set", vs, "netns", serverNs);
    ipc("link", "set", vu, "netns", unitNs);
    ipc("-n", serverNs, "link", "set", "lo", "up");
    ipc("-n", unitNs, "link", "set", "lo", "up");
    ipc("-n", serverNs, "addr", "add", `${serverIp}/24`, "dev", vs);
    ipc("-n", serverNs, "addr", "add", `${deadIp}/24`, "dev", vs);
    ipc("-n", serverNs, "addr", "add", `${impostorIp}/24`, "dev", vs);
    ipc("-n", unitNs, "addr", "add", `10.214.${subnet}.2/24`, "dev", vu);
    ipc("-n", serverNs, "link", "set", vs, "up");
    ipc("-n", unitNs, "link", "set", vu, "up");

    const pki = createSupportPki(join(work, "pki"));
    // The verify script: OpenVPN writes username and password to a file (via-file)
    // and passes its path. It records what it got, and accepts the lab's
    // system id with any UUID: the session id is made by the unit.
    const got = join(work, "verified.log");
    writeFileSync(join(work, "expected-user"), systemId);
    const verify = join(work, "verify.sh");
    writeFileSync(verify, `#!/bin/sh
user=$(sed -n 1p "$1")
pass=$(sed -n 2p "$1")
printf '%s %s\\n' "$user" "$pass" >> '${got}'
[ "$user" = "$(cat '${join(work, "expected-user")}')" ] || exit 1
case $pass in
????????-????-????-????-????????????) exit 0 ;;
esac
exit 1
`);
    chmodSync(verify, 0o755);
    const scratch = join(work, "tmp");
    mkdirSync(scratch);

    const startServer = async (which: "udp" | "tcp" | "impostor") => {
      if (servers[which] && servers[which]!.exitCode === null) return;
      const [proto, port, net, dev] = which === "udp" ? ["udp", "1194", "172.29.0.0", "tundonudp"]
        : which === "tcp" ? ["tcp-server", "443", "172.29.1.0", "tundontcp"] : ["udp", "1194", "172.29.2.0", "tundonimp"];
      const [cert, key, local] = which === "impostor" ? [pki.impostorCertPath, pki.impostorKeyPath, impostorIp] : [pki.serverCertPath, pki.serverKeyPath, serverIp];
      const p = spawn("ip", ["netns", "exec", serverNs, "openvpn", "--dev", dev!, "--dev-type", "tun", "--proto", proto!, "--port", port!,
        "--local", local!, "--topology", "subnet", "--server", net!, "255.255.255.0", "--dh", "none",
        "--ca", pki.caPath, "--cert", cert!, "--key", key!,
        "--verify-client-cert", "none", "--username-as-common-name",
        "--script-security", "2", "--auth-user-pass-verify", verify, "via-file", "--tmp-dir", scratch,
        "--compress", "lz4", "--keepalive", "10", "60", "--verb", "3"], { stdio: ["ignore", "pipe", "ignore"] });
      servers[which] = p;
      await waitLine(p, /Initialization Sequence Completed/, `openvpn ${which} server`, 20_000);
    };
    await startServer("udp");
    await startServer("tcp");
    await startServer("impostor");

    const keys = join(work, "keys");
    mkdirSync(keys, { mode: 0o700 });
    for (const k of ["support", "other"]) run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", `${k}@lab`, "-f", join(keys, k)]);
    // Debian's sshd refuses to start without its privilege separation directory (OpenWrt's is /var/empty).
    mkdirSync("/run/sshd", { recursive: true, mode: 0o755 });

    return {
      serverNs,
      unitNs,
      serverIp,
      deadIp,
      impostorIp,
      systemId,
      pki,
      supportKey: join(keys, "support"),
      supportPub: join(keys, "support.pub"),
      otherKey: join(keys, "other"),
      verified: () => (existsSync(got) ? readFileSync(got, "utf8").split("\n").filter(Boolean) : []),
      running: () => ({ udp: servers.udp?.exitCode === null && !servers.udp.signalCode, tcp: servers.tcp?.exitCode === null && !servers.tcp.signalCode }),
      stopServer: (which) => stopChild(servers[which]),
      startServer,
      ssh(address, command, o = {}) {
        const args = ["netns", "exec", serverNs, "ssh", "-F", "/dev/null", "-p", "981", "-o", "StrictHostKeyChecking=no",
          "-o", "UserKnownHostsFile=/dev/null", "-o", "BatchMode=yes", "-o", "ConnectTimeout=15", "-o", "LogLevel=ERROR"];
        if (o.password) args.push("-o", "PubkeyAuthentication=no", "-o", "PreferredAuthentications=password,keyboard-interactive");
        else args.push("-o", "IdentitiesOnly=yes", "-o", "PreferredAuthentications=publickey", "-i", o.key ?? join(keys, "support"));
        args.push(`root@${address}`, command);
        return new Promise((resolve) => {
          const p = spawn("ip", args, { stdio: ["ignore", "pipe", "pipe"] });
          let stdout = "";
          let stderr = "";
          p.stdout.on("data", (b) => (stdout += b));
          p.stderr.on("data", (b) => (stderr += b));
          const t = setTimeout(() => p.kill("SIGKILL"), 60_000);
          p.on("close", (code) => {
            clearTimeout(t);
            resolve({ code, stdout, stderr });
          });
        });
      },
      close: cleanup,
    };
  } catch (e) {
    await cleanup();
    throw e;
  }
}

/** The IPv4 address of `dev` in namespace `ns`, or undefined (the controller lab's helper). */
export { addressIn as addressOf } from "./controller-lab";

/** Processes (pid and argv) whose command line contains `needle`. */
export function processesWith(needle: string): string[] {
  const out: string[] = [];
  for (const pid of execFileSync("ls", ["/proc"], { encoding: "utf8" }).split("\n").filter((p) => /^\d+$/.test(p))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, "latin1").split("\0").join(" ");
      if (cmd.includes(needle)) out.push(`${pid} ${cmd}`);
    } catch {
      /* gone */
    }
  }
  return out;
}
