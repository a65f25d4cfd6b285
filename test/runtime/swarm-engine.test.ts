import { strict as assert } from "assert";
import { execFileSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import { checkSwarmManager } from "../../cli/swarm-manager";
import { DeclaredTenant, EngineEvent } from "../../runtime/engine/engine";
import { SwarmEngine } from "../../runtime/engine/swarm";
import { TaskNotStartedError, TenantGoneError } from "../../runtime/errors";
import { declaredTenant } from "../support/declared-tenant";
import { waitFor } from "../support/poll";
import { SWARM_SOCKET, swarmDocker as docker, taskContainer, useSwarm } from "../support/swarm";
import { tenantServiceSpec } from "../support/tenant-service";
import { BASE_IMAGE, tenantAppImage } from "../support/tenants";

// Outside the swarm's own pool (scripts/swarm.sh) and every stack's.
const SUBNET = { Subnet: "10.215.254.32/28", Gateway: "10.215.254.33" };

const runningTasks = async (service: string) => (await docker.listTasks({ filters: { service: [service] } })).filter((t) => t.Status?.State === "running");
const replicas = async (service: string) => ((await docker.getService(service).inspect()) as { Spec: { Mode: { Replicated: { Replicas: number } } } }).Spec.Mode.Replicated.Replicas;

describe("runtime: the swarm engine against real swarm services", function () {
  this.timeout(180_000);
  const stack = `swarm${crypto.randomBytes(3).toString("hex")}`;
  const base = `dormer-test-${stack}`;
  const network = `${base}-acme-net`;
  const prober = `${base}-prober`;
  let tenant: DeclaredTenant;
  let engine: SwarmEngine;
  const events: EngineEvent[] = [];
  let unwatch: (() => void) | undefined;
  let appImage: string;

  const declare = async (t: DeclaredTenant, overrides: { constraints?: string[]; stack?: string } = {}) =>
    docker.createService(tenantServiceSpec(overrides.stack ?? stack, t, appImage, overrides.constraints) as never);

  useSwarm({
    images: () => [(appImage = tenantAppImage()), BASE_IMAGE],
    cleanup: async () => {
      unwatch?.();
      for (const s of await docker.listServices({ filters: { name: [base] } })) await docker.getService(s.ID!).remove();
      await docker.getContainer(prober).remove({ force: true }).catch(() => undefined);
      await docker.getNetwork(network).remove().catch(() => undefined);
      await waitFor(`${network} to leave this node`, () => docker.getNetwork(network).inspect().then(() => false, () => true), 60_000, 250);
    },
  });
  before(async function () {
    this.timeout(600_000);
    await docker.createNetwork({ Name: network, Driver: "overlay", Attachable: true, Internal: true, IPAM: { Config: [SUBNET] } });
    tenant = declaredTenant("acme", { container: `${base}-acme`, network, plan: "test", wakeTimeoutSeconds: 60 });
    await declare(tenant);
    // A tenant of another stack and a service that is no tenant: neither is this supervisor's.
    await declare({ ...tenant, container: `${base}-other-stack` }, { stack: `${stack}x` });
    await docker.createService({ Name: `${base}-not-a-tenant`, Labels: { "dormer.stack": stack }, TaskTemplate: { ContainerSpec: { Image: BASE_IMAGE } }, Mode: { Replicated: { Replicas: 0 } } } as never);
    // The supervisor's stand-in: a container on this node that joins tenant networks as the supervisor's would.
    await docker.createContainer({ name: prober, Image: appImage, Cmd: ["sleep", "3600"], Entrypoint: [] }).then((c) => c.start());
    engine = new SwarmEngine(stack, SWARM_SOCKET, prober);
    unwatch = engine.watch((e) => events.push(e));
  });

  it("answers ping on a swarm manager", async () => {
    assert.equal(await engine.ping(), true);
  });

  it("discovers the tenants of its stack by their services' labels, and nothing else", async () => {
    const found = await engine.discover();
    assert.deepEqual(found, [tenant]);
    assert.deepEqual([...(await engine.running())], []);
    assert.deepEqual(await engine.state(tenant), { running: false, paused: false, startedAt: "" });
  });

  it("wakes a tenant: one replica, back once its task runs", async () => {
    const started = Date.now();
    await engine.start(tenant);
    const took = Date.now() - started;
    assert.equal(await replicas(tenant.container), 1);
    assert.equal((await runningTasks(tenant.container)).length, 1);
    const state = await engine.state(tenant);
    assert.equal(state?.running, true);
    assert.ok(state && !Number.isNaN(Date.parse(state.startedAt)), "startedAt is the time the task began to run");
    assert.deepEqual([...(await engine.running())], [["acme", "running"]]);
    assert.ok(events.some((e) => e.kind === "watching"), "the engine said it follows the events");
    await waitFor("a running event", async () => events.some((e) => e.kind === "running" && e.tenant === "acme"), 10_000);
    process.stderr.write(`      scale 0 → 1 until the task runs: ${took} ms\n`);
    await engine.start(tenant);
    assert.equal(await replicas(tenant.container), 1, "starting an awake tenant is not an error and changes nothing");
  });

  it("gives the task's address on the tenant's overlay, joining the supervisor's container to it", async () => {
    const address = await engine.address(tenant);
    assert.match(address, /^10\.215\.254\.(3[3-9]|4[0-6]):8080$/);
    const inspected = await docker.getContainer(prober).inspect();
    assert.ok(inspected.NetworkSettings.Networks[network], "the supervisor's container joined the tenant's overlay");
    const status = await waitFor("the app to answer on its address", async () => {
      try {
        return execFileSync("docker", ["exec", prober, "node", "-e", `fetch("http://${address}/health").then(r=>console.log(r.status))`], { encoding: "utf8" }).trim();
      } catch {
        return undefined;
      }
    }, 30_000, 250);
    assert.equal(status, "200");
  });

  it("reads the tenant's logs through the swarm", async () => {
    const lines = await engine.logs(tenant, 50);
    assert.ok(lines.length > 0, "the app logged at start");
    assert.match(lines[0], /^\d{4}-\d\d-\d\dT/, "with timestamps");
  });

  it("reads the tenant's stats from the task's container on this node", async () => {
    const stats = await engine.stats(tenant);
    assert.ok(stats.memoryBytes > 0);
  });

  it("runs the task's processes with no-new-privileges, which the node's engine gives and the service cannot ask for", async () => {
    const [task] = await runningTasks(tenant.container);
    const id = taskContainer(task);
    assert.ok(id, "the running task names its container");
    const pid = (await docker.getContainer(id).inspect()).State.Pid;
    // The daemon shares this process's PID namespace: the app's own status, as the kernel keeps it.
    assert.match(fs.readFileSync(`/proc/${pid}/status`, "utf8"), /^NoNewPrivs:\s+1$/m);
    // What `dormer up` checks before a swarm stack's run, on this manager: a container of its own finds the same.
    await checkSwarmManager("swarm-engine-test", BASE_IMAGE);
  });

  it("restarts an awake tenant: a new task for the same spec, back once it runs", async () => {
    const [before] = await runningTasks(tenant.container);
    await engine.restart(tenant, 5);
    const now = await runningTasks(tenant.container);
    assert.equal(now.length, 1);
    assert.notEqual(now[0].ID, before.ID);
    assert.equal(await replicas(tenant.container), 1);
  });

  it("puts a tenant to sleep: 0 replicas, its container gone, the supervisor off its network, an event", async () => {
    await engine.stop(tenant, 5);
    assert.equal(await replicas(tenant.container), 0);
    assert.deepEqual(await runningTasks(tenant.container), []);
    assert.equal((await engine.state(tenant))?.running, false);
    assert.deepEqual([...(await engine.running())], []);
    assert.equal((await docker.getContainer(prober).inspect()).NetworkSettings.Networks[network], undefined);
    await waitFor("a stopped event", async () => events.some((e) => e.kind === "stopped" && e.tenant === "acme"), 10_000);
    await engine.stop(tenant, 5);
  });

  it("fails a wake the swarm cannot place, naming why, and scales the service back to 0", async () => {
    const stuck = declaredTenant("stuck", { container: `${base}-stuck`, network, wakeTimeoutSeconds: 20 });
    await declare(stuck, { constraints: ["node.labels.dormer-test-nowhere==1"] });
    const started = Date.now();
    await assert.rejects(engine.start(stuck), (err: Error) => {
      assert.ok(err instanceof TaskNotStartedError, String(err));
      assert.match(err.message, /the swarm could not start tenant stuck: .*no suitable node/);
      return true;
    });
    assert.ok(Date.now() - started < 20_000, "without waiting out the wake timeout");
    assert.equal(await replicas(stuck.container), 0);
  });

  it("tells of services created and removed, and a removed tenant is gone", async () => {
    events.length = 0;
    const late = declaredTenant("late", { container: `${base}-late`, network });
    await declare(late);
    await waitFor("a declared-changed event", async () => events.some((e) => e.kind === "declared-changed"), 10_000);
    assert.deepEqual((await engine.discover()).map((t) => t.id).sort(), ["acme", "late", "stuck"]);
    await docker.getService(late.container).remove();
    await waitFor("a removed event", async () => events.some((e) => e.kind === "removed" && e.tenant === "late"), 10_000);
    assert.equal(await engine.state(late), undefined);
    await assert.rejects(engine.start(late), TenantGoneError);
  });

  it("refuses light sleep, which the swarm cannot give", async () => {
    await assert.rejects(engine.pause(tenant), /light sleep is not available on swarm/);
  });
});
