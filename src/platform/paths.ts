import { isAbsolute, join, normalize } from "node:path";

/**
 * Every absolute path of the router goes through here, so that tests and the
 * demo run the real code against a temporary root (NS_PLUG_ROOT, default /).
 */
export function makeResolver(root: string): (abs: string) => string {
  const base = normalize(root || "/");
  return (abs: string) => {
    if (!isAbsolute(abs)) throw new Error(`internal: path is not absolute: ${abs}`);
    // normalize() of an absolute path clamps ".." at "/", so no path climbs out of the root.
    const n = normalize(abs);
    return base === "/" ? n : join(base, n);
  };
}
