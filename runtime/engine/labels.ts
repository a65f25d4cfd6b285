/**
 * The contract between the program and the runtime: the program writes these labels on the containers it
 * declares, the runtime discovers tenants by reading them (as Sablier does), so adding or changing one tenant
 * never restarts the supervisor. Plain module: the runtime must not import @pulumi/*.
 */
export const LABEL = {
  stack: "dormer.stack",
  role: "dormer.role",
  tenant: "dormer.tenant",
  displayName: "dormer.display-name",
  plan: "dormer.plan",
  port: "dormer.port",
  network: "dormer.network",
  idleTimeoutSeconds: "dormer.idle-timeout-seconds",
  /** A whole number of requests per UTC day, or "unlimited". */
  dailyRequestQuota: "dormer.daily-request-quota",
  /** Requests held while the tenant wakes; the next one gets a 503. */
  maxHeldRequests: "dormer.max-held-requests",
  /** Seconds a held request waits for the tenant to become healthy. */
  wakeTimeoutSeconds: "dormer.wake-timeout-seconds",
  /** Requests (held or forwarded) and WebSockets the tenant may have open in the supervisor at once. */
  maxConnections: "dormer.max-connections",
  /** Seconds a forwarded request may go without a byte either way before it is cut (504 before headers). */
  requestTimeoutSeconds: "dormer.request-timeout-seconds",
  egress: "dormer.egress",
  /** Seconds without a request before the tenant is paused (light sleep); absent: deep sleep only. */
  lightSleepSeconds: "dormer.light-sleep-seconds",
  /** The container's memory limit in MiB, written with lightSleepSeconds: what a paused tenant holds. */
  memoryMb: "dormer.memory-mb",
  /**
   * Processes the tenant may run at once. Upstream's docker provider has no pids_limit, so the supervisor
   * applies it to the container before every start.
   */
  pidsLimit: "dormer.pids-limit",
  /**
   * The tenant's disk quota in MiB, on its container: the disk driver (runtime/volumes) reads it when it
   * mounts the tenant's volumes and grows the disk to it. On the container rather than the volume, because
   * every volume property replaces the volume (and a replaced volume starts empty).
   */
  diskMb: "dormer.disk-mb",
  /** A volume on the tenant's disk, written with diskMb: the supervisor reads the disk's usage through it. */
  diskVolume: "dormer.disk-volume",
  /** Comma-separated emails and @domains whose people belong to the tenant (Cloudflare Access mapping). */
  members: "dormer.members",
  /** Comma-separated extra ports the tenant serves besides LABEL.port. */
  ports: "dormer.ports",
  /**
   * Comma-separated names of the env variables whose values are stack secrets (tenants.yaml secretEnv).
   * Read by the policy pack and by people, not by the runtime; the values are never in a label.
   */
  secretEnv: "dormer.secret-env",
  /** Comma-separated host names of the tenant's own, besides `<id>.<tenantBaseDomain>`. */
  hostnames: "dormer.hostnames",
  /** Prod: comma-separated `host=aud` pairs, the Access application's AUD tag for each host name. */
  accessAudiences: "dormer.access-audiences",
  /** Which of a tenant's volumes this is: files or data. */
  volume: "dormer.volume",
  /** SHA-256 (hex) of the tenant's access key; the key itself stays a stack secret. */
  accessKeySha256: "dormer.access-key-sha256",
} as const;

export type Role = "tenant" | "supervisor" | "gateway" | "gateway-config" | "redis" | "tunnel" | "fence";

/** The port every tenant container serves HTTP on, unless its image says otherwise through LABEL.port. */
export const TENANT_APP_PORT = 8080;

/** The env variable naming a tenant's secretEnv variables, as the label LABEL.secretEnv does: names, never values. */
export const SECRET_ENV_NAMES = "DORMER_SECRET_ENV";
