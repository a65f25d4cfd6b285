import { DeclaredTenant } from "../../runtime/engine/engine";

/** A declared tenant as the supervisor reads it from labels, for tests that need no container. */
export function declaredTenant(id: string, overrides: Partial<DeclaredTenant> = {}): DeclaredTenant {
  return {
    id,
    displayName: id,
    plan: "free",
    container: `dormer-test-${id}`,
    network: `dormer-test-${id}`,
    port: 8080,
    idleTimeoutSeconds: 900,
    dailyRequestQuota: "unlimited",
    maxHeldRequests: 100,
    wakeTimeoutSeconds: 30,
    maxConnections: 100,
    requestTimeoutSeconds: 60,
    egress: false,
    members: [],
    accessKeySha256: "0".repeat(64),
    ports: [],
    hostnames: [],
    accessAudiences: {},
    ...overrides,
  };
}
