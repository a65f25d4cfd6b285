import * as pulumi from "@pulumi/pulumi";
import * as docker from "@pulumi/docker";
import { roleLabels } from "./docker-labels";

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
}

export const SUPERVISOR_PORT = 8080;
/** How long a stopping supervisor may take to answer what it holds (runtime DORMER_DRAIN_SECONDS). */
export const SUPERVISOR_DRAIN_SECONDS = 10;
/** Docker's wait before it kills a container being removed: past the drain and the last flush after it. */
const STOP_GRACE_SECONDS = SUPERVISOR_DRAIN_SECONDS + 5;

/**
 * The runtime: wakes, proxies to and puts to sleep the tenants the program declared. It finds them by their
 * labels through the Docker socket and joins a tenant's network only while it needs to reach it, so adding,
 * changing or removing a tenant never touches this container.
 */
export class Supervisor extends pulumi.ComponentResource {
  readonly host: pulumi.Output<string>;

  constructor(name: string, args: SupervisorArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("dormer:index:Supervisor", name, {}, opts);
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
      DORMER_SELF_CONTAINER: `${args.prefix}-supervisor`,
      // Listens there (and on 127.0.0.1, for its health check) only, never on a tenant network it joins.
      DORMER_LISTEN_NETWORK: args.network,
      DORMER_TRUSTED_PROXIES: args.trustedProxies.join(","),
      DORMER_DRAIN_SECONDS: String(SUPERVISOR_DRAIN_SECONDS),
      ...(args.maxIdleTimeoutSeconds ? { DORMER_MAX_IDLE_TIMEOUT_SECONDS: String(args.maxIdleTimeoutSeconds) } : {}),
      ...(args.pausedMemoryMb === undefined ? {} : { DORMER_PAUSED_MEMORY_MB: String(args.pausedMemoryMb) }),
      ...(args.access ? { DORMER_ACCESS_TEAM_DOMAIN: args.access.teamDomain, DORMER_ACCESS_AUDIENCE: args.access.audience } : {}),
    };
    const container = new docker.Container(
      name,
      {
        name: `${args.prefix}-supervisor`,
        image: args.image,
        restart: "unless-stopped",
        envs: Object.entries(env).map(([k, v]) => pulumi.interpolate`${k}=${v}`),
        labels: roleLabels(args.stack, "supervisor"),
        networksAdvanced: [{ name: args.network }],
        // Holding the Docker socket is equivalent to root on the host: see docs/security.md.
        volumes: [{ hostPath: "/var/run/docker.sock", containerPath: "/var/run/docker.sock" }],
        ulimits: [{ name: "nofile", soft: args.openFiles, hard: args.openFiles }],
        // Removed (replaced or brought down), it gets SIGTERM and drains; Docker must not kill it mid-drain.
        destroyGraceSeconds: STOP_GRACE_SECONDS,
        healthcheck: {
          tests: ["CMD", "node", "-e", `require('http').get('http://127.0.0.1:${SUPERVISOR_PORT}/live',r=>process.exit(r.statusCode===200?0:1)).on('error',()=>process.exit(1))`],
          interval: "5s",
          timeout: "3s",
          retries: 3,
        },
      },
      { parent: this },
    );
    this.host = container.name;
    this.registerOutputs({ host: this.host });
  }
}
