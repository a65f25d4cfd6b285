import * as pulumi from "@pulumi/pulumi";
import * as cloudflare from "@pulumi/cloudflare";
import * as docker from "@pulumi/docker";
import * as random from "@pulumi/random";
import { roleLabels } from "./docker-labels";
import { CloudflareSettings } from "./settings";

export interface TunnelArgs extends CloudflareSettings {
  prefix: string;
  stack: string;
  /** Where cloudflared sends traffic: the gateway on the edge network. */
  gatewayUrl: pulumi.Input<string>;
  edgeNetwork: pulumi.Input<string>;
  cloudflaredImage: string;
}

/**
 * Prod stacks only: a Cloudflare tunnel whose config routes the public hostname to the gateway, its DNS
 * record, an Access application in front of it, and the cloudflared container that holds the tunnel open.
 * No port is published on the host: all traffic arrives through the tunnel.
 */
export class Tunnel extends pulumi.ComponentResource {
  /** The Access application's audience tag; the supervisor checks JWTs against it. */
  readonly accessAudience: pulumi.Output<string>;
  readonly publicUrl: string;

  constructor(name: string, args: TunnelArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("dormer:index:Tunnel", name, {}, opts);
    const child = { parent: this };
    const secret = new random.RandomBytes(`${name}-secret`, { length: 32 }, child);
    const tunnel = new cloudflare.ZeroTrustTunnelCloudflared(
      name,
      { accountId: args.accountId, name: args.prefix, configSrc: "cloudflare", tunnelSecret: secret.base64 },
      child,
    );
    new cloudflare.ZeroTrustTunnelCloudflaredConfig(
      `${name}-config`,
      {
        accountId: args.accountId,
        tunnelId: tunnel.id,
        config: {
          ingresses: [{ hostname: args.hostname, service: args.gatewayUrl }, { service: "http_status:404" }],
        },
      },
      child,
    );
    new cloudflare.DnsRecord(
      `${name}-dns`,
      { zoneId: args.zoneId, name: args.hostname, type: "CNAME", content: pulumi.interpolate`${tunnel.id}.cfargotunnel.com`, proxied: true, ttl: 1 },
      child,
    );
    const policy = new cloudflare.ZeroTrustAccessPolicy(
      `${name}-policy`,
      {
        accountId: args.accountId,
        name: `${args.prefix} members`,
        decision: "allow",
        includes: args.accessAllowedEmailDomains.map((domain) => ({ emailDomain: { domain } })),
      },
      child,
    );
    const app = new cloudflare.ZeroTrustAccessApplication(
      `${name}-access`,
      {
        accountId: args.accountId,
        name: args.prefix,
        domain: args.hostname,
        type: "self_hosted",
        sessionDuration: "24h",
        policies: [{ id: policy.id, precedence: 1 }],
      },
      child,
    );
    const token = cloudflare.getZeroTrustTunnelCloudflaredTokenOutput({ accountId: args.accountId, tunnelId: tunnel.id }, child);
    // By ID, as every container here: Docker reports the ID back, so a name would read as drift on refresh.
    const image = new docker.RemoteImage(`${name}-cloudflared-image`, { name: args.cloudflaredImage, keepLocally: true }, child);
    new docker.Container(
      `${name}-cloudflared`,
      {
        name: `${args.prefix}-cloudflared`,
        image: image.imageId,
        restart: "unless-stopped",
        command: ["tunnel", "--no-autoupdate", "run"],
        envs: [pulumi.interpolate`TUNNEL_TOKEN=${token.token}`],
        labels: roleLabels(args.stack, "tunnel"),
        networksAdvanced: [{ name: args.edgeNetwork }],
      },
      child,
    );
    this.accessAudience = app.aud;
    this.publicUrl = `https://${args.hostname}`;
    this.registerOutputs({ accessAudience: this.accessAudience, publicUrl: this.publicUrl });
  }
}
