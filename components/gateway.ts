import * as pulumi from "@pulumi/pulumi";
import * as docker from "@pulumi/docker";
import { roleLabels } from "./docker-labels";
import { GATEWAY_PORT, GatewayConfigArgs, renderNginxConf } from "./gateway-config";

export interface GatewayArgs extends Omit<GatewayConfigArgs, "supervisorHost"> {
  prefix: string;
  stack: string;
  image: pulumi.Input<string>;
  supervisorHost: pulumi.Input<string>;
  /** Internal network shared with the supervisor. */
  coreNetwork: pulumi.Input<string>;
  /** Network with a way out, on which the port is published (and cloudflared runs). */
  edgeNetwork: pulumi.Input<string>;
  /** Host port, published on 127.0.0.1 only. */
  hostPort: number;
}

/** nginx in front of the supervisor: rate limit, body-size limit, WebSocket pass-through. */
export class Gateway extends pulumi.ComponentResource {
  readonly host: pulumi.Output<string>;
  readonly url: string;

  constructor(name: string, args: GatewayArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("dormer:index:Gateway", name, {}, opts);
    const conf = pulumi.output(args.supervisorHost).apply((supervisorHost) => renderNginxConf({ ...args, supervisorHost }));
    const container = new docker.Container(
      name,
      {
        name: `${args.prefix}-gateway`,
        image: args.image,
        restart: "unless-stopped",
        envs: [pulumi.interpolate`DORMER_NGINX_CONF=${conf}`, pulumi.interpolate`DORMER_SUPERVISOR_HOST=${args.supervisorHost}`],
        labels: roleLabels(args.stack, "gateway"),
        networksAdvanced: [{ name: args.edgeNetwork }, { name: args.coreNetwork }],
        ports: [{ internal: GATEWAY_PORT, external: args.hostPort, ip: "127.0.0.1", protocol: "tcp" }],
      },
      { parent: this },
    );
    this.host = container.name;
    this.url = `http://127.0.0.1:${args.hostPort}`;
    this.registerOutputs({ host: this.host, url: this.url });
  }
}
