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
  maxConnections: number;
  requestTimeoutSeconds: number;
  egress: boolean;
  /**
   * Light sleep: paused (memory kept, no CPU) after this many seconds without a request, before the deep
   * sleep at idleTimeoutSeconds; undefined means the tenant only sleeps deep.
   */
  lightSleepSeconds?: number;
  /** The tenant's memory limit in MiB: what it holds while paused, counted against the stack's cap. */
  memoryMb?: number;
  /** Applied to the container before it starts; undefined leaves the engine's default. */
  pidsLimit?: number;
  /** The tenant's disk quota in MiB and a volume on that disk (its usage is the disk's); undefined: no disk fence. */
  disk?: { sizeMb: number; volume: string };
  members: string[];
  accessKeySha256: string;
  ports: number[];
  /** Host names of the tenant's own (tenants.yaml `hostnames`), served like `<id>.<base>`. */
  hostnames: string[];
  /**
   * Prod: host name -> the AUD tag of the Access application in front of it, so a custom host's Access JWT
   * is checked against its own application. Empty elsewhere.
   */
  accessAudiences: Record<string, string>;
}

/** A container that is up either answers (running) or is frozen by the cgroup freezer (paused). */
export type UpState = "running" | "paused";

export interface RunState {
  /** True while paused too: the container's processes exist, frozen. */
  running: boolean;
  paused: boolean;
  /** ISO time the container last started; empty when it never did. */
  startedAt: string;
}

export interface TenantStats {
  cpuPercent: number;
  memoryBytes: number;
  memoryLimitBytes: number;
}

/** A tenant's disk as its driver reports it (runtime/volumes): the declared size, what ext4 leaves for files, what is used. */
export interface TenantDisk {
  quotaMb: number;
  capacityBytes: number;
  usedBytes: number;
}

/**
 * What the engine reports changing, so the supervisor can refresh what it knows without polling. `watching`:
 * the report (re)connected, and what changed before it was not reported; `unwatched`: it dropped, and what
 * changes now is not reported until the next `watching`.
 */
export type EngineEvent =
  | { kind: "declared-changed" | "watching" | "unwatched" }
  | { kind: "running" | "stopped" | "paused" | "removed"; tenant: string };

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
  /** The declared tenants whose containers are up now, by id: running or paused. */
  running(): Promise<Map<string, UpState>>;
  /** The tenant's container state; undefined when the container is gone. */
  state(tenant: DeclaredTenant): Promise<RunState | undefined>;
  /** Starts the declared container; starting a running one is not an error. */
  start(tenant: DeclaredTenant): Promise<void>;
  /**
   * Stops it (volumes and data stay); stopping a stopped one is not an error, and a paused one is thawed
   * first so it can handle SIGTERM. graceSeconds is how long the app gets to exit before it is killed.
   */
  stop(tenant: DeclaredTenant, graceSeconds?: number): Promise<void>;
  /** Freezes a running container (light sleep): its memory stays, it gets no CPU; pausing a paused one is not an error. */
  pause(tenant: DeclaredTenant): Promise<void>;
  /** Thaws a paused container; unpausing one that is not paused is not an error. */
  unpause(tenant: DeclaredTenant): Promise<void>;
  /** Stops it (killed after graceSeconds) and starts it again, e.g. when it hangs while awake. */
  restart(tenant: DeclaredTenant, graceSeconds: number): Promise<void>;
  /** host:port this process reaches the tenant's app on; joins the tenant's network first if it must. */
  address(tenant: DeclaredTenant): Promise<string>;
  logs(tenant: DeclaredTenant, lines: number): Promise<string[]>;
  stats(tenant: DeclaredTenant): Promise<TenantStats>;
  /** The tenant's disk use, asleep or awake; undefined for a tenant without a disk fence or whose disk is not made yet. */
  disk(tenant: DeclaredTenant): Promise<TenantDisk | undefined>;
  /** Calls back on changes; returns a function that stops watching. */
  watch(onEvent: (event: EngineEvent) => void): () => void;
}
