import { DeclaredTenant } from "./engine";

/** The tenants the program declared, as the supervisor currently knows them. */
export interface TenantDirectory {
  get(id: string): DeclaredTenant | undefined;
  all(): DeclaredTenant[];
  /**
   * The tenant a person belongs to, by exact email first, then by `@domain` (tenants.yaml guarantees no
   * person matches two tenants). Emails compare lowercased.
   */
  byMember(email: string): DeclaredTenant | undefined;
  /** The tenant that declared this host name of its own (lowercased, no port); tenants.yaml keeps them unique. */
  byHostname(host: string): DeclaredTenant | undefined;
}

/** A directory that follows the engine, and can wait for a tenant whose container is being replaced. */
export interface LiveDirectory extends TenantDirectory {
  refresh(): Promise<void>;
  /** A tenant whose container left within its wake timeout: perhaps being replaced, perhaps removed. */
  departed(id: string): DeclaredTenant | undefined;
  /**
   * The tenant as declared by a read started after this call, waiting for later reads until it is listed
   * again or the deadline (epoch ms) passes: `dormer up` deletes a tenant's container before it creates the
   * new one.
   */
  replacement(id: string, deadline: number): Promise<DeclaredTenant | undefined>;
}

/** Without an engine event (one lost while the event stream reconnects), a waiting caller reads again this often. */
const REREAD_MS = 1000;

/** A directory that keeps itself current from the engine: refreshed on engine events, and every minute. */
export class EngineDirectory implements LiveDirectory {
  private byId = new Map<string, DeclaredTenant>();
  private readonly left = new Map<string, { tenant: DeclaredTenant; at: number }>();
  private readWaiters: (() => void)[] = [];
  private byEmail = new Map<string, DeclaredTenant>();
  private byDomain = new Map<string, DeclaredTenant>();
  private byHost = new Map<string, DeclaredTenant>();
  private current: Promise<void> | undefined;
  private next: Promise<void> | undefined;

  constructor(private readonly discover: () => Promise<DeclaredTenant[]>) {}

  /**
   * Re-reads the declared tenants. A call made while a read runs gets the read after it, which sees every
   * change the caller was told about; calls made meanwhile share that one.
   */
  refresh(): Promise<void> {
    if (!this.current) {
      this.current = this.read().finally(() => {
        this.current = undefined;
      });
      return this.current;
    }
    this.next ??= this.current.catch(() => undefined).then(() => {
      this.next = undefined;
      return this.refresh();
    });
    return this.next;
  }

  private async read(): Promise<void> {
    try {
      this.replace(await this.discover());
    } finally {
      const waiters = this.readWaiters;
      this.readWaiters = [];
      for (const wake of waiters) wake();
    }
  }

  departed(id: string): DeclaredTenant | undefined {
    const gone = this.left.get(id);
    if (gone && Date.now() - gone.at < gone.tenant.wakeTimeoutSeconds * 1000) return gone.tenant;
    this.left.delete(id);
    return undefined;
  }

  async replacement(id: string, deadline: number): Promise<DeclaredTenant | undefined> {
    await this.refresh().catch(() => undefined);
    for (;;) {
      const tenant = this.byId.get(id);
      const left = deadline - Date.now();
      if (tenant || left <= 0) return tenant;
      // The new container's create event refreshes the directory; the timer covers an event never seen.
      let timer: NodeJS.Timeout | undefined;
      const reread = await Promise.race([
        new Promise<boolean>((resolve) => this.readWaiters.push(() => resolve(false))),
        new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), Math.min(REREAD_MS, left)))),
      ]);
      clearTimeout(timer);
      if (reread) await this.refresh().catch(() => undefined);
    }
  }

  private replace(tenants: DeclaredTenant[]): void {
    const byId = new Map<string, DeclaredTenant>();
    const byEmail = new Map<string, DeclaredTenant>();
    const byDomain = new Map<string, DeclaredTenant>();
    const byHost = new Map<string, DeclaredTenant>();
    for (const t of tenants) {
      byId.set(t.id, t);
      for (const m of t.members) (m.startsWith("@") ? byDomain : byEmail).set(m.toLowerCase(), t);
      for (const h of t.hostnames) byHost.set(h.toLowerCase(), t);
    }
    const now = Date.now();
    for (const [id, gone] of this.left) {
      if (byId.has(id) || now - gone.at >= gone.tenant.wakeTimeoutSeconds * 1000) this.left.delete(id);
    }
    for (const [id, tenant] of this.byId) if (!byId.has(id)) this.left.set(id, { tenant, at: now });
    this.byId = byId;
    this.byHost = byHost;
    this.byEmail = byEmail;
    this.byDomain = byDomain;
  }

  get(id: string): DeclaredTenant | undefined {
    return this.byId.get(id);
  }

  all(): DeclaredTenant[] {
    return [...this.byId.values()];
  }

  byHostname(host: string): DeclaredTenant | undefined {
    return this.byHost.get(host.toLowerCase());
  }

  byMember(email: string): DeclaredTenant | undefined {
    const lower = email.toLowerCase();
    const at = lower.lastIndexOf("@");
    return this.byEmail.get(lower) ?? (at > 0 ? this.byDomain.get(lower.slice(at)) : undefined);
  }
}
