/**
 * The rpcd method tables: the ONE source of truth for what `list` prints.
 *
 * rpcd reads each argument's *type* from the JSON type of its sample value
 * (string → string, true/false → bool, integer → int32), so the samples
 * below matter: they are what ubus shows for `ubus -v list ns.plug` and what
 * rpcd's argument policy uses. scripts/gen-rpcd.mjs bundles this file at build
 * time and writes the sh fronts (dist/rpcd/*) that print these objects
 * without starting Node. Pure data, no imports: the generator evaluates it.
 */
export const RPCD_TABLES = {
  "ns.plug": {
    register: { join_code: "str", tls_verify: true, unit_name: "str", description: "str" },
    unregister: {},
    status: {},
    restart: {},
    update: { description: "str" },
  },
  "ns.subscription": {
    register: { secret: "str" },
    unregister: {},
    info: {},
    "inventory-status": {},
    "send-inventory": {},
  },
  "ns.backup": {
    backup: { encrypted: true },
    restore: { backup: "str", passphrase: "str" },
    "set-passphrase": { passphrase: "str" },
    "is-passphrase-set": {},
    "registered-list-backups": {},
    "registered-backup": {},
    "registered-restore": { file: "str", passphrase: "str" },
    "registered-download-backup": { file: "str" },
    "registered-delete-backup": { id: "str" },
  },
  "ns.don": {
    start: {},
    status: {},
    stop: {},
    extend: {},
  },
} as const;

export type PluginName = keyof typeof RPCD_TABLES;
export type MethodName<P extends PluginName> = keyof (typeof RPCD_TABLES)[P] & string;

/** Where the installed fronts find the bundle when it is not next to them (SPEC §1). */
export const INSTALLED_BUNDLE = "/usr/libexec/ns-plug/ns-plug.js";
