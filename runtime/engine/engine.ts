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

export interface RunState {
  running: boolean;
  /** ISO time the container last started; empty when it never did. */
  startedAt: string;
}

export interface TenantStats {
  cpuPercent: number;
  memoryBytes: number;
  memoryLimitBytes: number;
}

/** What the engine reports changing, so the supervisor can refresh what it knows without polling. */
export type EngineEvent = { kind: "declared-changed" } | { kind: "stopped"; tenant: string };

/**
 * Where tenants run. The runtime talks to Docker only through this seam, so a second engine (Swarm, with
 * services scaled 0/1) is a new file, not a rewrite. It starts, stops, inspects and reaches the tenants
 * the program declared; it never creates or deletes them.
 */
export interface Engine {
  /** Is the engine reachable? */
  ping(): Promise<boolean>;
  /** Every tenant the program declared for this stack. */
  discover(): Promise<DeclaredTenant[]>;
  /** Ids of the declared tenants whose containers are running now. */
  running(): Promise<Set<string>>;
  /** The tenant's container state; undefined when the container is gone. */
  state(tenant: DeclaredTenant): Promise<RunState | undefined>;
  /** Starts the declared container; starting a running one is not an error. */
  start(tenant: DeclaredTenant): Promise<void>;
  /**
   * Stops it (volumes and data stay); stopping a stopped one is not an error. graceSeconds is how long the
   * app gets to exit on SIGTERM before it is killed.
   */
  stop(tenant: DeclaredTenant, graceSeconds?: number): Promise<void>;
  /** host:port this process reaches the tenant's app on; joins the tenant's network first if it must. */
  address(tenant: DeclaredTenant): Promise<string>;
  logs(tenant: DeclaredTenant, lines: number): Promise<string[]>;
  stats(tenant: DeclaredTenant): Promise<TenantStats>;
  /** Calls back on changes; returns a function that stops watching. */
  watch(onEvent: (event: EngineEvent) => void): () => void;
}
