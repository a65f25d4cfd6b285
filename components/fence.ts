import * as crypto from "crypto";
import * as pulumi from "@pulumi/pulumi";
import * as docker from "@pulumi/docker";
import { roleLabels } from "./docker-labels";

/**
 * Every tenant network's Linux bridge is named "dt-<hash>", so the fence's rules on "dt+" cover every
 * tenant of every stack on the host without knowing them. Keep in step with components/images/fence.
 */
export const TENANT_BRIDGE_PREFIX = "dt";

/** "dt-" and 12 hex digits of the network's name: unique per network, within Linux's 15-character limit. */
export function tenantBridgeName(network: string): string {
  return `${TENANT_BRIDGE_PREFIX}-${crypto.createHash("sha256").update(network).digest("hex").slice(0, 12)}`;
}

/** The bridge a swarm node's tasks reach the outside through (Docker's name for it), shared by its tasks. */
export const SWARM_GATEWAY_BRIDGE = "docker_gwbridge";

export interface FenceArgs {
  prefix: string;
  stack: string;
  image: pulumi.Input<string>;
  /** A swarm stack: its tenants with egress reach the host through the node's gateway bridge, fenced too. */
  swarm: boolean;
}

/**
 * The host firewall fence: a small container in the host's network namespace that keeps iptables rules in
 * place so no tenant reaches any address of the host (its bridge addresses included) or another Docker
 * network, on any port; an egress tenant still reaches the outside. It re-applies them every few seconds
 * and restarts with the Docker daemon, so they survive a daemon restart, a reboot and a flush. Each stack
 * has one; they apply the same rules, so two stacks on one host share them. See docs/security.md.
 */
export class Fence extends pulumi.ComponentResource {
  constructor(name: string, args: FenceArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("dormer:index:Fence", name, {}, opts);
    new docker.Container(
      name,
      {
        name: `${args.prefix}-fence`,
        image: args.image,
        restart: "unless-stopped",
        networkMode: "host",
        envs: [`DORMER_FENCE_BRIDGES=${TENANT_BRIDGE_PREFIX}`, ...(args.swarm ? [`DORMER_FENCE_GATEWAY_BRIDGE=${SWARM_GATEWAY_BRIDGE}`] : [])],
        labels: roleLabels(args.stack, "fence"),
        // Editing the host's firewall is all it may do.
        capabilities: { drops: ["ALL"], adds: ["NET_ADMIN"] },
        securityOpts: ["no-new-privileges:true"],
      },
      { parent: this },
    );
    this.registerOutputs({});
  }
}
