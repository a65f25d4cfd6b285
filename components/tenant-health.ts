/**
 * Every tenant's container (docker) and task (swarm) runs no health check, an image's own included: readiness
 * is the supervisor's probe of GET /health when it wakes a tenant, liveness its watchdog. A check the engine
 * runs is a process exec'd in every awake tenant every interval whether anyone uses it or not (the default
 * app's node check every 2 s cost 65 ms of CPU a second per tenant: 30 idle awake tenants took a core of a
 * 2-core host), and on swarm a task counts as running only once its check passes, which made a wake wait for
 * the check's interval.
 */
export const TENANT_HEALTHCHECK = { tests: ["NONE"] };
