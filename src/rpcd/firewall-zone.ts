/**
 * The controller reaches the unit through tun-nsplug, so the device joins the
 * firewall's lan zone on register and leaves it on unregister (as the
 * original ns.plug did with nethsec.firewall). Pure edits of the loaded
 * `firewall` package; the caller commits.
 */
import type { UciPackage } from "../platform/uci/store";

export const TUN_DEVICE = "tun-nsplug";

function zoneSection(pkg: UciPackage, zone: string): string | undefined {
  return pkg.sectionsOfType("zone").find((s) => s.options.get("name") === zone)?.name;
}

/** Adds `device` to the zone's `device` list; false when the zone is missing or already has it. */
export function addDeviceToZone(pkg: UciPackage, zone: string, device: string): boolean {
  const sec = zoneSection(pkg, zone);
  if (!sec || pkg.getList(sec, "device").includes(device)) return false;
  pkg.addList(sec, "device", device);
  return true;
}

/** Removes `device` from every zone listing it; returns whether anything changed. */
export function removeDeviceFromZones(pkg: UciPackage, device: string): boolean {
  let changed = false;
  for (const s of pkg.sectionsOfType("zone")) {
    const v = s.options.get("device");
    if (v === device) {
      pkg.delete(s.name, "device");
      changed = true;
    } else if (Array.isArray(v) && v.includes(device)) {
      pkg.delList(s.name, "device", device);
      changed = true;
    }
  }
  return changed;
}
