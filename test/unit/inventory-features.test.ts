/** Pure parts of the feature facts, the rpms lookup and the phonehome document. */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { badFeatureName } from "../../src/inventory/facts";
import { anonymize, policyType } from "../../src/inventory/features/network";
import * as svc from "../../src/inventory/features/services";
import { iniValue, worldNames } from "../../src/inventory/features/services";
import type { Sources } from "../../src/inventory/features/sources";
import { apkVersion, opkgVersion } from "../../src/inventory/packages";
import { parsePciIds, pciDevice } from "../../src/inventory/pci";
import { globalIpv6, nethsecVersion, newerImage, phonehomeMemory, uuid4, uuidFrom } from "../../src/inventory/phonehome";
import { parseUci } from "../../src/platform/uci/codec";

/** Sources over in-memory UCI texts and files. */
function fake(configs: Record<string, string>, files: Record<string, string> = {}): Sources {
  return {
    uci: async (n) => (n in configs ? parseUci(configs[n]!, n) : undefined),
    read: async (p) => files[p],
    exists: async (p) => p in files,
    mtime: async (p) => (p in files ? 1700000000 : undefined),
    list: async (d) => Object.keys(files).filter((f) => f.startsWith(`${d}/`)).map((f) => f.slice(d.length + 1).split("/")[0]!),
    networks: null,
  };
}

test("mwan policy type, as nethsec.mwan.index_policies infers it", () => {
  assert.is(policyType([10]), "custom");
  assert.is(policyType([10, 10]), "balance");
  assert.is(policyType([]), "balance");
  assert.is(policyType([10, 20]), "backup");
  assert.is(policyType([20, 10, 30]), "backup");
  assert.is(policyType([10, 10, 20]), "custom");
});

test("feature names: __proto__ and other non-names refused", () => {
  for (const bad of ["__proto__", "constructor", "prototype", "_x", "", "a b", "../x", "x".repeat(65)]) assert.ok(badFeatureName(bad), bad);
  for (const good of ["dpi", "my_vpn", "acme-vendor", "x1"]) assert.is(badFeatureName(good), undefined, good);
});

test("anonymize: hashed without a subscription, kept with one", () => {
  assert.match(anonymize("192.168.1.1", "no"), /^anon-[0-9a-f]{16}$/);
  assert.is(anonymize("192.168.1.1", "no"), anonymize("192.168.1.1", "no"));
  assert.is(anonymize("192.168.1.1", "enterprise"), "192.168.1.1");
});

test("netifyd.conf and apk world parsing", () => {
  assert.is(iniValue("[netifyd]\nenable_sink = yes\n[x]\nenable_sink = no\n", "netifyd", "enable_sink"), "yes");
  assert.is(iniValue("[netifyd]\nEnable_Sink: yes\n", "netifyd", "enable_sink"), "yes");
  assert.is(iniValue("[other]\nenable_sink = yes\n", "netifyd", "enable_sink"), undefined);
  assert.equal([...worldNames("# c\nbusybox\n!blocked\nfoo>=1.2\nbar=3\n\n")], ["busybox", "foo", "bar"]);
});

test("installed versions: opkg status and apk db; a removed package does not count", () => {
  const status = "Package: ns-ui\nVersion: 1.0-1\nStatus: deinstall ok not-installed\n\nPackage: ns-ui\nVersion: 2.4.5-r1\nStatus: install user installed\n";
  assert.is(opkgVersion(status, "ns-ui"), "2.4.5-r1");
  assert.is(opkgVersion(status, "ns-api"), undefined);
  assert.is(apkVersion("P:ns-api\nV:1.0-r0\n\nP:ns-ui\nV:2.6.1-r1\nA:noarch\n", "ns-ui"), "2.6.1-r1");
  assert.is(apkVersion("P:ns-ui-extra\nV:1\n", "ns-ui"), undefined);
});

