import * as pulumi from "@pulumi/pulumi";

/** Cloudflare settings of a prod stack; their presence is what turns the tunnel on. */
export interface CloudflareSettings {
  accountId: string;
  zoneId: string;
  /** Public hostname routed through the tunnel to the gateway, e.g. dormer.example.com. */
  hostname: string;
  /** The Access team domain whose JWTs the supervisor verifies, e.g. example.cloudflareaccess.com. */
  accessTeamDomain: string;
  /** Email domains Access lets in; tenants.yaml members then decide which tenant each person reaches. */
  accessAllowedEmailDomains: string[];
}

/** Everything a stack's config says, typed and checked in one place. */
export interface PlatformSettings {
  stack: string;
  /** Prefix of every Docker object this stack owns, so stacks on one host never collide. */
  prefix: string;
  baseImage: string;
  gatewayPort: number;
  publicUrl: string;
  tenantsFile: string;
  /** Requests per minute per client at the gateway (default 60), with this burst on top (default 20). */
  rateLimitPerMinute: number;
  rateLimitBurst: number;
  /** Largest request body the gateway accepts, in MB (default 10); larger ones get 413. */
  maxBodyMb: number;
  /** Caps every tenant's idle timeout (ci uses a short one); unset means the plans decide. */
  maxIdleTimeoutSeconds?: number;
  cloudflare?: CloudflareSettings;
  /** cloudflared's image on stacks with a tunnel; pin a version in prod. */
  cloudflaredImage: string;
}

function port(value: number, key: string): number {
  if (!Number.isInteger(value) || value < 1 || value > 65535) {
    throw new Error(`dormer:${key}: must be a port number (1-65535), got ${value}`);
  }
  return value;
}

export function readSettings(): PlatformSettings {
  const cfg = new pulumi.Config("dormer");
  const stack = pulumi.getStack();
  return {
    stack,
    prefix: `dormer-${stack}`,
    // An offline machine builds its own base when the stack's public one cannot be pulled (see the CLI).
    baseImage: process.env.DORMER_BASE_IMAGE ?? cfg.get("baseImage") ?? "debian:bookworm-slim",
    gatewayPort: port(cfg.getNumber("gatewayPort") ?? 8088, "gatewayPort"),
    publicUrl: cfg.get("publicUrl") ?? `http://127.0.0.1:${cfg.getNumber("gatewayPort") ?? 8088}`,
    // DORMER_TENANTS_FILE lets one run use another file (a pull request's, a test's) without editing stacks/.
    tenantsFile: process.env.DORMER_TENANTS_FILE ?? cfg.get("tenantsFile") ?? "tenants.yaml",
    rateLimitPerMinute: cfg.getNumber("rateLimitPerMinute", { min: 1 }) ?? 60,
    rateLimitBurst: cfg.getNumber("rateLimitBurst", { min: 0 }) ?? 20,
    maxBodyMb: cfg.getNumber("maxBodyMb", { min: 1 }) ?? 10,
    maxIdleTimeoutSeconds: cfg.getNumber("maxIdleTimeoutSeconds", { min: 1 }),
    cloudflare: cfg.getObject<CloudflareSettings>("cloudflare"),
    cloudflaredImage: cfg.get("cloudflaredImage") ?? "cloudflare/cloudflared:latest",
  };
}
