import * as pulumi from "@pulumi/pulumi";
import * as docker from "@pulumi/docker";
import * as random from "@pulumi/random";
import { LABEL } from "../runtime/labels";
import { labelList } from "./docker-labels";
import { Gateway } from "./gateway";
import { GATEWAY_PORT } from "./gateway-config";
import { buildImages } from "./images";
import { Redis } from "./redis";
import { PlatformSettings } from "./settings";
import { Supervisor, SUPERVISOR_PORT } from "./supervisor";
import { Tenant } from "./tenant";
import { ValidatedTenants } from "./tenants-file";
import { Tunnel } from "./tunnel";

export interface PlatformArgs {
  settings: PlatformSettings;
  tenants: ValidatedTenants;
}

/** The whole platform of one stack: shared networks, Redis, supervisor, gateway, tunnel (prod), tenants. */
export class Platform extends pulumi.ComponentResource {
  readonly gatewayUrl: string;
  readonly publicUrl: string;
  readonly adminToken: pulumi.Output<string>;
  readonly sessionKey: pulumi.Output<string>;
  readonly redisPassword: pulumi.Output<string>;
  readonly tenantKeys: pulumi.Output<Record<string, string>>;
  readonly tenants: Record<string, Tenant>;

  constructor(name: string, args: PlatformArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("dormer:index:Platform", name, {}, opts);
    const { settings } = args;
    const child = { parent: this };
    const labels = labelList({ [LABEL.stack]: settings.stack });

    // core: gateway, supervisor and Redis, no way out. edge: the published port and cloudflared.
    const core = new docker.Network("core-net", { name: `${settings.prefix}-core`, internal: true, labels }, child);
    const edge = new docker.Network("edge-net", { name: `${settings.prefix}-edge`, labels }, child);

    const images = buildImages(settings.prefix, settings.baseImage, this);
    const sessionKey = new random.RandomBytes("session-key", { length: 32 }, child);
    const adminToken = new random.RandomPassword("admin-token", { length: 40, special: false }, child);
    const redis = new Redis("redis", { prefix: settings.prefix, stack: settings.stack, image: images.redis, network: core.name }, child);

    const gatewayHost = `${settings.prefix}-gateway`;
    const tunnel = settings.cloudflare
      ? new Tunnel(
          "tunnel",
          {
            ...settings.cloudflare,
            prefix: settings.prefix,
            stack: settings.stack,
            gatewayUrl: `http://${gatewayHost}:${GATEWAY_PORT}`,
            edgeNetwork: edge.name,
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
        redisUrl: redis.url,
        sessionKey: sessionKey.base64,
        adminToken: adminToken.result,
        publicUrl: tunnel?.publicUrl ?? settings.publicUrl,
        maxIdleTimeoutSeconds: settings.maxIdleTimeoutSeconds,
        access: tunnel && settings.cloudflare
          ? { teamDomain: settings.cloudflare.accessTeamDomain, audience: tunnel.accessAudience }
          : undefined,
      },
      { parent: this, dependsOn: [redis] },
    );
    new Gateway(
      "gateway",
      {
        prefix: settings.prefix,
        stack: settings.stack,
        image: images.gateway,
        supervisorHost: supervisor.host,
        supervisorPort: SUPERVISOR_PORT,
        coreNetwork: core.name,
        edgeNetwork: edge.name,
        hostPort: settings.gatewayPort,
        rateLimitPerMinute: settings.rateLimitPerMinute,
        rateLimitBurst: settings.rateLimitBurst,
        maxBodyMb: settings.maxBodyMb,
        behindCloudflare: tunnel !== undefined,
      },
      child,
    );

    this.tenants = {};
    for (const spec of args.tenants.tenants) {
      const image = spec.image === undefined
        ? images.tenantApp
        : new docker.RemoteImage(`${spec.id}-image`, { name: spec.image, keepLocally: true }, child).imageId;
      this.tenants[spec.id] = new Tenant(
        spec.id,
        { prefix: settings.prefix, stack: settings.stack, spec, image, maxIdleTimeoutSeconds: settings.maxIdleTimeoutSeconds },
        child,
      );
    }

    this.gatewayUrl = `http://127.0.0.1:${settings.gatewayPort}`;
    this.publicUrl = tunnel?.publicUrl ?? settings.publicUrl;
    this.adminToken = adminToken.result;
    this.sessionKey = sessionKey.base64;
    this.redisPassword = redis.password;
    this.tenantKeys = pulumi.secret(
      pulumi.all(Object.fromEntries(Object.entries(this.tenants).map(([id, t]) => [id, t.accessKey]))),
    );
    this.registerOutputs({ gatewayUrl: this.gatewayUrl, publicUrl: this.publicUrl, tenantKeys: this.tenantKeys });
  }
}
