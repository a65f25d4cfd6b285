/**
 * Typed errors carry their context; toHttp() is the one place they become statuses and JSON bodies, so a
 * client always gets a clear answer naming the problem.
 */
export class DormerError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class WakeTimeoutError extends DormerError {
  constructor(tenant: string, seconds: number) {
    super(504, "wake_timeout", `tenant ${tenant} did not become healthy within ${seconds} s`, { tenant, seconds });
  }
}

export class TooManyHeldError extends DormerError {
  constructor(tenant: string, limit: number) {
    super(503, "too_many_waiting", `too many requests are already waiting for tenant ${tenant} to wake`, { tenant, limit });
  }
}

export class TenantGoneError extends DormerError {
  constructor(tenant: string) {
    super(503, "tenant_unavailable", `tenant ${tenant} has no container; it may be being replaced`, { tenant });
  }
}

/** The swarm gave up on the task it made to wake a tenant: no node fits it, its image is missing, it exited. */
export class TaskNotStartedError extends DormerError {
  constructor(tenant: string, reason: string) {
    super(503, "tenant_not_started", `the swarm could not start tenant ${tenant}: ${reason}`, { tenant });
  }
}

export class ReplacementTimeoutError extends DormerError {
  constructor(tenant: string, seconds: number) {
    super(503, "replacement_timeout", `tenant ${tenant}'s container was removed and no new one answered within ${seconds} s`, { tenant, seconds });
  }
}

export class StoreUnavailableError extends DormerError {
  constructor(what: string) {
    super(503, "store_unavailable", `${what} is unavailable; try again shortly`);
  }
}

export class QuotaExceededError extends DormerError {
  constructor(tenant: string, quota: number) {
    super(429, "quota_exceeded", `tenant ${tenant} used its ${quota} requests for today (UTC)`, { tenant, quota });
  }
}

export class UpstreamError extends DormerError {
  constructor(tenant: string, cause: string) {
    super(502, "upstream_error", `tenant ${tenant} could not be reached: ${cause}`, { tenant });
  }
}

export class ConnectionLimitError extends DormerError {
  constructor(tenant: string, limit: number) {
    super(503, "too_many_connections", `tenant ${tenant} already has its ${limit} connections open; try again shortly`, { tenant, limit });
  }
}

export class UpstreamTimeoutError extends DormerError {
  constructor(tenant: string, seconds: number) {
    super(504, "upstream_timeout", `tenant ${tenant} sent no answer within ${seconds} s`, { tenant, seconds });
  }
}

/** A tenant's port host (`<id>--<port>.<base>`) for a port tenants.yaml does not list for it. */
export class PortNotDeclaredError extends DormerError {
  constructor(tenant: string, port: number, declared: readonly number[], appOrigin: string) {
    const listed = declared.length ? `its extra ports are ${declared.join(", ")}` : "it declares no extra ports";
    super(404, "port_not_declared", `tenant ${tenant} does not serve port ${port}: ${listed} (tenants.yaml ports); its app is at ${appOrigin}`, { tenant, port, ports: [...declared] });
  }
}

const API_KEY_REFUSALS = {
  malformed: "the API key is not of the form dormer_<id>_<secret>",
  unknown: "the API key is not valid for this tenant",
  expired: "the API key has expired",
  revoked: "the API key was revoked",
} as const;

/** A presented API key is refused: 401 naming why, and nothing about any other key. */
export class ApiKeyRejectedError extends DormerError {
  constructor(readonly reason: keyof typeof API_KEY_REFUSALS) {
    super(401, "api_key_invalid", API_KEY_REFUSALS[reason], { reason });
  }
}

export class ApiKeyLimitError extends DormerError {
  constructor(tenant: string, limit: number) {
    super(409, "api_key_limit", `tenant ${tenant} already has its ${limit} API keys; revoke one first`, { limit });
  }
}

/** Too many refused API keys from one client: its next ones are not even looked at for a while. */
export class ApiKeyThrottledError extends DormerError {
  constructor(readonly retryAfterSeconds: number) {
    super(429, "too_many_api_key_failures", `too many refused API keys from your address; try again in ${retryAfterSeconds} s`, { retryAfterSeconds });
  }
}

export function toHttp(err: unknown): { status: number; body: Record<string, unknown> } {
  if (err instanceof DormerError) {
    return { status: err.status, body: { error: err.code, message: err.message, ...err.details } };
  }
  return { status: 500, body: { error: "internal_error", message: "unexpected error; see the supervisor's logs" } };
}
