import { isAbsolute, join, normalize } from "node:path";

/**
 * Every absolute path of the router goes through here, so that tests and the
 * demo run the real code against a temporary root (NS_PLUG_ROOT, default /).
 */
export function makeResolver(root: string): (abs: string) => string {
  const base = normalize(root || "/");
  return (abs: string) => {
    if (!isAbsolute(abs)) throw new Error(`internal: path is not absolute: ${abs}`);
    const n = normalize(abs);
    // normalize() keeps a leading "..", so "/../x" could escape the root.
    if (n.split("/").includes("..")) throw new Error(`internal: path escapes root: ${abs}`);
    return base === "/" ? n : join(base, n);
  };
}
