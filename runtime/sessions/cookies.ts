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

/**
 * Every value of a cookie name, in the order sent, at most `limit`. A sibling origin under the same parent
 * domain can plant a cookie of our name (Domain=<parent>) next to ours; the caller picks the one that is
 * good for this origin instead of trusting whichever came first.
 */
export function readCookies(header: string | undefined, name: string, limit: number): string[] {
  const values: string[] = [];
  if (!header) return values;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq === -1 || part.slice(0, eq).trim() !== name) continue;
    const value = part.slice(eq + 1).trim();
    if (value.length > 0) values.push(value);
    if (values.length >= limit) break;
  }
  return values;
}
