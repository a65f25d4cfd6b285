/**
 * The value of one cookie from a `Cookie` request header, or undefined. The first occurrence wins: browsers
 * send the most specific path first, and a duplicate planted by a sibling subdomain must not override it.
 */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq === -1 || part.slice(0, eq).trim() !== name) continue;
    const value = part.slice(eq + 1).trim();
    return value.length > 0 ? value : undefined;
  }
  return undefined;
}
