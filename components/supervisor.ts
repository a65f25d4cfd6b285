import * as pulumi from "@pulumi/pulumi";
import * as docker from "@pulumi/docker";
import { roleLabels } from "./docker-labels";
import { Orchestrator } from "./orchestrator";

export interface SupervisorArgs {
  prefix: string;
  stack: string;
  image: pulumi.Input<string>;
  /** The internal network shared with the gateway and Redis. */
  network: pulumi.Input<string>;
  /** Peers whose forwarded client address is believed (the gateway's network): audits and throttles key on it. */
  trustedProxies: string[];
  redisUrl: pulumi.Input<string>;
  sessionKey: pulumi.Input<string>;
  adminToken: pulumi.Input<string>;
  publicUrl: string;
  tenantBaseDomain: string;
  maxIdleTimeoutSeconds?: number;
  /** Its open-files limit (soft = hard), sized from the stack's connection budget. */
  openFiles: number;
  /** The stack's cap on memory held by paused tenants (MiB). */
  pausedMemoryMb?: number;
  /** Cloudflare Access on prod stacks; tenant access keys otherwise. */
  access?: { teamDomain: string; audience: pulumi.Input<string> };
  /** How many supervisors serve side by side (dormer:supervisorReplicas); they are replaced one at a time. */
  replicas: number;
  /** Which engine the runtime drives: containers (docker) or services (swarm). */
  orchestrator: Orchestrator;
  /** Host path of the socket of the engine the stack is declared on, mounted where the runtime looks for it. */
  engineSocket: string;
}

export const SUPERVISOR_PORT = 8080;
/** How long a stopping supervisor may take to answer what it holds (runtime DORMER_DRAIN_SECONDS). */
export const SUPERVISOR_DRAIN_SECONDS = 10;
/** Docker's wait before it kills a container being removed: past the drain and the last flush after it. */
const STOP_GRACE_SECONDS = SUPERVISOR_DRAIN_SECONDS + 5;
/** How long `up` waits for a new replica to pass its health check before it fails (and touches no other). */
const HEALTHY_WITHIN_SECONDS = 120;

/** Replica i's container name (1-based): also its DNS name on the core network. */
export function supervisorHost(prefix: string, replica: number): string {
  return `${prefix}-supervisor-${replica}`;
}

/**
 * The runtime: wakes, proxies to and puts to sleep the tenants the program declared. It finds them by their
 * labels through the Docker socket and joins a tenant's network only while it needs to reach it, so adding,
 * changing or removing a tenant never touches these containers.
 *
 * It runs as `replicas` identical containers behind the gateway, which shares requests between them; all they
 * share is kept in Redis. Each replica depends on the one before it and is created with `wait` (healthy
 * within HEALTHY_WITHIN_SECONDS), so a change that replaces them goes one at a time: replica i+1 is stopped
 * only once replica i's replacement is healthy, and the others serve meanwhile. A stopped replica drains
 * (runtime/http/drain.ts) within its stop grace. See docs/operating.md.
 */
export class Supervisor extends pulumi.ComponentResource {
  /** The replicas' container names, plain strings: the gateway's config never waits on, or changes with, a replacement. */
  readonly hosts: string[];

  constructor(name: string, args: SupervisorArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("dormer:index:Supervisor", name, {}, opts);
    this.hosts = Array.from({ length: args.replicas }, (_, i) => supervisorHost(args.prefix, i + 1));
    let previous: docker.Container | undefined;
    for (const [i, host] of this.hosts.entries()) {
      previous = this.replica(`${name}-${i + 1}`, host, args, previous);
    }
    this.registerOutputs({ hosts: this.hosts });
  }

  private replica(name: string, host: string, args: SupervisorArgs, after: docker.Container | undefined): docker.Container {
    const env: Record<string, pulumi.Input<string>> = {
      PORT: String(SUPERVISOR_PORT),
      DORMER_STACK: args.stack,
      DORMER_REDIS_URL: args.redisUrl,
      DORMER_SESSION_KEY: args.sessionKey,
      DORMER_ADMIN_TOKEN: args.adminToken,
      DORMER_PUBLIC_URL: args.publicUrl,
      DORMER_TENANT_BASE_DOMAIN: args.tenantBaseDomain,
      DORMER_IDENTITY: args.access ? "cloudflare-access" : "keys",
      // Lets the supervisor join a tenant's network while it needs to reach that tenant.
      DORMER_SELF_CONTAINER: host,
      // Listens there (and on 127.0.0.1, for its health check) only, never on a tenant network it joins.
      DORMER_LISTEN_NETWORK: args.network,
      DORMER_TRUSTED_PROXIES: args.trustedProxies.join(","),
      DORMER_DRAIN_SECONDS: String(SUPERVISOR_DRAIN_SECONDS),
      // Set on swarm stacks only: a docker stack's supervisors keep the env they had (the runtime's default).
      ...(args.orchestrator === "swarm" ? { DORMER_ORCHESTRATOR: "swarm" } : {}),
      ...(args.maxIdleTimeoutSeconds ? { DORMER_MAX_IDLE_TIMEOUT_SECONDS: String(args.maxIdleTimeoutSeconds) } : {}),
      ...(args.pausedMemoryMb === undefined ? {} : { DORMER_PAUSED_MEMORY_MB: String(args.pausedMemoryMb) }),
      ...(args.access ? { DORMER_ACCESS_TEAM_DOMAIN: args.access.teamDomain, DORMER_ACCESS_AUDIENCE: args.access.audience } : {}),
    };
    return new docker.Container(
      name,
      {
        name: host,
        image: args.image,
        restart: "unless-stopped",
        envs: Object.entries(env).map(([k, v]) => pulumi.interpolate`${k}=${v}`),
        labels: roleLabels(args.stack, "supervisor"),
        networksAdvanced: [{ name: args.network }],
        // Holding the Docker socket is equivalent to root on the host: see docs/security.md.
        volumes: [{ hostPath: args.engineSocket, containerPath: "/var/run/docker.sock" }],
        ulimits: [{ name: "nofile", soft: args.openFiles, hard: args.openFiles }],
        // Removed (replaced or brought down), it gets SIGTERM and drains; Docker must not kill it mid-drain.
        destroyGraceSeconds: STOP_GRACE_SECONDS,
        healthcheck: {
          tests: ["CMD", "node", "-e", `require('http').get('http://127.0.0.1:${SUPERVISOR_PORT}/live',r=>process.exit(r.statusCode===200?0:1)).on('error',()=>process.exit(1))`],
          interval: "5s",
          timeout: "3s",
          retries: 3,
        },
        // The next replica is replaced only once this one answers: never two down at once.
        wait: true,
        waitTimeout: HEALTHY_WITHIN_SECONDS,
      },
      { parent: this, dependsOn: after ? [after] : [] },
    );
  }
}
