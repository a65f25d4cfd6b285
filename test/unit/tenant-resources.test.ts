import { strict as assert } from "assert";
import * as pulumi from "@pulumi/pulumi";
import * as docker from "@pulumi/docker";
import * as random from "@pulumi/random";
import { MockMonitor } from "@pulumi/pulumi/runtime/mocks";
import { setMockOptions } from "@pulumi/pulumi/runtime/settings";
import { TenantContainer, TenantKey, TenantNetwork, TenantVolume } from "../../components/tenant-resources";

/** What the engine is sent to register one resource, as a plain object, by resource name. */
const sent = new Map<string, Record<string, unknown>>();

class RecordingMonitor extends MockMonitor {
  override async registerResource(req: any, callback: (err: any, res: any) => void): Promise<void> {
    sent.set(req.getName(), req.toObject());
    return super.registerResource(req, callback);
  }
}

const monitor = new RecordingMonitor({
  newResource: (args) => ({ id: `${args.name}-id`, state: { ...args.inputs, result: `generated-${args.name}`, bcryptHash: "h", ipamDriver: "default" } }),
  call: (args) => args.inputs,
});

/** The request for `lean-<x>` next to `pkg-<x>`, the resource's own name and the line that declared it apart. */
function pair(x: string): [Record<string, unknown>, Record<string, unknown>] {
  const strip = (r: Record<string, unknown> | undefined) => {
    assert.ok(r, `${x} registered`);
    const { name: _name, sourceposition: _at, stacktrace: _trace, ...rest } = r;
    return rest;
  };
  return [strip(sent.get(`lean-${x}`)), strip(sent.get(`pkg-${x}`))];
}

const settled = () => new Promise((resolve) => setTimeout(resolve, 200));
const valueOf = <T>(o: pulumi.Output<T>) => new Promise<T>((resolve) => o.apply(resolve));

describe("the tenant's lean resource classes", () => {
  before(async () => {
    await pulumi.runtime.setMocks(monitor.mocks, "dormer", "unit", false);
    setMockOptions(monitor, "dormer", "unit", false);
  });

  it("a network is registered exactly as docker.Network registers it", async () => {
    const args: docker.NetworkArgs = {
      name: "n",
      driver: "bridge",
      internal: true,
      labels: [{ label: "dormer.stack", value: "unit" }],
      ipamConfigs: pulumi.output([{ subnet: "10.1.0.0/28", gateway: "10.1.0.1" }]),
      options: { "com.docker.network.bridge.name": "dt-n" },
    };
    new docker.Network("pkg-net", args);
    const lean = new TenantNetwork("lean-net", args);
    assert.equal(await valueOf(lean.name), "n");
    await settled();
    const [a, b] = pair("net");
    assert.deepEqual(a, b);
  });

  it("a volume is registered exactly as docker.Volume registers it, retainOnDelete included", async () => {
    const args: docker.VolumeArgs = { name: "v", driver: "dormer-disk", driverOpts: { disk: "d" }, labels: [{ label: "dormer.volume", value: "files" }] };
    new docker.Volume("pkg-vol", args, { retainOnDelete: true });
    const lean = new TenantVolume("lean-vol", args, { retainOnDelete: true });
    assert.equal(await valueOf(lean.name), "v");
    await settled();
    const [a, b] = pair("vol");
    assert.deepEqual(a, b);
  });

  it("a key is registered exactly as random.RandomPassword registers it, its generated values secret outputs", async () => {
    new random.RandomPassword("pkg-key", { length: 32, special: false });
    const lean = new TenantKey("lean-key", { length: 32, special: false });
    assert.equal(await valueOf(lean.result), "generated-lean-key");
    await settled();
    const [a, b] = pair("key");
    assert.deepEqual(a, b);
    // The engine, not the SDK, marks them secret (mocks do not), from this list.
    assert.deepEqual((a as { additionalsecretoutputsList: string[] }).additionalsecretoutputsList, ["bcryptHash", "result"]);
  });

  it("a container is registered exactly as docker.Container registers it, with dependencies and secret outputs", async () => {
    const volume = new TenantVolume("dep-vol", { name: "dep" });
    const args: docker.ContainerArgs = {
      name: "c",
      image: pulumi.output("sha256:abc"),
      start: false,
      mustRun: false,
      memory: 128,
      envs: pulumi.secret(["A=1"]),
      labels: [{ label: "dormer.tenant", value: "t" }],
      volumes: [{ volumeName: volume.name, containerPath: "/data" }],
      capabilities: { drops: ["ALL"] },
      healthcheck: { tests: ["CMD", "true"], interval: "2s" },
    };
    const opts: pulumi.CustomResourceOptions = { deleteBeforeReplace: true, dependsOn: [volume], additionalSecretOutputs: ["envs"] };
    new docker.Container("pkg-container", args, opts);
    const lean = new TenantContainer("lean-container", args, opts);
    assert.equal(await valueOf(lean.name), "c");
    await settled();
    const [a, b] = pair("container");
    assert.deepEqual(a, b);
    assert.equal((a as { version: string }).version, "5.2.0");
  });
});
