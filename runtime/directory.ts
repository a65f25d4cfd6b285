import { DeclaredTenant } from "./engine/engine";

/** The tenants the program declared, as the supervisor currently knows them. */
export interface TenantDirectory {
  get(id: string): DeclaredTenant | undefined;
  all(): DeclaredTenant[];
  /**
   * The tenant a person belongs to, by exact email first, then by `@domain` (tenants.yaml guarantees no
   * person matches two tenants). Emails compare lowercased.
   */
  byMember(email: string): DeclaredTenant | undefined;
}

/** A directory that keeps itself current from the engine: refreshed on engine events, and every minute. */
export class EngineDirectory implements TenantDirectory {
  private byId = new Map<string, DeclaredTenant>();
  private byEmail = new Map<string, DeclaredTenant>();
  private byDomain = new Map<string, DeclaredTenant>();
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
    this.replace(await this.discover());
  }

  private replace(tenants: DeclaredTenant[]): void {
    const byId = new Map<string, DeclaredTenant>();
    const byEmail = new Map<string, DeclaredTenant>();
    const byDomain = new Map<string, DeclaredTenant>();
    for (const t of tenants) {
      byId.set(t.id, t);
      for (const m of t.members) (m.startsWith("@") ? byDomain : byEmail).set(m.toLowerCase(), t);
    }
    this.byId = byId;
    this.byEmail = byEmail;
    this.byDomain = byDomain;
  }

  get(id: string): DeclaredTenant | undefined {
    return this.byId.get(id);
  }

  all(): DeclaredTenant[] {
    return [...this.byId.values()];
  }

  byMember(email: string): DeclaredTenant | undefined {
    const lower = email.toLowerCase();
    const at = lower.lastIndexOf("@");
    return this.byEmail.get(lower) ?? (at > 0 ? this.byDomain.get(lower.slice(at)) : undefined);
  }
}
