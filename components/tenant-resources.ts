import * as pulumi from "@pulumi/pulumi";
import type * as docker from "@pulumi/docker";
import type * as random from "@pulumi/random";
import dockerPackage from "@pulumi/docker/package.json";
import randomPackage from "@pulumi/random/package.json";

// The resources every tenant declares, as the docker and random packages declare them (same type tokens,
// inputs and provider version, so the engine, the providers and the state see no difference) but holding an
// Output only for the inputs a tenant sets and the outputs it reads. The packages' classes make one, with its
// chain of promises, for every property of the type (a Container has ~70), alive until the program ends:
// at a thousand tenants that was most of the CLI's memory and garbage collection (docs/BENCHMARKS.md).
// The engine still returns every output; the SDK resolves the ones named here and ignores the rest.

const dockerVersion = { version: dockerPackage.version.replace(/^v/, "") };
const randomVersion = { version: randomPackage.version.replace(/^v/, "") };

/** Only what a tenant sets: undefined inputs are never sent, so leaving them out changes nothing. */
function setOnly<T extends object>(args: T): Record<string, unknown> {
  return Object.fromEntries(Object.entries(args).filter(([, v]) => v !== undefined));
}

/** A docker resource whose one read output is its name. */
class NamedDockerResource extends pulumi.CustomResource {
  declare readonly name: pulumi.Output<string>;

  constructor(type: string, name: string, args: { name?: pulumi.Input<string | undefined> }, opts: pulumi.CustomResourceOptions) {
    super(type, name, { ...setOnly(args), name: args.name }, pulumi.mergeOptions(dockerVersion, opts));
  }
}

export class TenantNetwork extends NamedDockerResource {
  constructor(name: string, args: docker.NetworkArgs, opts: pulumi.CustomResourceOptions = {}) {
    super("docker:index/network:Network", name, args, opts);
  }
}

export class TenantVolume extends NamedDockerResource {
  constructor(name: string, args: docker.VolumeArgs, opts: pulumi.CustomResourceOptions = {}) {
    super("docker:index/volume:Volume", name, args, opts);
  }
}

export class TenantContainer extends NamedDockerResource {
  constructor(name: string, args: docker.ContainerArgs, opts: pulumi.CustomResourceOptions = {}) {
    super("docker:index/container:Container", name, args, opts);
  }
}

/** A swarm tenant's service (components/swarm/tenant-service.ts). */
export class TenantService extends NamedDockerResource {
  constructor(name: string, args: docker.ServiceArgs, opts: pulumi.CustomResourceOptions = {}) {
    super("docker:index/service:Service", name, args, opts);
  }
}

export class TenantKey extends pulumi.CustomResource {
  declare readonly result: pulumi.Output<string>;

  constructor(name: string, args: random.RandomPasswordArgs, opts: pulumi.CustomResourceOptions = {}) {
    // As the package does: both generated values are secrets in the state.
    const secret = { additionalSecretOutputs: ["bcryptHash", "result"] };
    super("random:index/randomPassword:RandomPassword", name, { ...setOnly(args), result: undefined }, pulumi.mergeOptions(pulumi.mergeOptions(randomVersion, opts), secret));
  }
}
