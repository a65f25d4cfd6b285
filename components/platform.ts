import * as pulumi from "@pulumi/pulumi";
import * as docker from "@pulumi/docker";
import * as random from "@pulumi/random";
import { LABEL } from "../runtime/engine/labels";
import { labelList } from "./docker-labels";
import { Gateway } from "./gateway";
import { GATEWAY_PORT } from "./gateway-config";
import { checkConnectionBudget, descriptorLimit, workerConnections } from "./connection-budget";
import { Fence } from "./fence";
import { checkOrchestrator } from "./orchestrator";
import { boundLogs } from "./log-limits";
import { buildImages } from "./images";
import { Redis } from "./redis";
import { PlatformSettings } from "./settings";
import { allocateSubnets } from "./subnets";
import { Supervisor, SUPERVISOR_PORT } from "./supervisor";
import { SwarmTenant } from "./swarm/tenant-service";
import { Tenant } from "./tenant";
import { checkSecretsSet } from "./tenant-secrets";
import { checkHostnames } from "./hostnames";
import { ValidatedTenants } from "./tenants-file";
import { Tunnel } from "./tunnel";
import { Origins } from "../runtime/http/origins";
import { tenantFingerprint } from "./fingerprint";
import type { RunScope } from "./program";

export interface PlatformArgs {
  settings: PlatformSettings;
  tenants: ValidatedTenants;
  /** The stack's `tenantSubnets` from its last update: what keeps each tenant's subnet where it was. */
  previousSubnets?: pulumi.Input<Record<string, string>>;
  /** From the dormer CLI: which tenants to declare, and what each one's fingerprint is made from. */
  scope?: RunScope;
}

/** The whole platform of one stack: shared networks, Redis, supervisor, gateway, tunnel (prod), tenants. */
export class Platform extends pulumi.ComponentResource {
  readonly gatewayUrl: string;
  readonly publicUrl: string;
  /** Each tenant's own origin, where its people use it (sign-in starts at publicUrl). */
  readonly tenantUrls: Record<string, string>;
  /** Tenants with extra ports (tenants.yaml `ports`): port -> the origin it is reached on, `<id>--<port>.<base>`. */
  readonly tenantPortUrls: Record<string, Record<string, string>>;
  readonly adminToken: pulumi.Output<string>;
  readonly sessionKey: pulumi.Output<string>;
  readonly redisPassword: pulumi.Output<string>;
  readonly tenantKeys: pulumi.Output<Record<string, string>>;
  /**
   * Each declared tenant's component: a Tenant (a container) on docker stacks, a SwarmTenant (a service) on
   * swarm. Every tenant of the file unless the run's scope leaves the unchanged ones out.
   */
  readonly tenants: Record<string, Tenant | SwarmTenant>;
  /** Tenant id -> the subnet of its network; the next update reads it back as `previousSubnets`. */
  readonly tenantSubnets: pulumi.Output<Record<string, string>>;

