/**
 * What the built-in feature facts read, behind one small interface so that the
 * facts themselves are pure functions of it (unit-testable without a root):
 * UCI configs parsed once each, and files under NS_PLUG_ROOT.
 */
import type { Ctx } from "../../platform/context";
import { loadPackage } from "../../platform/uci/store";
import type { UciSection } from "../../platform/uci/codec";
import type { NetworkEntry } from "../network";

export type Options = ReadonlyMap<string, string | string[]>;

export interface Sources {
  /** Sections of /etc/config/<name>; undefined when the file is missing or unreadable (the service is not installed). */
  uci(name: string): Promise<readonly UciSection[] | undefined>;
  read(path: string): Promise<string | undefined>;
  exists(path: string): Promise<boolean>;
  /** File modification time in whole seconds, undefined when missing. */
  mtime(path: string): Promise<number | undefined>;
  /** Entries of a directory; [] when missing. */
  list(dir: string): Promise<string[]>;
  /** esmithdb.networks as the inventory computed them (with live addresses), for fact_network's configuration. */
  networks: readonly NetworkEntry[] | null;
}

export function ctxSources(ctx: Ctx, networks: readonly NetworkEntry[] | null): Sources {
  const cache = new Map<string, Promise<readonly UciSection[] | undefined>>();
  const uci = (name: string) => {
    let p = cache.get(name);
    if (!p) {
      p = (async () => {
        if (!(await ctx.fs.stat(`/etc/config/${name}`))) return undefined;
        try {
          return (await loadPackage(ctx.fs, name)).sections();
        } catch (e) {
          ctx.log.debug(`inventory: uci ${name}: ${(e as Error).message}`);
          return undefined;
        }
      })();
      cache.set(name, p);
    }
    return p;
  };
  return {
    uci,
    read: (p) => ctx.fs.readIfExists(p).catch(() => undefined),
    exists: async (p) => (await ctx.fs.stat(p).catch(() => undefined)) !== undefined,
    mtime: async (p) => {
      const s = await ctx.fs.stat(p).catch(() => undefined);
      return s ? Math.floor(s.mtimeMs / 1000) : undefined;
    },
    list: (d) => ctx.fs.list(d).catch(() => []),
    networks,
  };
}

// ---- pure helpers over parsed UCI, with python3-nethsec's semantics ----

/** utils.get_all_by_type: section name → options, in file order. */
export function byType(sections: readonly UciSection[] | undefined, type: string): Array<[string, Options]> {
  return (sections ?? []).filter((s) => s.type === type).map((s) => [s.name, s.options]);
}

export function section(sections: readonly UciSection[] | undefined, name: string): Options | undefined {
  return sections?.find((s) => s.name === name)?.options;
}

/** uci.get(config, section, option, default=…): a list option reads as its first value is NOT what EUci does; callers pick. */
export function opt(o: Options | undefined, name: string): string | undefined {
  const v = o?.get(name);
  return Array.isArray(v) ? v.join(" ") : v;
}

/** uci.get(..., list=True): a single value is a one-item list. */
export function list(o: Options | undefined, name: string): string[] {
  const v = o?.get(name);
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

export function get(sections: readonly UciSection[] | undefined, sec: string, name: string, dflt = ""): string {
  return opt(section(sections, sec), name) ?? dflt;
}

/** EUci dtype=bool: '1', 'on', 'true', 'yes', 'enabled' are true. */
export function truthy(v: string | undefined): boolean {
  return v !== undefined && ["1", "on", "true", "yes", "enabled"].includes(v.toLowerCase());
}
