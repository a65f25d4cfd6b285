import * as assert from "assert";
import { spawnSync } from "child_process";
import * as crypto from "crypto";
import { UNKNOWN } from "../../scripts/offline/plugins/common/values";
import { dockerProvider as p } from "../../scripts/offline/plugins/docker/main";
import { waitFor } from "../support/poll";
import { swarmDocker as docker, useSwarm } from "../support/swarm";
import { decision, dockerCli, ensureTestImage, exists, TEST_IMAGE, urn } from "./helpers";

const NETWORK = urn("docker:index/network:Network", "tenant-net");
const VOLUME = urn("docker:index/volume:Volume", "tenant-data");
const SERVICE = urn("docker:index/service:Service", "tenant");
const MIB = 1024 * 1024;
// Outside the swarm's own pool (scripts/swarm.sh: 10.215.0.0/17 and docker_gwbridge's 10.215.255.0/24) and
// every stack's, so neither the swarm nor a stack on this host hands it out.
const SUBNET = "10.215.254.0/28";
const GATEWAY = "10.215.254.1";

/**
 * The swarm forgets a removed overlay at once; this node keeps its own copy until the last task container on it
 * is gone (the test image's node, PID 1, ignores SIGTERM: 10 s of stop grace).
 */
const leftThisNode = (network: string) => waitFor(`${network} to leave this node`, async () => !exists("network", network), 60_000, 250);
const inspectService = (name: string): any => JSON.parse(dockerCli("service", "inspect", name))[0];
/** Tasks whose container runs, whatever the swarm wants of them: one being shut down still counts. */
const runningTasks = async (name: string) => (await docker.listTasks({ filters: { service: [name] } })).filter((t) => t.Status?.State === "running");

