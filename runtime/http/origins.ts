/**
 * Which web origin a request was sent to. Browsers isolate storage, service workers and scripts by origin,
 * so every tenant gets its own (`<id>.<tenantBaseDomain>`) and the platform's pages (sign-in, admin API)
 * live on another one where no tenant code is ever served.
 */
export type RequestOrigin =
  | { kind: "platform" }
  /**
   * `ownHost`: the tenant's own host name (tenants.yaml `hostnames`) the request came by, not `<id>.<base>`.
   * `port`: one of its extra ports (tenants.yaml `ports`), asked for by `<id>--<port>.<base>`; whether the
   * tenant declares it is judged once the caller is known (app.ts), so nobody learns a tenant's ports unasked.
   */
  | { kind: "tenant"; tenant: string; ownHost?: string; port?: number }
  /** A Host that is neither: refused (421), so a name pointed at us by someone else (DNS rebinding) gets nothing. */
  | { kind: "unknown" };

/** Paths on a tenant's origin that the platform answers itself and never passes to the tenant. */
export const PLATFORM_PREFIX = "/_dormer/";

// One DNS label: what a tenant id is (tenants-schema.ts), so `<id>.<base>` is always a valid host name.
const LABEL = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;
/** Between a tenant id and its port in a port's host name; tenant ids never hold it (tenants-schema.ts). */
export const PORT_SEPARATOR = "--";
/**
 * `<id>--<port>`: a tenant's extra port, split unambiguously as ids hold no "--". The port has no leading
 * zeros, so each port has exactly one host name (one origin).
 */
const PORT_LABEL = new RegExp(`^([a-z0-9]([a-z0-9-]*[a-z0-9])?)${PORT_SEPARATOR}([1-9][0-9]{0,4})$`);
// Loopback names reach the platform only from this machine: the supervisor's own health check, an operator.
const LOOPBACK = ["127.0.0.1", "localhost", "[::1]"];

export class Origins {
  private readonly platform: URL;
  private readonly platformHosts: Set<string>;
  private readonly suffix: string;

  /**
   * @param publicUrl the platform's origin, e.g. `https://dormer.example.com` or `http://127.0.0.1:8088`.
   * @param tenantBaseDomain tenants live at `<id>.<base>`, on publicUrl's scheme and port.
   */
  constructor(
    publicUrl: string,
    private readonly tenantBaseDomain: string,
    /** The tenant that declared a host name of its own (lowercased, no port), if any. */
    private readonly hostOwner: (host: string) => string | undefined = () => undefined,
    /** The extra ports a tenant declares (none for a tenant unknown here). */
    private readonly portsOf: (tenant: string) => readonly number[] = () => [],
  ) {
    this.platform = new URL(publicUrl);
    this.platformHosts = new Set([this.platform.hostname.toLowerCase(), ...LOOPBACK]);
    this.suffix = `.${tenantBaseDomain.toLowerCase()}`;
  }

  /** Classifies a request by its Host header (the gateway passes the client's Host through unchanged). */
  of(hostHeader: string | undefined): RequestOrigin {
    const host = hostnameOf(hostHeader ?? "");
    if (this.platformHosts.has(host)) return { kind: "platform" };
    if (host.endsWith(this.suffix)) {
      const tenant = tenantOfLabel(host.slice(0, -this.suffix.length));
      if (tenant) return { kind: "tenant", ...tenant };
    }
    // Each host name is an origin of its own, with its own host-only session cookie, as `<id>.<base>` is.
    const owner = this.hostOwner(host);
    return owner === undefined ? { kind: "unknown" } : { kind: "tenant", tenant: owner, ownHost: host };
  }

  /** An absolute URL on the platform's origin. */
  platformUrl(pathAndQuery: string): string {
    return new URL(pathAndQuery, this.platform).toString();
  }

  /** An absolute URL on a tenant's origin, or on one of its own host names. */
  tenantUrl(tenant: string, pathAndQuery = "/", ownHost?: string): string {
    return new URL(pathAndQuery, ownHost === undefined ? this.tenantOrigin(tenant) : this.hostOrigin(ownHost)).toString();
  }

  /** `scheme://<tenant>.<base>[:port]`; with a placeholder for a tenant, what to tell people. */
  tenantOrigin(tenant: string): string {
    return this.hostOrigin(`${tenant}.${this.tenantBaseDomain}`);
  }

  /** The host name of a tenant's extra port: `<tenant>--<port>.<base>`, an origin of its own. */
  portHost(tenant: string, port: number): string {
    return `${tenant}${PORT_SEPARATOR}${port}.${this.tenantBaseDomain}`;
  }

  /** A tenant's own host name as an origin: publicUrl's scheme and port, as every tenant origin. */
  hostOrigin(host: string): string {
    const port = this.platform.port ? `:${this.platform.port}` : "";
    return `${this.platform.protocol}//${host}${port}`;
  }

  /**
   * The host name, when it is one of the tenant's besides `<id>.<base>` that a sign-in may return to: a host
   * name it declared of its own, or the host name of one of its declared ports.
   */
  returnHostOf(tenant: string, host: unknown): string | undefined {
    if (typeof host !== "string") return undefined;
    const name = hostnameOf(host);
    const origin = this.of(name);
    if (origin.kind !== "tenant" || origin.tenant !== tenant) return undefined;
    if (origin.ownHost !== undefined) return name;
    return origin.port !== undefined && this.portsOf(tenant).includes(origin.port) ? name : undefined;
  }
}

/** What the part of a host name before `.<base>` names: `<id>`, `<id>--<port>`, or no tenant origin. */
function tenantOfLabel(label: string): { tenant: string; port?: number } | undefined {
  const named = PORT_LABEL.exec(label);
  if (!named) return LABEL.test(label) && !label.includes(PORT_SEPARATOR) ? { tenant: label } : undefined;
  const tenant = named[1], port = Number(named[3]);
  return port <= 65535 && !tenant.includes(PORT_SEPARATOR) ? { tenant, port } : undefined;
}

/** The host name of a Host header, lower-cased, without the port (IPv6 literals keep their brackets). */
export function hostnameOf(hostHeader: string): string {
  const host = hostHeader.trim().toLowerCase();
  if (host.startsWith("[")) return host.slice(0, host.indexOf("]") + 1);
  const colon = host.indexOf(":");
  return (colon === -1 ? host : host.slice(0, colon)).replace(/\.$/, "");
}

/**
 * Where to go after signing in: a path on the tenant's own origin, never another origin (`//evil`,
 * `/\evil`) and never the platform's reserved prefix.
 */
export function safeNext(next: unknown): string {
  if (typeof next !== "string" || next.length > 2048) return "/";
  if (!next.startsWith("/") || next.startsWith("//") || next.startsWith("/\\") || /[\r\n]/.test(next)) return "/";
  if (next.startsWith(PLATFORM_PREFIX)) return "/";
  return next;
}
