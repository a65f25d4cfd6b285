// Which engine runs a stack's tenants, and what of tenants.yaml each one can honour. Shared by the program and
// `dormer validate`, so it must not import @pulumi/*.
import type { TenantSpec, ValidatedTenants } from "./tenants-file";
import { NODE_NAME, NODE_NAME_RULE } from "./tenants-schema";

export const ORCHESTRATORS = ["docker", "swarm"] as const;
/** docker: one host, each tenant a container. swarm: each tenant a service on a Docker Swarm (0 replicas asleep). */
export type Orchestrator = (typeof ORCHESTRATORS)[number];

/** dormer:orchestrator: "docker" unless set. */
export function orchestratorFrom(value: unknown): Orchestrator {
  if (value === undefined) return "docker";
  if (!ORCHESTRATORS.includes(value as Orchestrator)) {
    throw new Error(`dormer:orchestrator: must be one of ${ORCHESTRATORS.join(", ")}, got ${JSON.stringify(value)}`);
  }
  return value as Orchestrator;
}

/** dormer:swarmNode: the node tenants without a `node` of their own are placed on; unset means none. */
export function swarmNodeFrom(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "string" || !NODE_NAME.test(value)) throw new Error(`dormer:swarmNode: ${NODE_NAME_RULE}, got ${JSON.stringify(value)}`);
  return value;
}

/** Where docker stacks' supervisors find the engine, as they always have. */
export const DEFAULT_ENGINE_SOCKET = "/var/run/docker.sock";

/**
 * The host path of the socket of the engine a stack's resources are declared on, which its supervisor mounts
 * to talk to the same engine. A swarm stack talks to its manager wherever DOCKER_HOST says (a unix socket);
 * docker stacks keep the default socket.
 */
export function engineSocketFrom(orchestrator: Orchestrator, dockerHost: string | undefined): string {
  if (orchestrator === "docker" || dockerHost === undefined || dockerHost === "") return DEFAULT_ENGINE_SOCKET;
  if (!dockerHost.startsWith("unix://")) {
    throw new Error(`DOCKER_HOST: a swarm stack's supervisor mounts its manager's socket, so DOCKER_HOST must be unix:///path/to/docker.sock, got ${dockerHost}`);
  }
  return dockerHost.slice("unix://".length);
}

/** Plan fields a swarm service cannot honour, and why: a stack that silently dropped them would lie. */
const SWARM_CANNOT: Partial<Record<keyof TenantSpec["limits"], string>> = {
  diskMb: "a swarm stack has no disk fence (the dormer-disk volume driver runs beside one engine); remove it or use a docker stack",
  lightSleepAfterMinutes: "the swarm cannot freeze a task, so there is no light sleep on a swarm stack; remove it",
  swapMb: "a swarm service has no swap setting; remove it (tasks get the engine's default)",
};

export class OrchestratorError extends Error {
  constructor(
    readonly orchestrator: Orchestrator,
    readonly problems: string[],
  ) {
    const count = problems.length === 1 ? "1 problem" : `${problems.length} problems`;
    super(`tenants.yaml on a ${orchestrator} stack: ${count}\n${problems.map((p) => `  ${p}`).join("\n")}`);
    this.name = "OrchestratorError";
  }
}

/** Where a limit came from, as tenants.yaml reads: the tenant's own override or its plan's value. */
function limitField(plans: ValidatedTenants["plans"], t: TenantSpec, key: string): string {
  const plan = plans[t.plan] as Record<string, unknown> | undefined;
  const fromPlan = plan !== undefined && plan[key] === (t.limits as Record<string, unknown>)[key];
  return fromPlan ? `${key} (from plan ${t.plan})` : `limits.${key}`;
}

/**
 * Every tenant field the stack's orchestrator cannot honour, each naming the tenant and the field. On swarm,
 * every tenant needs a node (its own, or dormer:swarmNode): its volumes live on one node's engine.
 */
export function orchestratorProblems(validated: ValidatedTenants, orchestrator: Orchestrator, swarmNode: string | undefined): string[] {
  return validated.tenants.flatMap((t, index) => {
    const where = `tenants[${index}] (${t.id})`;
    if (orchestrator === "docker") {
      return t.node === undefined ? [] : [`${where}: node: only a swarm stack places tenants on nodes (dormer:orchestrator: swarm)`];
    }
    const out = Object.entries(SWARM_CANNOT)
      .filter(([key]) => {
        const value = (t.limits as Record<string, unknown>)[key];
        return value !== undefined && !(key === "swapMb" && value === 0);
      })
      .map(([key, why]) => `${where}: ${limitField(validated.plans, t, key)}: ${why}`);
    if (t.node === undefined && swarmNode === undefined) {
      out.push(`${where}: node: required on a swarm stack (the node that holds its volumes), or set dormer:swarmNode for every tenant`);
    }
    return out;
  });
}

export function checkOrchestrator(validated: ValidatedTenants, orchestrator: Orchestrator, swarmNode: string | undefined): void {
  const problems = orchestratorProblems(validated, orchestrator, swarmNode);
  if (problems.length > 0) throw new OrchestratorError(orchestrator, problems);
}

/** The swarm placement that keeps a tenant on the node holding its volumes (checkOrchestrator made sure there is one). */
export function placementOf(t: TenantSpec, swarmNode: string | undefined): string {
  const node = t.node ?? swarmNode;
  if (node === undefined) throw new Error(`tenant ${t.id}: no node to place it on (checkOrchestrator runs first)`);
  return `node.hostname==${node}`;
}
