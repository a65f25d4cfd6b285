import type { IncomingMessage } from "http";
import { BlockList, isIP } from "net";

export interface ClientInfo {
  /** The address the request came from, as the platform believes it: what audits and throttles key on. */
  ip: string;
  proto: string;
}

/** `::ffff:10.0.0.1` (an IPv4 peer on a dual-stack socket) is 10.0.0.1. */
const plain = (address: string): string => (address.startsWith("::ffff:") && isIP(address.slice(7)) === 4 ? address.slice(7) : address);

function parse(entry: string): { address: string; prefix?: number } | undefined {
  const [address, prefix, extra] = entry.split("/");
  if (extra !== undefined || !isIP(address)) return undefined;
  if (prefix === undefined) return { address };
  const bits = Number(prefix);
  const max = isIP(address) === 4 ? 32 : 128;
  return /^\d{1,3}$/.test(prefix) && bits <= max ? { address, prefix: bits } : undefined;
}

export const isCidr = (entry: string): boolean => parse(entry) !== undefined;

/**
 * Who a request is from. Only the gateway (a trusted proxy) is believed about the client behind it; anyone
 * else's X-Real-IP / X-Forwarded-For is ignored, so nobody can pick the address they are audited and
 * throttled under.
 */
export class ClientAddresses {
  private readonly trusted = new BlockList();

  /** @param trustedProxies IPs or CIDRs (checked by config.ts with isCidr). */
  constructor(trustedProxies: string[]) {
    for (const entry of trustedProxies) {
      const cidr = parse(entry);
      if (!cidr) throw new Error(`not an IP address or CIDR: ${entry}`);
      const family = isIP(cidr.address) === 4 ? "ipv4" : "ipv6";
      if (cidr.prefix === undefined) this.trusted.addAddress(cidr.address, family);
      else this.trusted.addSubnet(cidr.address, cidr.prefix, family);
    }
  }

  of(req: IncomingMessage): ClientInfo {
    const peer = plain(req.socket.remoteAddress ?? "");
    const proto = req.headers["x-forwarded-proto"];
    if (!peer || !this.trusted.check(peer, isIP(peer) === 6 ? "ipv6" : "ipv4")) return { ip: peer, proto: "http" };
    return { ip: forwardedFor(req) ?? peer, proto: proto === "https" ? "https" : "http" };
  }
}

/**
 * The client the gateway saw. The gateway overwrites both headers with its own peer's address (it never
 * appends to what the client sent), so either holds exactly one address; X-Real-IP first, then the last
 * X-Forwarded-For entry (the one the nearest proxy added) should another proxy in front append.
 */
function forwardedFor(req: IncomingMessage): string | undefined {
  const real = req.headers["x-real-ip"];
  if (typeof real === "string" && isIP(real.trim())) return plain(real.trim());
  const chain = req.headers["x-forwarded-for"];
  const last = typeof chain === "string" ? chain.split(",").pop()?.trim() : undefined;
  return last && isIP(last) ? plain(last) : undefined;
}
