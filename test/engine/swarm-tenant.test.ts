import { strict as assert } from "assert";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ConfigMap, Stack } from "@pulumi/pulumi/automation";
import { openStack } from "../../cli/stack";
import { ensurePlugins, pulumiBinDir } from "../../cli/toolchain";
import { DeclaredTenant } from "../../runtime/engine/engine";
import { SwarmEngine } from "../../runtime/engine/swarm";
import { ensureTestImage, TEST_IMAGE } from "../plugins/helpers";
import { pendingChanges } from "../support/plan";
import { waitFor } from "../support/poll";
import { SWARM_SOCKET, swarmDocker as docker, useSwarm } from "../support/swarm";
import { swarmTenantProgram } from "./fixture/swarm-tenant-program";

const MIB = 1024 * 1024;
const serviceOf = (name: string) => docker.getService(name).inspect().then((s) => s as { ID: string; Version: { Index: number }; Spec: any }, () => undefined);
const runningTasks = async (name: string) => (await docker.listTasks({ filters: { service: [name] } })).filter((t) => t.Status?.State === "running");

describe("engine: a swarm stack's tenant (SwarmTenant) through the real Pulumi engine, woken by the runtime's swarm engine", function () {
  this.timeout(15 * 60_000);
  const suffix = crypto.randomBytes(3).toString("hex");
  const stackLabel = `fxt-${suffix}`;
  const prefix = `dormer-fxt-${suffix}`;
  const service = `${prefix}-tenant-acme`;
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), "dormer-swarm-tenant-"));
  let stack: Stack;
  let node: string;
  let engine: SwarmEngine;
  let tenant: DeclaredTenant;

  const config = (overrides: Record<string, string> = {}): ConfigMap => {
    // Outside the swarm's own pool and every stack's (see scripts/swarm.sh), and not the other swarm tests'.
    const values: Record<string, string> = {
      prefix, stack: stackLabel, node, image: TEST_IMAGE, subnet: "10.215.254.48/28", gateway: "10.215.254.49", memoryMb: "256", declared: "true", ...overrides,
    };
    return Object.fromEntries(Object.entries(values).map(([k, v]) => [`fixture:${k}`, { value: v }]));
  };
  const quiet = { onOutput: () => undefined };

  useSwarm({
    images: () => {
      ensureTestImage();
      return [TEST_IMAGE];
    },
    cleanup: async () => {
      if (stack) await stack.destroy(quiet).catch(() => undefined);
      for (const kind of ["files", "data"]) {
        const name = `${prefix}-tenant-acme-${kind}`;
        await waitFor(`${name} to be removed`, () => docker.getVolume(name).remove().then(() => true, (err) => err.statusCode === 404), 60_000, 250);
      }
      fs.rmSync(workDir, { recursive: true, force: true });
    },
  });
  before(async () => {
    node = (await docker.info()).Name as string;
    engine = new SwarmEngine(stackLabel, SWARM_SOCKET);
    const pulumiDir = pulumiBinDir();
    ensurePlugins(pulumiDir);
    fs.writeFileSync(path.join(workDir, "Pulumi.yaml"), "name: dormer-swarm-tenant\nruntime: nodejs\n");
    stack = await openStack({
      stackName: "fixture",
      projectName: "dormer-swarm-tenant",
      program: swarmTenantProgram,
      workDir,
      stateDir: path.join(workDir, ".dormer"),
      pulumiDir,
      passphrase: "fixture",
    });
    await stack.setAllConfig(config());
  });

  it("up declares a sleeping service: 0 replicas, the plan as limits and reservations, placed on its node, unprivileged", async () => {
    assert.equal((await stack.up(quiet)).summary.result, "succeeded");
    const info = await serviceOf(service);
    assert.ok(info, "service exists");
    assert.equal(info.Spec.Mode.Replicated.Replicas, 0);
    assert.deepEqual(await runningTasks(service), []);
    const task = info.Spec.TaskTemplate;
    assert.deepEqual(task.Resources, { Limits: { NanoCPUs: 0.5e9, MemoryBytes: 256 * MIB }, Reservations: { NanoCPUs: 0.5e9, MemoryBytes: 256 * MIB } });
    assert.deepEqual(task.Placement.Constraints, [`node.hostname==${node}`]);
    assert.deepEqual(task.RestartPolicy, { Condition: "any", Delay: 0, MaxAttempts: 0, Window: 0 });
    assert.equal(task.ContainerSpec.User, "10001:10001");
    assert.equal(task.ContainerSpec.ReadOnly, true);
    assert.deepEqual(task.ContainerSpec.CapabilityDrop, ["ALL"]);
    assert.deepEqual(
      task.ContainerSpec.Mounts.map((m: { Type: string; Target: string; Source?: string }) => `${m.Type}:${m.Source ?? ""}:${m.Target}`),
      [`volume:${service}-files:/data/files`, `volume:${service}-data:/data/state`, "tmpfs::/tmp"],
    );
    assert.deepEqual(info.Spec.UpdateConfig, { Parallelism: 1, FailureAction: "rollback", Monitor: 5e9, MaxFailureRatio: 0, Order: "stop-first" });
    const net = await docker.getNetwork(`${service}-net`).inspect();
    assert.deepEqual([net.Driver, net.Attachable, net.Internal], ["overlay", true, true]);
    assert.deepEqual(net.IPAM?.Config, [{ Subnet: "10.215.254.48/28", Gateway: "10.215.254.49" }]);
    assert.deepEqual(task.Networks, [{ Target: net.Id, Aliases: ["app"] }]);
  });

  it("the runtime's swarm engine discovers it by the service's labels, as the docker engine does a container", async () => {
    const found = await engine.discover();
    assert.equal(found.length, 1);
    tenant = found[0]!;
    assert.equal(tenant.id, "acme");
    assert.equal(tenant.container, service);
    assert.equal(tenant.network, `${service}-net`);
    assert.equal(tenant.wakeTimeoutSeconds, 60);
    assert.match(tenant.accessKeySha256, /^[0-9a-f]{64}$/);
  });

  it("woken by the engine, it stays awake through a preview and an up: the program never sets the replica count again", async () => {
    await engine.start(tenant);
    assert.equal((await runningTasks(service)).length, 1);
    assert.deepEqual(pendingChanges((await stack.preview(quiet)).changeSummary), {});
    await stack.up(quiet);
    assert.equal((await serviceOf(service))?.Spec.Mode.Replicated.Replicas, 1);
    assert.equal((await runningTasks(service)).length, 1);
  });

  it("a memory change updates the service in place: same service, the awake task stopped, the next wake runs the new limit", async () => {
    const before = await serviceOf(service);
    const [oldTask] = await runningTasks(service);
    await stack.setAllConfig(config({ memoryMb: "384" }));
    const up = await stack.up(quiet);
    assert.deepEqual(up.summary.resourceChanges, { same: 6, update: 1 });
    const after = await serviceOf(service);
    assert.equal(after?.ID, before?.ID, "updated, not replaced");
    assert.equal(after?.Spec.TaskTemplate.Resources.Limits.MemoryBytes, 384 * MIB);
    // The update carries the whole spec, and ignoreChanges puts the stored count (0) in it: a changed tenant
    // is put to sleep (its task would be replaced anyway) and wakes on its next request (docs/operating.md).
    assert.equal(after?.Spec.Mode.Replicated.Replicas, 0);
    await waitFor("the old task to stop", async () => (await runningTasks(service)).every((t) => t.ID !== oldTask!.ID), 60_000, 250);
    await engine.start(tenant);
    const [task] = await runningTasks(service);
    assert.equal((task as { Spec: any }).Spec.Resources.Limits.MemoryBytes, 384 * MIB);
  });

  it("put to sleep by the engine, then removed from the file: the service and network go, the volumes stay", async () => {
    await engine.stop(tenant);
    assert.deepEqual(await runningTasks(service), []);
    await stack.setAllConfig(config({ memoryMb: "384", declared: "false" }));
    await stack.up(quiet);
    assert.equal(await serviceOf(service), undefined);
    await waitFor(`${service}-net to leave this node`, () => docker.getNetwork(`${service}-net`).inspect().then(() => false, () => true), 60_000, 250);
    for (const kind of ["files", "data"]) assert.equal((await docker.getVolume(`${service}-${kind}`).inspect()).Name, `${service}-${kind}`);
  });
});
