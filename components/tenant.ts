import * as crypto from "crypto";
import * as pulumi from "@pulumi/pulumi";
import * as docker from "@pulumi/docker";
import * as random from "@pulumi/random";
import { LABEL, TENANT_APP_PORT } from "../runtime/labels";
import { tenantLabels } from "../runtime/engine/declared";
import { labelList } from "./docker-labels";
import { TenantSpec } from "./tenants-file";

export interface TenantArgs {
  /** Stack prefix of every Docker name, e.g. "dormer-local". */
  prefix: string;
  stack: string;
  /** The validated tenant, its plan already applied. */
  spec: TenantSpec;
  /** Image to run: the project's tenant app unless the tenant names its own. */
  image: pulumi.Input<string>;
  /** Caps the plan's idle timeout (the ci stack uses a short one). */
  maxIdleTimeoutSeconds?: number;
}

const HEALTHCHECK_INTERVAL = "2s";

/**
 * One tenant: its own network, its files and data volumes (kept when the tenant leaves tenants.yaml), and a
 * container created asleep. Nothing is published on the host: only the supervisor reaches it.
 */
export class Tenant extends pulumi.ComponentResource {
  readonly containerName: pulumi.Output<string>;
  readonly networkName: pulumi.Output<string>;
  readonly volumeNames: pulumi.Output<string[]>;
  /** The key people of this tenant log in with on local stacks (a stack secret). */
  readonly accessKey: pulumi.Output<string>;

  constructor(id: string, args: TenantArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("dormer:index:Tenant", id, {}, opts);
    const { spec } = args;
    const limits = spec.limits;
    const base = `${args.prefix}-tenant-${id}`;
    const idleTimeoutSeconds = Math.min(limits.idleTimeoutMinutes * 60, args.maxIdleTimeoutSeconds ?? Infinity);
    const defaultApp = spec.image === undefined;
    const labels = (extra: Record<string, string> = {}) => labelList({ [LABEL.stack]: args.stack, [LABEL.tenant]: id, ...extra });

    const network = new docker.Network(
      `${id}-net`,
      { name: `${base}-net`, driver: "bridge", internal: !limits.egress, labels: labels() },
      { parent: this },
    );
    // Volumes outlive the tenant: a pull request that drops a tenant must never drop its data.
    const volume = (kind: string) =>
      new docker.Volume(
        `${id}-${kind}`,
        { name: `${base}-${kind}`, labels: labels({ [LABEL.volume]: kind }) },
        { parent: this, retainOnDelete: true },
      );
    const files = volume("files");
    const data = volume("data");

    const key = new random.RandomPassword(`${id}-key`, { length: 32, special: false }, { parent: this });
    // A hash of a 32-character random key reveals nothing useful, and keeping it out of secrets keeps the
    // container's labels readable in preview diffs.
    const keyHash = pulumi.unsecret(key.result.apply((k) => crypto.createHash("sha256").update(k).digest("hex")));

    const container = new docker.Container(
      `${id}`,
      {
        name: base,
        image: args.image,
        // Created asleep: the supervisor starts it on the first request. mustRun false keeps a refresh from
        // treating sleep as drift, and from waking every tenant.
        start: false,
        mustRun: false,
        restart: "unless-stopped",
        memory: limits.memoryMb,
        cpus: String(limits.cpus),
        envs: Object.entries({
          ...spec.env,
          DORMER_TENANT_ID: id,
          PORT: String(TENANT_APP_PORT),
          FILES_DIR: "/data/files",
          DATA_DIR: "/data/state",
        }).map(([k, v]) => `${k}=${v}`),
        labels: keyHash.apply((accessKeySha256) =>
          labelList(
            tenantLabels(args.stack, {
              id,
              displayName: spec.displayName,
              plan: spec.plan,
              container: base,
              network: `${base}-net`,
              port: TENANT_APP_PORT,
              idleTimeoutSeconds,
              dailyRequestQuota: limits.dailyRequestQuota,
              maxHeldRequests: limits.maxHeldRequests,
              wakeTimeoutSeconds: limits.wakeTimeoutSeconds,
              egress: limits.egress,
              members: spec.members,
              accessKeySha256,
              ports: spec.ports,
            }),
          ),
        ),
        networksAdvanced: [{ name: network.name, aliases: ["app"] }],
        volumes: [
          { volumeName: files.name, containerPath: "/data/files" },
          { volumeName: data.name, containerPath: "/data/state" },
        ],
        capabilities: { drops: ["ALL"] },
        securityOpts: ["no-new-privileges:true"],
        ...(defaultApp
          ? {
              user: "10001:10001",
              readOnly: true,
              healthcheck: {
                tests: ["CMD", "node", "/app/healthcheck.js"],
                interval: HEALTHCHECK_INTERVAL,
                timeout: "2s",
                startPeriod: "1s",
                retries: 3,
              },
            }
          : {}),
      },
      { parent: this, deleteBeforeReplace: true, dependsOn: [files, data] },
    );

    this.containerName = container.name;
    this.networkName = network.name;
    this.volumeNames = pulumi.all([files.name, data.name]);
    this.accessKey = key.result;
    this.registerOutputs({
      containerName: this.containerName,
      networkName: this.networkName,
      volumeNames: this.volumeNames,
      accessKey: this.accessKey,
    });
  }
}
