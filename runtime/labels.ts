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
  egress: "dormer.egress",
  /** Comma-separated emails and @domains whose people belong to the tenant (Cloudflare Access mapping). */
  members: "dormer.members",
  /** Comma-separated extra ports the tenant serves besides LABEL.port. */
  ports: "dormer.ports",
  /** Which of a tenant's volumes this is: files or data. */
  volume: "dormer.volume",
  /** SHA-256 (hex) of the tenant's access key; the key itself stays a stack secret. */
  accessKeySha256: "dormer.access-key-sha256",
} as const;

export type Role = "tenant" | "supervisor" | "gateway" | "redis" | "tunnel";

/** The port every tenant container serves HTTP on, unless its image says otherwise through LABEL.port. */
export const TENANT_APP_PORT = 8080;
