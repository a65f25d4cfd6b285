import { DeclaredTenant } from "../engine/engine";
import { ConnectionLimitError } from "../errors";
import { Metrics } from "../observe/metrics";

export type ConnectionKind = "http" | "websocket";
export type OpenConnections = Record<ConnectionKind, number>;

/**
 * Each tenant's connections open in this supervisor (requests held or forwarded, WebSockets), and the
 * tenant's cap on them: one tenant's clients can hold only their share of the supervisor's descriptors.
 */
export class ConnectionLimiter {
  private readonly open = new Map<string, OpenConnections>();

  constructor(private readonly metrics: Metrics) {}

  /** Takes a slot, or throws ConnectionLimitError; the returned function gives it back (calling it twice is harmless). */
  claim(tenant: DeclaredTenant, kind: ConnectionKind): () => void {
    const counts = this.open.get(tenant.id) ?? { http: 0, websocket: 0 };
    if (counts.http + counts.websocket >= tenant.maxConnections) {
      this.metrics.connectionsRefused.inc({ tenant: tenant.id, kind });
      throw new ConnectionLimitError(tenant.id, tenant.maxConnections);
    }
    counts[kind]++;
    this.open.set(tenant.id, counts);
    this.metrics.connections.inc({ tenant: tenant.id, kind });
    let released = false;
    return () => {
      if (released) return;
      released = true;
      // The entry lives as long as any claim on it, this one included.
      const now = this.open.get(tenant.id)!;
      now[kind]--;
      if (now.http + now.websocket === 0) this.open.delete(tenant.id);
      this.metrics.connections.dec({ tenant: tenant.id, kind });
    };
  }

  of(tenant: string): OpenConnections {
    return { ...(this.open.get(tenant) ?? { http: 0, websocket: 0 }) };
  }
}
