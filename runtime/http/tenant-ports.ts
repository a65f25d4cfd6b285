import type { DeclaredTenant } from "../engine/engine";
import { PortNotDeclaredError } from "../errors";
import type { Origins } from "./origins";

/** A tenant's extra ports and where people reach each: `<id>--<port>.<base>`, an origin of its own. */
export function portOrigins(origins: Origins, tenant: DeclaredTenant): { port: number; origin: string }[] {
  return tenant.ports.map((port) => ({ port, origin: origins.hostOrigin(origins.portHost(tenant.id, port)) }));
}

/**
 * The container port a request on one of the tenant's origins goes to: its app port, or the extra port its
 * host name asked for, when the tenant declares that port (PortNotDeclaredError otherwise).
 */
export function portToServe(origins: Origins, tenant: DeclaredTenant, asked: number | undefined): number {
  if (asked === undefined) return tenant.port;
  if (!tenant.ports.includes(asked)) throw new PortNotDeclaredError(tenant.id, asked, tenant.ports, origins.tenantOrigin(tenant.id));
  return asked;
}

/** The app's `host:port` (what the engine and the waker give), moved to another port of the same container. */
export function atPort(address: string, port: number): string {
  return `${address.slice(0, address.lastIndexOf(":"))}:${port}`;
}
