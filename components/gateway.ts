import * as pulumi from "@pulumi/pulumi";
import * as docker from "@pulumi/docker";
import { labelList, roleLabels } from "./docker-labels";
import { GATEWAY_PORT, GatewayConfigArgs, renderNginxConf } from "./gateway-config";
import { configLabels, refusedConfig } from "./gateway-reload";

export interface GatewayArgs extends Omit<GatewayConfigArgs, "supervisorHosts"> {
  prefix: string;
  stack: string;
  image: pulumi.Input<string>;
  /** The supervisor's replicas' container names. */
  supervisorHosts: pulumi.Input<string>[];
  /** Internal network shared with the supervisor. */
  coreNetwork: pulumi.Input<string>;
  /** Network with a way out, on which the port is published (and cloudflared runs). */
  edgeNetwork: pulumi.Input<string>;
  /** Host port, published on 127.0.0.1 only. */
  hostPort: number;
}

/** Where the gateway reads its nginx.conf; the gateway-config container writes it there. */
const CONF_DIR = "/etc/dormer/conf";

/**
 * nginx in front of the supervisor: rate limit, body-size limit, WebSocket pass-through.
 *
 * The container holds only what needs a new nginx process (image, networks, published port, open-file
 * limit). Its nginx.conf lives in a volume and is delivered by a small one-shot container, `gateway-config`,
 * which is replaced whenever the rendered config changes: it checks the config with `nginx -t`, puts it in
 * the volume and signals the running master (it shares the gateway's PID namespace), so a setting such as
 * the rate limit reaches nginx as a reload and no connection is dropped. Its labels name every setting the
 * config was rendered from, so a preview says which one changed. A config nginx rejects fails `up` with
 * nginx's message and is never put in place. See docs/operating.md.
 */
export class Gateway extends pulumi.ComponentResource {
  readonly host: pulumi.Output<string>;
  readonly url: string;
  /** The gateway-config run's report; `up` fails here when nginx refused the config. */
  readonly configApplied: pulumi.Output<string>;

  constructor(name: string, args: GatewayArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("dormer:index:Gateway", name, {}, opts);
    const hosts = pulumi.all(args.supervisorHosts);
    // The entrypoints resolve each name in it (space-separated): nginx loads only when every one resolves.
    const hostsEnv = hosts.apply((h) => `DORMER_SUPERVISOR_HOST=${h.join(" ")}`);
    const volume = new docker.Volume(`${name}-conf`, { name: `${args.prefix}-gateway-conf`, labels: roleLabels(args.stack, "gateway") }, { parent: this });
    const container = new docker.Container(
      name,
      {
        name: `${args.prefix}-gateway`,
        image: args.image,
        restart: "unless-stopped",
        envs: [hostsEnv],
        labels: roleLabels(args.stack, "gateway"),
        networksAdvanced: [{ name: args.edgeNetwork }, { name: args.coreNetwork }],
        volumes: [{ volumeName: volume.name, containerPath: CONF_DIR, readOnly: true }],
        ulimits: [{ name: "nofile", soft: args.openFiles, hard: args.openFiles }],
        ports: [{ internal: GATEWAY_PORT, external: args.hostPort, ip: "127.0.0.1", protocol: "tcp" }],
      },
      { parent: this },
    );
    // What nginx.conf is rendered from: every argument but those of the container itself.
    const { prefix: _p, stack: _s, image: _i, coreNetwork: _c, edgeNetwork: _e, hostPort: _h, supervisorHosts: _hosts, ...rendered } = args;
    const settings = hosts.apply((supervisorHosts): GatewayConfigArgs => ({ ...rendered, supervisorHosts }));
    const config = new docker.Container(
      `${name}-config`,
      {
        name: `${args.prefix}-gateway-config`,
        image: args.image,
        entrypoints: ["/usr/local/bin/dormer-gateway-apply"],
        envs: [hostsEnv],
        labels: settings.apply((s) => [...roleLabels(args.stack, "gateway-config"), ...labelList(configLabels(s))]),
        uploads: [{ file: "/etc/dormer/incoming/nginx.conf", content: settings.apply(renderNginxConf) }],
        volumes: [{ volumeName: volume.name, containerPath: CONF_DIR }],
        // The running master is signalled in its own PID namespace; `nginx -t` resolves the supervisor's name
        // as the gateway does, on the core network.
        pidMode: pulumi.interpolate`container:${container.id}`,
        networksAdvanced: [{ name: args.coreNetwork }],
        attach: true,
        logs: true,
        mustRun: false,
        restart: "no",
      },
      { parent: this },
    );
    this.configApplied = pulumi.all([config.exitCode, config.containerLogs]).apply(([code, logs]) => refusedConfig(code, logs));
    this.host = container.name;
    this.url = `http://127.0.0.1:${args.hostPort}`;
    this.registerOutputs({ host: this.host, url: this.url, configApplied: this.configApplied });
  }
}