test("facts the original answers specially: ipsec -1, backups {}, acme stops at a cert without enabled", async () => {
  assert.equal(await svc.ipsec(fake({})), { count: -1 });
  assert.equal(await svc.ipsec(fake({ ipsec: "config remote 'r1'\n" })), { count: 1 });
  assert.equal(await svc.backups(fake({})), {});
  assert.equal(await svc.backups(fake({}, { "/etc/backup.pass": "x" })), { backup_passphrase: true, passphrase_date: 1700000000 });
  const acme = "config cert 'a'\n\toption enabled '1'\n\tlist domains 'a.example'\nconfig cert 'b'\n\tlist domains 'b.example'\n";
  assert.equal((await svc.certificates_info(fake({ acme }))).acme_certificates, { count: 0, issued: 0, pending: 0 });
  assert.equal(await svc.nathelpers(fake({}, { "/etc/modules.d/ns-nathelpers": "a\nb" })), { count: 2, enabled: true });
});

test("default password: the factory password's hash, or not", async () => {
  const shadow = (h: string) => ({ "/etc/shadow": `root:${h}:20000:0:99999:7:::\n` });
  assert.equal(await svc.default_password(fake({}, shadow("$1$Zx8kQ2pL$QukU0OUAs7WDggKreCAyM1"))), { default_password: true });
  assert.equal(await svc.default_password(fake({}, shadow("$1$Ab3dE5fG$seARubzsLSPYAZkeKm1Vl1"))), { default_password: false });
  assert.equal(await svc.default_password(fake({}, shadow(""))), { default_password: false });
  assert.equal(await svc.default_password(fake({})), { default_password: false });
});

test("phonehome pieces: version, IPv6, image comparison, memory, ids", () => {
  assert.is(nethsecVersion("8-24.10.0-ns.1.5.1"), "1.5.1");
  assert.is(nethsecVersion("8.5-24.10.1-ns.1.6.0-alpha1"), "1.6.0");
  assert.is(nethsecVersion(""), "0.0");
  const inet6 = "fe80000000000000020c29fffe123456 02 40 20 80 eth1\n20010db8000000000000000000000010 02 40 00 00 eth1\n";
  assert.is(globalIpv6(inet6, ["eth1"]), "2001:db8:0:0:0:0:0:10");
  assert.is(globalIpv6(inet6, ["eth2"]), "");
  assert.ok(newerImage("NethSecurity 8.5.0-ns.1.5.1", "NethSecurity 8.6.0-ns.1.6.0"));
  assert.not.ok(newerImage("8.6.0", "8.6.0"));
  assert.not.ok(newerImage("8.6.0", ""));
  assert.equal(phonehomeMemory("MemTotal: 1000 kB\nMemFree: 100 kB\nBuffers: 50 kB\nCached: 250 kB\nMemAvailable: 500 kB\nSwapTotal: 0 kB\nSwapFree: 0 kB\n"), {
    swap: { used_bytes: 0, available_bytes: 0 },
    system: { used_bytes: 600 * 1024, available_bytes: 500 * 1024 },
  });
  const U = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
  assert.match(uuid4(), U);
  assert.is.not(uuid4(), uuid4());
  assert.match(uuidFrom("x"), U);
  assert.is(uuidFrom("x"), uuidFrom("x"));
});

test("PCI devices from sysfs attributes, named from pci.ids or lspci's numeric fallback", () => {
  const ids = parsePciIds("# pci.ids\n8086  Intel Corporation\n\t100e  82540EM Gigabit Ethernet Controller\n\t\t8086 001e  PRO/1000 MT\nC 02  Network controller\n\t00  Ethernet controller\n\t\t00  sub\n");
  const attrs = { class: "0x020000\n", vendor: "0x8086\n", device: "0x100e\n", revision: "0x03\n", uevent: "DRIVER=e1000\nPCI_CLASS=20000\n" };
  assert.equal(pciDevice(attrs, ids), {
    class_id: "0200", vendor_id: "8086", device_id: "100e", revision: "03",
    class_name: "Ethernet controller", vendor_name: "Intel Corporation", device_name: "82540EM Gigabit Ethernet Controller", driver: "e1000",
  });
  assert.equal(pciDevice({ ...attrs, revision: "0x00", uevent: "" }, undefined), {
    class_id: "0200", vendor_id: "8086", device_id: "100e", revision: "",
    class_name: "Class 0200", vendor_name: "Vendor 8086", device_name: "Device 100e", driver: "",
  });
});

test.run();