describe("docker stand-in: service and overlay network against a real single-node swarm", function () {
  this.timeout(180_000);
  // Its own names: other plugin tests, which clean up the shared prefix, may run beside this one.
  const prefix = `dormer-test-svc-${crypto.randomBytes(3).toString("hex")}`;
  const netName = `${prefix}-net`;
  const volName = `${prefix}-data`;
  const svcName = `${prefix}-tenant`;
  let netId: string;
  let netOuts: Record<string, any>;
  let inputs: Record<string, any>;
  let id: string;
  let outs: Record<string, any>;

  // DOCKER_HOST is the private swarm's while this file runs: the stand-in and the docker CLI (dockerCli, exists) use it.
  useSwarm({
    images: () => {
      ensureTestImage();
      return [TEST_IMAGE];
    },
    cleanup: async () => {
      for (const s of await docker.listServices({ filters: { name: [prefix] } })) await docker.getService(s.ID!).remove();
      await docker.getNetwork(netName).remove().catch(() => undefined);
      await leftThisNode(netName);
      // In use until the swarm has removed the task containers that mounted it.
      await waitFor(`${volName} to be removed`, () => docker.getVolume(volName).remove().then(() => true, (err) => err.statusCode === 404), 60_000, 250);
    },
  });
  it("creates an attachable, internal overlay network on its declared subnet", async () => {
    const news = { name: netName, driver: "overlay", attachable: true, internal: true, ipamConfigs: [{ subnet: SUBNET, gateway: GATEWAY }], labels: [{ label: "dormer.tenant", value: "acme" }] };
    const checked = await p.check!(NETWORK, {}, news);
    assert.deepStrictEqual(checked.failures, []);
    const created = await p.create!(NETWORK, checked.inputs);
    ({ id: netId, outs: netOuts } = created);
    const info = JSON.parse(dockerCli("network", "inspect", netName))[0];
    assert.strictEqual(info.Driver, "overlay");
    assert.strictEqual(info.Scope, "swarm");
    assert.strictEqual(info.Internal, true);
    assert.strictEqual(info.Attachable, true);
    assert.deepStrictEqual(info.IPAM.Config.map((c: { Subnet: string }) => c.Subnet), [SUBNET]);
    assert.strictEqual(netOuts.scope, "swarm");
    const read = await p.read!(netId, NETWORK, netOuts);
    assert.deepStrictEqual(decision(await p.diff!(netId, NETWORK, read.props!, news)), { changes: false, replaces: [], deleteBeforeReplace: false });
    assert.deepStrictEqual(decision(await p.diff!(netId, NETWORK, read.props!, { ...news, internal: false })), {
      changes: true,
      replaces: ["internal"],
      deleteBeforeReplace: true,
    });
  });

  it("creates a service with 0 replicas: no task, every declared property in the swarm's spec", async () => {
    await p.create!(VOLUME, { name: volName });
    inputs = {
      name: svcName,
      labels: [{ label: "dormer.tenant", value: "acme" }],
      taskSpec: {
        containerSpec: {
          image: TEST_IMAGE,
          env: { PORT: "8080", TENANT: "acme" },
          labels: [{ label: "dormer.managed", value: "true" }],
          mounts: [{ type: "volume", source: volName, target: "/data" }],
          healthcheck: { tests: ["CMD", "node", "-e", "process.exit(0)"], interval: "5s", timeout: "2s", retries: 3 },
        },
        resources: { limits: { nanoCpus: 500_000_000, memoryBytes: 128 * MIB }, reservation: { nanoCpus: 250_000_000, memoryBytes: 64 * MIB } },
        placement: { constraints: ["node.role==manager"] },
        networksAdvanceds: [{ name: netId, aliases: ["acme"] }],
        restartPolicy: { condition: "any", delay: "1s" },
      },
      mode: { replicated: { replicas: 0 } },
      updateConfig: { order: "start-first", failureAction: "rollback" },
      rollbackConfig: { parallelism: 2 },
    };
    const checked = await p.check!(SERVICE, {}, inputs);
    assert.deepStrictEqual(checked.failures, []);
    ({ id, outs } = await p.create!(SERVICE, checked.inputs));
    const info = inspectService(svcName);
    assert.strictEqual(info.ID, id);
    assert.strictEqual(info.Spec.Mode.Replicated.Replicas, 0);
    const task = info.Spec.TaskTemplate;
    assert.deepStrictEqual(task.Resources, {
      Limits: { NanoCPUs: 500_000_000, MemoryBytes: 128 * MIB },
      Reservations: { NanoCPUs: 250_000_000, MemoryBytes: 64 * MIB },
    });
    assert.deepStrictEqual([...task.ContainerSpec.Env].sort(), ["PORT=8080", "TENANT=acme"]);
    assert.deepStrictEqual(task.ContainerSpec.Mounts, [{ Type: "volume", Source: volName, Target: "/data" }]);
    assert.strictEqual(task.ContainerSpec.Healthcheck.Interval, 5e9);
    assert.deepStrictEqual(task.Placement.Constraints, ["node.role==manager"]);
    assert.deepStrictEqual(task.Networks, [{ Target: netId, Aliases: ["acme"] }]);
    assert.strictEqual(task.RestartPolicy.Condition, "any");
    assert.strictEqual(info.Spec.Labels["dormer.tenant"], "acme");
    assert.deepStrictEqual(info.Spec.UpdateConfig, { Parallelism: 1, FailureAction: "rollback", Monitor: 5e9, MaxFailureRatio: 0, Order: "start-first" });
    assert.strictEqual(info.Spec.RollbackConfig.Parallelism, 2);
    assert.deepStrictEqual(await runningTasks(svcName), [], "0 replicas: asleep");
    assert.deepStrictEqual(outs.taskSpec.containerSpec.env, inputs.taskSpec.containerSpec.env);
    assert.strictEqual(outs.taskSpec.containerSpec.healthcheck.interval, "5s");
    assert.strictEqual(outs.endpointSpec.mode, "vip", "the swarm's resolution mode, as upstream reads it");
    assert.strictEqual(outs.updateConfig.maxFailureRatio, "0.0");
  });

  it("shows no change for the same inputs, before and after a refresh", async () => {
    assert.deepStrictEqual(decision(await p.diff!(id, SERVICE, outs, inputs)), { changes: false, replaces: [], deleteBeforeReplace: false });
    const read = await p.read!(id, SERVICE, outs);
    assert.strictEqual(read.id, id);
    assert.deepStrictEqual(read.props, outs);
    assert.strictEqual((await p.diff!(id, SERVICE, read.props, inputs)).changes, false);
  });

  it("keeps what the swarm stored for computed blocks the program leaves out (no change)", async () => {
    const { resources: _r, placement: _p, restartPolicy: _rp, ...task } = inputs.taskSpec;
    const { healthcheck: _h, ...container } = inputs.taskSpec.containerSpec;
    const { labels: _l, mode: _m, ...rest } = inputs;
    const leftOut = { ...rest, taskSpec: { ...task, containerSpec: container } };
    assert.strictEqual((await p.diff!(id, SERVICE, outs, leftOut)).changes, false);
    // update_config is not Computed upstream: leaving it out removes it.
    const { updateConfig: _u, ...withoutUpdate } = inputs;
    const dropped = await p.diff!(id, SERVICE, outs, withoutUpdate);
    assert.deepStrictEqual((dropped as { detailedDiff?: unknown }).detailedDiff, { updateConfig: "delete" });
  });

  const inPlace = async (news: Record<string, any>, detail: Record<string, string>) => {
    const diff = await p.diff!(id, SERVICE, outs, news);
    assert.deepStrictEqual(decision(diff), { changes: true, replaces: [], deleteBeforeReplace: false });
    assert.deepStrictEqual((diff as { diffs?: string[] }).diffs, Object.keys(detail).map((k) => k.split(".")[0]).filter((k, i, a) => a.indexOf(k) === i));
    assert.deepStrictEqual((diff as { detailedDiff?: unknown }).detailedDiff, detail);
    const before = inspectService(svcName).Version.Index;
    const updated = await p.update!(id, SERVICE, outs, news);
    const info = inspectService(svcName);
    assert.strictEqual(info.ID, id, "the same service");
    assert.ok(info.Version.Index > before, "updated by the swarm");
    inputs = news;
    outs = updated.outs;
    assert.strictEqual((await p.diff!(id, SERVICE, outs, inputs)).changes, false);
    return info;
  };
  const withTask = (patch: (t: Record<string, any>) => void) => {
    const next = structuredClone(inputs);
    patch(next.taskSpec);
    return next;
  };

  it("updates memory in place, keeping the service, and names the property in the diff detail", async () => {
    const info = await inPlace(withTask((t) => (t.resources.limits.memoryBytes = 256 * MIB)), { "taskSpec.resources.limits.memoryBytes": "update" });
    assert.strictEqual(info.Spec.TaskTemplate.Resources.Limits.MemoryBytes, 256 * MIB);
  });

  it("updates cpus in place", async () => {
    const info = await inPlace(withTask((t) => (t.resources.limits.nanoCpus = 1_000_000_000)), { "taskSpec.resources.limits.nanoCpus": "update" });
    assert.strictEqual(info.Spec.TaskTemplate.Resources.Limits.NanoCPUs, 1e9);
  });

  // Before the task runs: each update of a service with a running task is a rolling update whose old task takes
  // the test image's 10 s stop grace, and updates queued behind each other would outlast the scale-down below.
  it("follows upstream for user, readOnly and capabilities: in-place updates, capabilities a set", async () => {
    const info = await inPlace(
      withTask((t) => Object.assign(t.containerSpec, { user: "10001:10001", readOnly: true, capDrops: ["ALL"], capAdds: ["NET_BIND_SERVICE", "CHOWN"] })),
      {
        "taskSpec.containerSpec.user": "update",
        "taskSpec.containerSpec.readOnly": "update",
        "taskSpec.containerSpec.capDrops": "add",
        "taskSpec.containerSpec.capAdds": "add",
      },
    );
    const c = info.Spec.TaskTemplate.ContainerSpec;
    assert.strictEqual(c.User, "10001:10001");
    assert.strictEqual(c.ReadOnly, true);
    assert.deepStrictEqual(c.CapabilityDrop, ["ALL"]);
    assert.deepStrictEqual(c.CapabilityAdd, ["NET_BIND_SERVICE", "CHOWN"]);
    const reordered = withTask((t) => (t.containerSpec.capAdds = ["CHOWN", "NET_BIND_SERVICE"]));
    assert.strictEqual((await p.diff!(id, SERVICE, outs, reordered)).changes, false, "a set: order is no change");
    const read = await p.read!(id, SERVICE, outs);
    assert.strictEqual((await p.diff!(id, SERVICE, read.props!, inputs)).changes, false, "no change after a refresh");
    await inPlace(withTask((t) => (t.containerSpec.capAdds = [])), { "taskSpec.containerSpec.capAdds": "delete" });
    assert.strictEqual(inspectService(svcName).Spec.TaskTemplate.ContainerSpec.CapabilityAdd, undefined);
  });

  it("follows upstream for a tmpfs mount's options: sent to the swarm, an in-place update", async () => {
    const tmp = (sizeBytes: number) => ({ type: "tmpfs", target: "/tmp", tmpfsOptions: { sizeBytes, mode: 0o1777 } });
    const data = inputs.taskSpec.containerSpec.mounts[0];
    await inPlace(withTask((t) => (t.containerSpec.mounts = [data, tmp(64 * MIB)])), { "taskSpec.containerSpec.mounts": "update" });
    const info = await inPlace(withTask((t) => (t.containerSpec.mounts = [tmp(32 * MIB), data])), { "taskSpec.containerSpec.mounts": "update" });
    const mount = info.Spec.TaskTemplate.ContainerSpec.Mounts.find((m: { Type: string }) => m.Type === "tmpfs");
    assert.deepStrictEqual(mount, { Type: "tmpfs", Target: "/tmp", TmpfsOptions: { SizeBytes: 32 * MIB, Mode: 0o1777 } });
    const read = await p.read!(id, SERVICE, outs);
    assert.strictEqual((await p.diff!(id, SERVICE, read.props!, inputs)).changes, false, "no change after a refresh");
  });

  it("updates replicas in place (0 to 1 starts a task; the update does not wait for it, as upstream)", async () => {
    const info = await inPlace({ ...inputs, mode: { replicated: { replicas: 1 } } }, { "mode.replicated.replicas": "update" });
    assert.strictEqual(info.Spec.Mode.Replicated.Replicas, 1);
    const [task] = await waitFor("the task to run", async () => {
      const tasks = await runningTasks(svcName);
      return tasks.length === 1 && tasks;
    }, 60_000, 100);
    assert.strictEqual(task.ServiceID, id);
  });

  it("updates env in place: a variable changed, one added", async () => {
    const info = await inPlace(withTask((t) => (t.containerSpec.env = { PORT: "9090", TENANT: "acme", PLAN: "pro" })), {
      "taskSpec.containerSpec.env.PORT": "update",
      "taskSpec.containerSpec.env.PLAN": "add",
    });
    assert.deepStrictEqual([...info.Spec.TaskTemplate.ContainerSpec.Env].sort(), ["PLAN=pro", "PORT=9090", "TENANT=acme"]);
  });

  it("scales back to 0 in place: the task's container stops", async () => {
    await inPlace({ ...inputs, mode: { replicated: { replicas: 0 } } }, { "mode.replicated.replicas": "update" });
    await waitFor("no task to run", async () => (await runningTasks(svcName)).length === 0, 60_000, 100);
  });

  it("replaces the service when its name changes, delete first (the program chose the name)", async () => {
    const diff = await p.diff!(id, SERVICE, outs, { ...inputs, name: `${svcName}-renamed` });
    assert.deepStrictEqual(decision(diff), { changes: true, replaces: ["name"], deleteBeforeReplace: true });
    assert.deepStrictEqual((diff as { detailedDiff?: unknown }).detailedDiff, { name: "update-replace" });
  });

  it("replaces the service when the state has no mode block and the program declares one (mode is ForceNew as a block)", async () => {
    const { mode: _m, ...noMode } = outs;
    const diff = await p.diff!(id, SERVICE, noMode, inputs);
    assert.deepStrictEqual(decision(diff), { changes: true, replaces: ["mode"], deleteBeforeReplace: true });
    assert.deepStrictEqual((diff as { detailedDiff?: unknown }).detailedDiff, { mode: "add-replace" });
  });

  it("reads networks back as the ids the swarm resolved them to, as upstream (declare them by id)", async () => {
    const byName = withTask((t) => (t.networksAdvanceds = [{ name: netName, aliases: ["acme"] }]));
    const diff = await p.diff!(id, SERVICE, outs, byName);
    assert.deepStrictEqual((diff as { detailedDiff?: unknown }).detailedDiff, { "taskSpec.networksAdvanceds": "update" });
  });

  it("treats unknown inputs during preview as in-place changes", async () => {
    const pending = withTask((t) => (t.resources.limits.memoryBytes = UNKNOWN));
    assert.deepStrictEqual((await p.check!(SERVICE, outs, pending)).failures, []);
    assert.deepStrictEqual(decision(await p.diff!(id, SERVICE, outs, pending)), { changes: true, replaces: [], deleteBeforeReplace: false });
    assert.deepStrictEqual((await p.diff!(id, SERVICE, outs, { ...inputs, name: UNKNOWN })).replaces, ["name"]);
  });

  it("rejects what the stand-in does not implement and values upstream refuses, naming each", async () => {
    const unimplemented = await p.check!(SERVICE, {}, {
      ...inputs,
      convergeConfig: { timeout: "1m" },
      mode: { global: true },
      taskSpec: { ...inputs.taskSpec, containerSpec: { ...inputs.taskSpec.containerSpec, hosts: [{ host: "a", ip: "10.0.0.1" }] } },
    });
    assert.deepStrictEqual(unimplemented.failures!.map((f) => f.property).sort(), ["convergeConfig", "mode.global", "taskSpec.containerSpec.hosts"]);
    const bad = await p.check!(SERVICE, {}, {
      ...inputs,
      mode: { replicated: { replicas: -1 } },
      updateConfig: { order: "sideways" },
      taskSpec: { ...inputs.taskSpec, restartPolicy: { condition: "sometimes" }, containerSpec: { env: {} } },
    });
    assert.deepStrictEqual(bad.failures!.map((f) => f.property).sort(), [
      "mode.replicated.replicas",
      "taskSpec.containerSpec.image",
      "taskSpec.restartPolicy.condition",
      "updateConfig.order",
    ]);
  });

  it("deletes the service but never the volume it mounts", async () => {
    await p.delete!(id, SERVICE, outs);
    assert.strictEqual(serviceGone(svcName), true);
    assert.strictEqual(exists("volume", volName), true);
    await p.delete!(netId, NETWORK, netOuts);
    await leftThisNode(netName);
  });

  it("reads a service removed by hand as gone", async () => {
    const created = await p.create!(SERVICE, { name: svcName, taskSpec: { containerSpec: { image: TEST_IMAGE } }, mode: { replicated: { replicas: 0 } } });
    dockerCli("service", "rm", svcName);
    assert.strictEqual((await p.read!(created.id, SERVICE, created.outs)).id, "");
  });
});

function serviceGone(name: string): boolean {
  return spawnSync("docker", ["service", "inspect", name], { stdio: "ignore" }).status !== 0;
}
