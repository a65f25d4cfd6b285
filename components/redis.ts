import * as pulumi from "@pulumi/pulumi";
import * as docker from "@pulumi/docker";
import * as random from "@pulumi/random";
import { roleLabels } from "./docker-labels";

export interface RedisArgs {
  prefix: string;
  stack: string;
  image: pulumi.Input<string>;
  /** The internal network the supervisor reaches Redis on. */
  network: pulumi.Input<string>;
}

export const REDIS_PORT = 6379;

/** Redis for sessions, wake locks and activity, with a generated password and its data on a kept volume. */
export class Redis extends pulumi.ComponentResource {
  readonly host: pulumi.Output<string>;
  readonly password: pulumi.Output<string>;
  /** redis://:password@host:port, a secret. */
  readonly url: pulumi.Output<string>;

  constructor(name: string, args: RedisArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("dormer:index:Redis", name, {}, opts);
    const labels = roleLabels(args.stack, "redis");
    const password = new random.RandomPassword(`${name}-password`, { length: 32, special: false }, { parent: this });
    const data = new docker.Volume(
      `${name}-data`,
      { name: `${args.prefix}-redis-data`, labels },
      { parent: this, retainOnDelete: true },
    );
    const container = new docker.Container(
      name,
      {
        name: `${args.prefix}-redis`,
        image: args.image,
        restart: "unless-stopped",
        envs: [pulumi.interpolate`REDIS_PASSWORD=${password.result}`],
        labels,
        networksAdvanced: [{ name: args.network }],
        volumes: [{ volumeName: data.name, containerPath: "/data" }],
        healthcheck: {
          tests: ["CMD-SHELL", 'redis-cli --no-auth-warning -a "$REDIS_PASSWORD" ping | grep -q PONG'],
          interval: "5s",
          timeout: "3s",
          retries: 5,
        },
      },
      { parent: this },
    );
    this.host = container.name;
    this.password = password.result;
    this.url = pulumi.secret(pulumi.interpolate`redis://:${password.result}@${container.name}:${REDIS_PORT}`);
    this.registerOutputs({ host: this.host, url: this.url });
  }
}
