/** Pure: the controller base URL without trailing slashes, or undefined when it is not a plain http(s) URL. */
export function controllerBase(server: string): string | undefined {
  try {
    const u = new URL(server);
    if (u.protocol !== "https:" && u.protocol !== "http:") return undefined;
    // Credentials, query or fragment in `server` would end up in every request URL.
    if (u.username || u.password || u.search || u.hash) return undefined;
    return server.replace(/\/+$/, "");
  } catch {
    return undefined;
  }
}
