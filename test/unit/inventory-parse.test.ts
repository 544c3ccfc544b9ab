import { test } from "uvu";
import * as assert from "uvu/assert";
import { readFileSync } from "node:fs";
import {
  isPublicIPv4, parseArpCount, parseCpuinfo, parseMeminfo, parseMounts, parseNameservers, parseUptime,
  prefixToMask, reportedMountpoints, virtualOf,
} from "../../src/inventory/parse";

const fixture = (p: string) => readFileSync(new URL(`../fixtures/inventory/root/${p}`, import.meta.url), "utf8");

test("meminfo: bytes; used = total - available", () => {
  const m = parseMeminfo(fixture("proc/meminfo"))!;
  assert.is(m.memTotal, 2030048 * 1024);
  assert.is(m.memAvailable, 1702344 * 1024);
  assert.is(m.swapTotal - m.swapFree, (524284 - 522236) * 1024);
  const old = parseMeminfo("MemTotal: 100 kB\nMemFree: 10 kB\nBuffers: 5 kB\nCached: 20 kB\n")!;
  assert.is(old.memAvailable, 35 * 1024, "no MemAvailable: free + buffers + cached");
  assert.is(parseMeminfo("garbage"), undefined);
});

test("cpuinfo: x86 count, model and hypervisor flag; ARM and MIPS models", () => {
  assert.equal(parseCpuinfo(fixture("proc/cpuinfo")), {
    count: 2, models: ["Intel Xeon Processor (Cascadelake)"], hypervisor: true,
  });
  const arm = "processor\t: 0\nBogoMIPS\t: 48.00\nCPU part\t: 0xd03\n\nprocessor\t: 1\n\nHardware\t: Raspberry Pi 4\n";
  assert.equal(parseCpuinfo(arm), { count: 2, models: ["Raspberry Pi 4"], hypervisor: false });
  const mips = "system type\t\t: MediaTek MT7621\nprocessor\t\t: 0\ncpu model\t\t: MIPS 1004Kc V2.15\n";
  assert.equal(parseCpuinfo(mips)!.models, ["MIPS 1004Kc V2.15"]);
  assert.is(parseCpuinfo(""), undefined);
});

test("uptime, arp, nameservers", () => {
  assert.is(parseUptime(fixture("proc/uptime")), 93412);
  assert.is(parseUptime("x"), undefined);
  assert.is(parseArpCount(fixture("proc/net/arp")), 3);
  assert.is(parseArpCount("IP address       HW type     Flags       HW address            Mask     Device\n"), 0);
  assert.is(parseArpCount(""), undefined);
  assert.equal(parseNameservers(fixture("tmp/resolv.conf.d/resolv.conf.auto")), ["1.1.1.1", "9.9.9.9"]);
});

test("mounts: escapes decoded; reported = / plus data filesystems, no pseudo fs, no ROM, no duplicates", () => {
  const mounts = parseMounts(fixture("proc/mounts"));
  assert.is(mounts.find((m) => m.mountpoint === "/")!.fstype, "overlay");
  assert.equal(reportedMountpoints(mounts), ["/", "/overlay", "/boot"]);
  assert.equal(parseMounts("/dev/sdb1 /mnt/my\\040disk ext4 rw 0 0\n")[0]!.mountpoint, "/mnt/my disk");
  assert.equal(reportedMountpoints([]), ["/"]);
});

test("virtual: the hypervisor's name from DMI, 'physical' on bare metal", () => {
  assert.is(virtualOf({ hypervisorFlag: true, sysVendor: "QEMU", productName: "Standard PC" }), "KVM");
  assert.is(virtualOf({ hypervisorFlag: true, sysVendor: "VMware, Inc." }), "VMware");
  assert.is(virtualOf({ hypervisorFlag: true, sysVendor: "Microsoft Corporation" }), "Microsoft");
  assert.is(virtualOf({ hypervisorFlag: false, hypervisorType: "xen" }), "Xen");
  assert.is(virtualOf({ hypervisorFlag: false, sysVendor: "Dell Inc." }), "physical");
  assert.is(virtualOf({ hypervisorFlag: true }), "unknown");
});

test("public IPv4 and masks", () => {
  for (const a of ["203.0.113.10", "8.8.8.8", "151.1.2.3"]) assert.ok(isPublicIPv4(a), a);
  for (const a of ["10.1.2.3", "192.168.1.1", "172.16.0.1", "172.31.9.9", "100.64.0.1", "127.0.0.1", "169.254.1.1", "0.0.0.0", "224.0.0.1", "1.2.3", "300.1.1.1"]) {
    assert.not.ok(isPublicIPv4(a), a);
  }
  assert.is(prefixToMask(24), "255.255.255.0");
  assert.is(prefixToMask(16), "255.255.0.0");
  assert.is(prefixToMask(0), "0.0.0.0");
  assert.is(prefixToMask(32), "255.255.255.255");
  assert.is(prefixToMask(33), undefined);
});

test.run();