  constructor(name: string, args: PlatformArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("dormer:index:Platform", name, {}, { ...opts, transformations: [...(opts.transformations ?? []), boundLogs(args.settings.logs)] });
    const { settings } = args;
    const child = { parent: this };
    const labels = labelList({ [LABEL.stack]: settings.stack });
    const pool = settings.subnetPool;
    pool.checkCapacity(args.tenants.tenants.length);
    checkOrchestrator(args.tenants, settings.orchestrator, settings.swarmNode);
    checkConnectionBudget(args.tenants.tenants, settings.maxConnections);
    checkSecretsSet(args.tenants.tenants, settings.tenantSecrets.names, settings.stack);
    checkHostnames(args.tenants.tenants, new URL(settings.cloudflare ? `https://${settings.cloudflare.hostname}` : settings.publicUrl).hostname, settings.tenantBaseDomain);
    const openFiles = descriptorLimit(settings.maxConnections);
    const ipam = (subnet: string) => [{ subnet, gateway: pool.gateway(subnet) }];

    // core: gateway, supervisor and Redis, no way out. edge: the published port and cloudflared.
    const core = new docker.Network(
      "core-net",
      { name: `${settings.prefix}-core`, internal: true, labels, ipamConfigs: ipam(pool.shared("core")) },
      child,
    );
    const edge = new docker.Network("edge-net", { name: `${settings.prefix}-edge`, labels, ipamConfigs: ipam(pool.shared("edge")) }, child);

    const images = buildImages(settings.prefix, settings.baseImage, this);
    new Fence("fence", { prefix: settings.prefix, stack: settings.stack, image: images.fence, swarm: settings.orchestrator === "swarm" }, child);
    const sessionKey = new random.RandomBytes("session-key", { length: 32 }, child);
    const adminToken = new random.RandomPassword("admin-token", { length: 40, special: false }, child);
    const redis = new Redis("redis", { prefix: settings.prefix, stack: settings.stack, image: images.redis, network: core.name }, child);

    const gatewayHost = `${settings.prefix}-gateway`;
    const cloudflaredAddress = pool.lastHost(pool.shared("edge"));
    const tunnel = settings.cloudflare
      ? new Tunnel(
          "tunnel",
          {
            ...settings.cloudflare,
            prefix: settings.prefix,
            stack: settings.stack,
            gatewayUrl: `http://${gatewayHost}:${GATEWAY_PORT}`,
            edgeNetwork: edge.name,
            edgeAddress: cloudflaredAddress,
            tenantBaseDomain: settings.tenantBaseDomain,
            tenantHostnames: args.tenants.tenants.flatMap((t) => t.hostnames),
            cloudflaredImage: settings.cloudflaredImage,
          },
          child,
        )
      : undefined;

    const supervisor = new Supervisor(
      "supervisor",
      {
        prefix: settings.prefix,
        stack: settings.stack,
        image: images.supervisor,
        network: core.name,
        // Only the gateway, Redis and the supervisor are on core, and no tenant can reach it (the fence).
        trustedProxies: [pool.shared("core")],
        redisUrl: redis.url,
        sessionKey: sessionKey.base64,
        adminToken: adminToken.result,
        publicUrl: tunnel?.publicUrl ?? settings.publicUrl,
        tenantBaseDomain: settings.tenantBaseDomain,
        maxIdleTimeoutSeconds: settings.maxIdleTimeoutSeconds,
        openFiles,
        pausedMemoryMb: settings.pausedMemoryMb,
        access: tunnel && settings.cloudflare
          ? { teamDomain: settings.cloudflare.accessTeamDomain, audience: tunnel.accessAudience }
          : undefined,
        replicas: settings.supervisorReplicas,
        orchestrator: settings.orchestrator,
        engineSocket: settings.engineSocket,
      },
      { parent: this, dependsOn: [redis] },
    );
    new Gateway(
      "gateway",
      {
        prefix: settings.prefix,
        stack: settings.stack,
        image: images.gateway,
        supervisorHosts: supervisor.hosts,
        supervisorPort: SUPERVISOR_PORT,
        coreNetwork: core.name,
        edgeNetwork: edge.name,
        hostPort: settings.gatewayPort,
        rateLimitPerMinute: settings.rateLimitPerMinute,
        rateLimitBurst: settings.rateLimitBurst,
        maxBodyMb: settings.maxBodyMb,
        cloudflaredAddress: tunnel ? cloudflaredAddress : undefined,
        platformHost: new URL(tunnel?.publicUrl ?? settings.publicUrl).hostname,
        tenantBaseDomain: settings.tenantBaseDomain,
        tenantHostnames: args.tenants.tenants.flatMap((t) => t.hostnames),
        openFiles,
        workerConnections: workerConnections(settings.maxConnections),
      },
      // Its config names every replica: each must exist before nginx can load it.
      { ...child, dependsOn: [supervisor] },
    );

    const ids = args.tenants.tenants.map((t) => t.id);
    this.tenantSubnets = pulumi.output(args.previousSubnets ?? {}).apply((previous) => allocateSubnets(pool, ids, previous ?? {}));
    this.tenants = {};
    const scope = args.scope;
    for (const spec of args.tenants.tenants) {
      if (scope?.declared && !scope.declared.has(spec.id)) continue;
      const image = spec.image === undefined
        ? images.tenantApp
        : new docker.RemoteImage(`${spec.id}-image`, { name: spec.image, keepLocally: true }, child).imageId;
      const common = {
        prefix: settings.prefix,
        stack: settings.stack,
        spec,
        image,
        secrets: settings.tenantSecrets.values.apply((all) => all[spec.id] ?? {}),
        accessAudiences: tunnel ? pulumi.all(Object.fromEntries(spec.hostnames.map((h) => [h, tunnel.hostnameAudiences[h]!]))) : {},
        ipam: this.tenantSubnets.apply((subnets) => ipam(subnets[spec.id]!)),
        fingerprint: scope ? this.tenantSubnets.apply((subnets) => tenantFingerprint(scope.programDigest, spec, subnets[spec.id])) : undefined,
      };
      // The seam between orchestrators: everything above is shared, the tenant itself is the engine's.
      switch (settings.orchestrator) {
        case "docker":
          this.tenants[spec.id] = new Tenant(spec.id, { ...common, diskDriver: settings.diskDriver }, child);
          break;
        case "swarm":
          this.tenants[spec.id] = new SwarmTenant(spec.id, { ...common, swarmNode: settings.swarmNode }, child);
          break;
      }
    }

    this.gatewayUrl = `http://127.0.0.1:${settings.gatewayPort}`;
    this.publicUrl = tunnel?.publicUrl ?? settings.publicUrl;
    // The runtime's own naming of origins, so the URLs printed are the ones it serves.
    const origins = new Origins(this.publicUrl, settings.tenantBaseDomain);
    // A tenant a later batch of this up creates is in no output yet: it does not exist.
    const present = args.tenants.tenants.filter(({ id }) => !scope?.deferred?.has(id));
    this.tenantUrls = Object.fromEntries(present.map(({ id }) => [id, origins.tenantOrigin(id)]));
    this.tenantPortUrls = Object.fromEntries(
      present
        .filter(({ ports }) => ports.length > 0)
        .map(({ id, ports }) => [id, Object.fromEntries(ports.map((port) => [String(port), origins.hostOrigin(origins.portHost(id, port))]))]),
    );
    this.adminToken = adminToken.result;
    this.sessionKey = sessionKey.base64;
    this.redisPassword = redis.password;
    // A tenant left out of this run keeps its key: the engine keeps its resources as they were.
    const keyOf = (id: string): pulumi.Input<string> => {
      const key = this.tenants[id]?.accessKey ?? scope?.previousTenantKeys[id];
      if (key === undefined) throw new Error(`tenant ${id} is left out of this run, but the stack's last outputs hold no key of it`);
      return key;
    };
    this.tenantKeys = pulumi.secret(pulumi.all(Object.fromEntries(present.map(({ id }) => [id, keyOf(id)]))));
    this.registerOutputs({ gatewayUrl: this.gatewayUrl, publicUrl: this.publicUrl, tenantUrls: this.tenantUrls, tenantPortUrls: this.tenantPortUrls, tenantKeys: this.tenantKeys, tenantSubnets: this.tenantSubnets });
  }
}
