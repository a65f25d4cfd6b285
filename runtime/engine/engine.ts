/** A tenant as the program declared it, read back from its container's labels. */
export interface DeclaredTenant {
  id: string;
  displayName: string;
  plan: string;
  /** Container name; also its DNS name on the tenant's network. */
  container: string;
  network: string;
  port: number;
  idleTimeoutSeconds: number;
  dailyRequestQuota: number | "unlimited";
  maxHeldRequests: number;
  wakeTimeoutSeconds: number;
  egress: boolean;
  members: string[];
  accessKeySha256: string;
  ports: number[];
}

/**
 * Where tenants run. The runtime talks to Docker only through this seam, so a second engine (Swarm, with
 * services scaled 0/1) is a new file, not a rewrite. It never creates or deletes tenants.
 */
export interface Engine {
  /** Is the engine reachable? */
  ping(): Promise<boolean>;
  /** Every tenant the program declared for this stack. */
  discover(): Promise<DeclaredTenant[]>;
}
