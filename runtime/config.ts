import { z } from "zod";
import type { Orchestrator } from "./engine/select";
import { isCidr } from "./http/client-address";

const listOf = (v: string): string[] => v.split(",").map((s) => s.trim()).filter(Boolean);

/** Every setting the supervisor reads, with its environment name, default and check, in one place. */
const Schema = z
  .object({
    PORT: z.coerce.number().int().min(1).max(65535).default(8080),
    DORMER_STACK: z.string().min(1),
    DORMER_REDIS_URL: z.string().regex(/^rediss?:\/\//, "must be a redis:// URL"),
    DORMER_SESSION_KEY: z
      .string()
      .refine((v) => Buffer.from(v, "base64").length >= 32, "must be at least 32 bytes, base64-encoded"),
    DORMER_ADMIN_TOKEN: z.string().min(24, "must be at least 24 characters"),
    DORMER_PUBLIC_URL: z.url(),
    DORMER_TENANT_BASE_DOMAIN: z
      .string()
      .regex(/^(?=.{1,200}$)[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/, "must be a lower-case DNS name, e.g. tenants.example.com")
      .default("localhost"),
    DORMER_IDENTITY: z.enum(["keys", "cloudflare-access"]).default("keys"),
    DORMER_ACCESS_TEAM_DOMAIN: z.string().optional(),
    DORMER_ACCESS_AUDIENCE: z.string().optional(),
    DORMER_MAX_IDLE_TIMEOUT_SECONDS: z.coerce.number().int().min(1).optional(),
    DORMER_PAUSED_MEMORY_MB: z.coerce.number().int().min(0).optional(),
    DOCKER_SOCKET: z.string().default("/var/run/docker.sock"),
    DORMER_ORCHESTRATOR: z.enum(["docker", "swarm"]).default("docker"),
    DORMER_SELF_CONTAINER: z.string().optional(),
    DORMER_LISTEN_NETWORK: z.string().min(1).optional(),
    DORMER_REAPER_INTERVAL_MS: z.coerce.number().int().min(100).default(5000),
    // Below the gateway's proxy_read_timeout (3600 s), so the supervisor's limit is the one that applies.
    DORMER_TUNNEL_IDLE_SECONDS: z.coerce.number().int().min(1).max(3000).default(600),
    // The container's stop grace (components/supervisor.ts) is longer, so Docker never kills a drain.
    DORMER_DRAIN_SECONDS: z.coerce.number().int().min(1).max(300).default(10),
    DORMER_EXHAUSTED_EXIT_SECONDS: z.coerce.number().int().min(1).default(30),
    DORMER_DISK_CHECK_SECONDS: z.coerce.number().int().min(1).max(3600).default(60),
    DORMER_WATCHDOG_INTERVAL_MS: z.coerce.number().int().min(100).default(10_000),
    DORMER_WATCHDOG_TIMEOUT_MS: z.coerce.number().int().min(50).default(2000),
    DORMER_WATCHDOG_FAILURES: z.coerce.number().int().min(1).default(3),
    DORMER_TRUSTED_PROXIES: z
      .string()
      .default("")
      .superRefine((v, ctx) => {
        for (const entry of listOf(v)) if (!isCidr(entry)) ctx.addIssue({ code: "custom", message: `"${entry}" is not an IP address or CIDR (e.g. 172.30.0.0/24)` });
      }),
    DORMER_LOGIN_FAILURES_PER_CLIENT: z.coerce.number().int().min(1).default(5),
    DORMER_LOGIN_FAILURES_PER_TENANT: z.coerce.number().int().min(1).default(50),
    DORMER_LOGIN_WINDOW_SECONDS: z.coerce.number().int().min(1).max(86_400).default(900),
    DORMER_USAGE_RETENTION_DAYS: z.coerce.number().int().min(1).max(3660).default(90),
    DORMER_API_KEYS_PER_TENANT: z.coerce.number().int().min(1).max(1000).default(50),
    DORMER_API_KEY_FAILURES_PER_CLIENT: z.coerce.number().int().min(1).default(20),
    DORMER_API_KEY_WINDOW_SECONDS: z.coerce.number().int().min(1).max(86_400).default(300),
  })
  .refine((e) => e.DORMER_LOGIN_FAILURES_PER_TENANT >= e.DORMER_LOGIN_FAILURES_PER_CLIENT, {
    message: "must not be lower than DORMER_LOGIN_FAILURES_PER_CLIENT (the per-tenant bound is the looser one)",
    path: ["DORMER_LOGIN_FAILURES_PER_TENANT"],
  })
  .refine((e) => !e.DORMER_LISTEN_NETWORK || e.DORMER_SELF_CONTAINER, {
    message: "needs DORMER_SELF_CONTAINER: the supervisor listens on its own container's address on that network",
    path: ["DORMER_LISTEN_NETWORK"],
  })
  .refine((e) => e.DORMER_WATCHDOG_TIMEOUT_MS <= e.DORMER_WATCHDOG_INTERVAL_MS, {
    message: "must not be longer than DORMER_WATCHDOG_INTERVAL_MS",
    path: ["DORMER_WATCHDOG_TIMEOUT_MS"],
  })
  .refine((e) => e.DORMER_IDENTITY !== "cloudflare-access" || (e.DORMER_ACCESS_TEAM_DOMAIN && e.DORMER_ACCESS_AUDIENCE), {
    message: "cloudflare-access needs DORMER_ACCESS_TEAM_DOMAIN and DORMER_ACCESS_AUDIENCE",
    path: ["DORMER_IDENTITY"],
  });

export interface RuntimeConfig {
  port: number;
  stack: string;
  redisUrl: string;
  sessionKey: Uint8Array;
  adminToken: string;
  /** The platform's own origin: sign-in, admin API, health. */
  publicUrl: string;
  /** Tenant `acme` is served on its own origin, `acme.<tenantBaseDomain>` (same scheme and port as publicUrl). */
  tenantBaseDomain: string;
  identity: "keys" | "cloudflare-access";
  access?: { teamDomain: string; audience: string };
  maxIdleTimeoutSeconds?: number;
  /** The most memory (sum of limits, MiB) paused tenants may hold; unset: no cap. */
  pausedMemoryMb?: number;
  dockerSocket: string;
  /** What runs the tenants: containers (docker) or services (swarm) of the engine at dockerSocket. */
  orchestrator: Orchestrator;
  /** The supervisor's own container, when it runs in one: it joins tenant networks to reach them. */
  selfContainer?: string;
  /**
   * The network the gateway reaches the supervisor on: it listens on its address there and on 127.0.0.1
   * only, never on a tenant network it joins. Unset (a supervisor run on the host): 127.0.0.1 only.
   */
  listenNetwork?: string;
  reaperIntervalMs: number;
  /** How often each tenant's disk use is read (metric, admin API, the 80 and 95 % warnings). */
  diskCheckSeconds: number;
  /** A WebSocket (or other upgraded tunnel) with no byte either way for this long is closed. */
  tunnelIdleSeconds: number;
  /**
   * After SIGTERM, how long requests already taken (held wakes included) may take to finish before the
   * supervisor exits anyway; its WebSockets are closed with 1012 at once.
   */
  drainSeconds: number;
  /** Out of file descriptors this long, the supervisor exits so its restart policy restarts it. */
  exhaustedExitSeconds: number;
  /** Probes of awake tenants: every intervalMs, failed past timeoutMs, restarted after `failures` in a row. */
  watchdog: { intervalMs: number; timeoutMs: number; failures: number };
  /**
   * Socket peers (IPs or CIDRs) whose X-Real-IP / X-Forwarded-For is believed: the gateway. Empty: nobody's,
   * every request's client is its socket peer.
   */
  trustedProxies: string[];
  /** Failed sign-ins allowed per (tenant, client address) and per tenant within each window, then 429. */
  loginThrottle: { perClient: number; perTenant: number; windowSeconds: number };
  /** Days each tenant's daily usage is kept in the store. */
  usageRetentionDays: number;
  /** API keys a tenant may hold at once (expired ones not counted). */
  apiKeysPerTenant: number;
  /** Refused API keys allowed per (tenant, client address) within each window, then 429. */
  apiKeyThrottle: { perClient: number; windowSeconds: number };
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

/** Reads the environment; a missing or bad setting is an error naming the variable, never a silent default. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): RuntimeConfig {
  const parsed = Schema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((i) => `${i.path.join(".") || "environment"}: ${i.code === "invalid_type" ? "is required" : i.message}`),
    );
  }
  const e = parsed.data;
  return {
    port: e.PORT,
    stack: e.DORMER_STACK,
    redisUrl: e.DORMER_REDIS_URL,
    sessionKey: Buffer.from(e.DORMER_SESSION_KEY, "base64"),
    adminToken: e.DORMER_ADMIN_TOKEN,
    publicUrl: e.DORMER_PUBLIC_URL,
    tenantBaseDomain: e.DORMER_TENANT_BASE_DOMAIN,
    identity: e.DORMER_IDENTITY,
    access: e.DORMER_ACCESS_TEAM_DOMAIN && e.DORMER_ACCESS_AUDIENCE
      ? { teamDomain: e.DORMER_ACCESS_TEAM_DOMAIN, audience: e.DORMER_ACCESS_AUDIENCE }
      : undefined,
    maxIdleTimeoutSeconds: e.DORMER_MAX_IDLE_TIMEOUT_SECONDS,
    pausedMemoryMb: e.DORMER_PAUSED_MEMORY_MB,
    dockerSocket: e.DOCKER_SOCKET,
    orchestrator: e.DORMER_ORCHESTRATOR,
    selfContainer: e.DORMER_SELF_CONTAINER,
    listenNetwork: e.DORMER_LISTEN_NETWORK,
    reaperIntervalMs: e.DORMER_REAPER_INTERVAL_MS,
    diskCheckSeconds: e.DORMER_DISK_CHECK_SECONDS,
    tunnelIdleSeconds: e.DORMER_TUNNEL_IDLE_SECONDS,
    drainSeconds: e.DORMER_DRAIN_SECONDS,
    exhaustedExitSeconds: e.DORMER_EXHAUSTED_EXIT_SECONDS,
    watchdog: { intervalMs: e.DORMER_WATCHDOG_INTERVAL_MS, timeoutMs: e.DORMER_WATCHDOG_TIMEOUT_MS, failures: e.DORMER_WATCHDOG_FAILURES },
    trustedProxies: listOf(e.DORMER_TRUSTED_PROXIES),
    loginThrottle: {
      perClient: e.DORMER_LOGIN_FAILURES_PER_CLIENT,
      perTenant: e.DORMER_LOGIN_FAILURES_PER_TENANT,
      windowSeconds: e.DORMER_LOGIN_WINDOW_SECONDS,
    },
    usageRetentionDays: e.DORMER_USAGE_RETENTION_DAYS,
    apiKeysPerTenant: e.DORMER_API_KEYS_PER_TENANT,
    apiKeyThrottle: { perClient: e.DORMER_API_KEY_FAILURES_PER_CLIENT, windowSeconds: e.DORMER_API_KEY_WINDOW_SECONDS },
  };
}
