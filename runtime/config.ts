import { z } from "zod";

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
    DORMER_IDENTITY: z.enum(["keys", "cloudflare-access"]).default("keys"),
    DORMER_ACCESS_TEAM_DOMAIN: z.string().optional(),
    DORMER_ACCESS_AUDIENCE: z.string().optional(),
    DORMER_MAX_IDLE_TIMEOUT_SECONDS: z.coerce.number().int().min(1).optional(),
    DOCKER_SOCKET: z.string().default("/var/run/docker.sock"),
    DORMER_SELF_CONTAINER: z.string().optional(),
    DORMER_REAPER_INTERVAL_MS: z.coerce.number().int().min(100).default(5000),
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
  publicUrl: string;
  identity: "keys" | "cloudflare-access";
  access?: { teamDomain: string; audience: string };
  maxIdleTimeoutSeconds?: number;
  dockerSocket: string;
  /** The supervisor's own container, when it runs in one: it joins tenant networks to reach them. */
  selfContainer?: string;
  reaperIntervalMs: number;
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
    identity: e.DORMER_IDENTITY,
    access: e.DORMER_ACCESS_TEAM_DOMAIN && e.DORMER_ACCESS_AUDIENCE
      ? { teamDomain: e.DORMER_ACCESS_TEAM_DOMAIN, audience: e.DORMER_ACCESS_AUDIENCE }
      : undefined,
    maxIdleTimeoutSeconds: e.DORMER_MAX_IDLE_TIMEOUT_SECONDS,
    dockerSocket: e.DOCKER_SOCKET,
    selfContainer: e.DORMER_SELF_CONTAINER,
    reaperIntervalMs: e.DORMER_REAPER_INTERVAL_MS,
  };
}
