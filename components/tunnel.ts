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
  /** cloudflared's fixed address on the edge network: the one peer the gateway believes CF-Connecting-IP from. */
  edgeAddress: string;
  /** Tenants' origins are `<id>.<tenantBaseDomain>`: one wildcard name for all of them. */
  tenantBaseDomain: string;
  /** Tenants' own host names (tenants.yaml `hostnames`); each gets an ingress rule, a DNS record and an Access application. */
  tenantHostnames: string[];
  cloudflaredImage: string;
}

/** The zone a tenant's own host name's record goes in: the longest domain of hostnameZones it is in, else the tenants' zone. */
export function zoneOfHostname(hostname: string, args: Pick<CloudflareSettings, "hostnameZones" | "tenantZoneId" | "zoneId">): string {
  const domains = Object.keys(args.hostnameZones ?? {}).filter((d) => hostname === d || hostname.endsWith(`.${d}`));
  const best = domains.sort((a, b) => b.length - a.length)[0];
  return best === undefined ? (args.tenantZoneId ?? args.zoneId) : args.hostnameZones![best]!;
}

/**
 * Prod stacks only: a Cloudflare tunnel whose config routes the platform's hostname and every tenant's
 * (`*.<tenantBaseDomain>`, one wildcard, so adding a tenant changes nothing here) to the gateway, their DNS
 * records, one Access application in front of both (one audience for the supervisor to check), and the
 * cloudflared container that holds the tunnel open. No port is published on the host: all traffic arrives
 * through the tunnel.
 */
export class Tunnel extends pulumi.ComponentResource {
  /** The Access application's audience tag; the supervisor checks JWTs against it. */
  readonly accessAudience: pulumi.Output<string>;
  /**
   * The audience of each tenant host name's own Access application. It reaches the supervisor through that
   * tenant's labels, so adding a host name replaces that tenant's container, never the supervisor.
   */
  readonly hostnameAudiences: Record<string, pulumi.Output<string>>;
  readonly publicUrl: string;

  constructor(name: string, args: TunnelArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("dormer:index:Tunnel", name, {}, opts);
    const child = { parent: this };
    const tenantHosts = `*.${args.tenantBaseDomain}`;
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
          ingresses: [
            { hostname: args.hostname, service: args.gatewayUrl },
            { hostname: tenantHosts, service: args.gatewayUrl },
            ...args.tenantHostnames.map((hostname) => ({ hostname, service: args.gatewayUrl })),
            { service: "http_status:404" },
          ],
        },
      },
      child,
    );
    new cloudflare.DnsRecord(
      `${name}-dns`,
      { zoneId: args.zoneId, name: args.hostname, type: "CNAME", content: pulumi.interpolate`${tunnel.id}.cfargotunnel.com`, proxied: true, ttl: 1 },
      child,
    );
    new cloudflare.DnsRecord(
      `${name}-tenants-dns`,
      {
        zoneId: args.tenantZoneId ?? args.zoneId,
        name: tenantHosts,
        type: "CNAME",
        content: pulumi.interpolate`${tunnel.id}.cfargotunnel.com`,
        proxied: true,
        ttl: 1,
      },
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
        destinations: [
          { type: "public", uri: args.hostname },
          { type: "public", uri: tenantHosts },
        ],
        type: "self_hosted",
        sessionDuration: "24h",
        policies: [{ id: policy.id, precedence: 1 }],
      },
      child,
    );
    // A tenant's own name is usually in its own zone, and its people sign in to it through an application of
    // its own: Access cookies are per application domain, and one application cannot span several zones.
    this.hostnameAudiences = {};
    for (const hostname of args.tenantHostnames) {
      new cloudflare.DnsRecord(
        `${name}-dns-${hostname}`,
        { zoneId: zoneOfHostname(hostname, args), name: hostname, type: "CNAME", content: pulumi.interpolate`${tunnel.id}.cfargotunnel.com`, proxied: true, ttl: 1 },
        child,
      );
      const hostApp = new cloudflare.ZeroTrustAccessApplication(
        `${name}-access-${hostname}`,
        {
          accountId: args.accountId,
          name: `${args.prefix} ${hostname}`,
          domain: hostname,
          destinations: [{ type: "public", uri: hostname }],
          type: "self_hosted",
          sessionDuration: "24h",
          policies: [{ id: policy.id, precedence: 1 }],
        },
        child,
      );
      this.hostnameAudiences[hostname] = hostApp.aud;
    }
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
        networksAdvanced: [{ name: args.edgeNetwork, ipv4Address: args.edgeAddress }],
      },
      child,
    );
    this.accessAudience = app.aud;
    this.publicUrl = `https://${args.hostname}`;
    this.registerOutputs({ accessAudience: this.accessAudience, publicUrl: this.publicUrl });
  }
}
