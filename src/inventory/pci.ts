/**
 * PCI devices for the phonehome facts, the way `lspci -n` / `lspci -mm` show
 * them, read from /sys/bus/pci/devices (no lspci process; the router may not
 * have pciutils). Names come from pci.ids when the image has it, otherwise
 * lspci's numeric fallbacks ("Class 0200", "Vendor 8086", "Device 100e").
 */
import type { Ctx } from "../platform/context";

export interface PciDevice {
  class_id: string;
  vendor_id: string;
  device_id: string;
  revision: string;
  class_name: string;
  vendor_name: string;
  device_name: string;
  driver: string;
}

export interface PciIds {
  vendors: Map<string, { name: string; devices: Map<string, string> }>;
  /** "06" → class name, "0600" → subclass name. */
  classes: Map<string, string>;
}

/** Pure: parse pci.ids (vendors, their devices, classes and subclasses; sub-devices are not needed). */
export function parsePciIds(text: string): PciIds {
  const ids: PciIds = { vendors: new Map(), classes: new Map() };
  let vendor: { name: string; devices: Map<string, string> } | undefined;
  let cls: string | undefined;
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    let m = /^C ([0-9a-f]{2})\s+(.*)$/.exec(line);
    if (m) {
      cls = m[1]!;
      vendor = undefined;
      ids.classes.set(cls, m[2]!);
      continue;
    }
    m = /^([0-9a-f]{4})\s+(.*)$/.exec(line);
    if (m) {
      vendor = { name: m[2]!, devices: new Map() };
      cls = undefined;
      ids.vendors.set(m[1]!, vendor);
      continue;
    }
    m = /^\t([0-9a-f]{2,4})\s+(.*)$/.exec(line);
    if (!m) continue;
    if (vendor && m[1]!.length === 4) vendor.devices.set(m[1]!, m[2]!);
    else if (cls && m[1]!.length === 2) ids.classes.set(cls + m[1]!, m[2]!);
  }
  return ids;
}

const hex = (v: string | undefined, width: number) => (v ?? "").trim().replace(/^0x/i, "").toLowerCase().padStart(width, "0").slice(0, width);

/** Pure: one device from its sysfs attribute files. */
export function pciDevice(
  attrs: { class?: string; vendor?: string; device?: string; revision?: string; uevent?: string },
  ids: PciIds | undefined,
): PciDevice {
  const classId = hex(attrs.class, 6).slice(0, 4); // 0x060000: class, subclass, prog-if
  const vendorId = hex(attrs.vendor, 4);
  const deviceId = hex(attrs.device, 4);
  const rev = hex(attrs.revision, 2);
  const vendor = ids?.vendors.get(vendorId);
  return {
    class_id: classId,
    vendor_id: vendorId,
    device_id: deviceId,
    revision: rev === "00" ? "" : rev, // lspci -n prints "(rev xx)" only for a non-zero revision
    class_name: ids?.classes.get(classId) ?? ids?.classes.get(classId.slice(0, 2)) ?? `Class ${classId}`,
    vendor_name: vendor?.name ?? `Vendor ${vendorId}`,
    device_name: vendor?.devices.get(deviceId) ?? `Device ${deviceId}`,
    driver: /^DRIVER=(.*)$/m.exec(attrs.uevent ?? "")?.[1]?.trim() ?? "",
  };
}

const PCI_IDS = ["/usr/share/hwdata/pci.ids", "/usr/share/misc/pci.ids", "/usr/share/pci.ids"];

export async function readPci(ctx: Ctx): Promise<PciDevice[]> {
  const base = "/sys/bus/pci/devices";
  const names = (await ctx.fs.list(base).catch(() => [] as string[])).sort();
  if (names.length === 0) return [];
  let ids: PciIds | undefined;
  for (const f of PCI_IDS) {
    const text = await ctx.fs.readIfExists(f).catch(() => undefined);
    if (text !== undefined) {
      ids = parsePciIds(text);
      break;
    }
  }
  const out: PciDevice[] = [];
  for (const n of names) {
    const read = (a: string) => ctx.fs.readIfExists(`${base}/${n}/${a}`).catch(() => undefined);
    out.push(
      pciDevice(
        { class: await read("class"), vendor: await read("vendor"), device: await read("device"), revision: await read("revision"), uevent: await read("uevent") },
        ids,
      ),
    );
  }
  return out;
}
