import { strict as assert } from "assert";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ConfigMap, EngineEvent, Stack, StepEventMetadata } from "@pulumi/pulumi/automation";
import { openStack } from "../../cli/stack";
import { ensurePlugins, pulumiBinDir } from "../../cli/toolchain";
import { ensureTestImage, TEST_IMAGE } from "../plugins/helpers";
import { pendingChanges } from "../support/plan";
import { waitFor } from "../support/poll";
import { swarmDocker as docker, useSwarm } from "../support/swarm";
import { swarmFixtureProgram } from "./fixture/swarm-program";

const serviceOf = (name: string) => docker.getService(name).inspect().then((s) => s as { ID: string; Spec: any }, () => undefined);

describe("engine: the stand-in's service and overlay network through the real Pulumi engine and a swarm", function () {
  this.timeout(15 * 60_000);
  const prefix = `dormer-fxs-${crypto.randomBytes(3).toString("hex")}`;
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), "dormer-fixture-swarm-"));
  let stack: Stack;

  const config = (overrides: Record<string, string> = {}): ConfigMap => {
    // A subnet outside the swarm's own pool and every stack's (see scripts/swarm.sh).
    const values: Record<string, string> = {
      prefix, image: TEST_IMAGE, subnet: "10.215.254.16/28", gateway: "10.215.254.17", memoryMb: "256", cpus: "0.5", serviceName: "app", ...overrides,
    };
    return Object.fromEntries(Object.entries(values).map(([k, v]) => [`fixture:${k}`, { value: v }]));
  };
  const quiet = { onOutput: () => undefined };
  const previewServiceStep = async (): Promise<{ step?: StepEventMetadata; summary: Record<string, number> }> => {
    const steps: StepEventMetadata[] = [];
    const onEvent = (e: EngineEvent) => {
      const meta = e.resourcePreEvent?.metadata;
      if (meta?.type === "docker:index/service:Service" && meta.op !== "same") steps.push(meta);
    };
    const preview = await stack.preview({ ...quiet, onEvent });
    return { step: steps.find((s) => s.op === "update" || s.op === "replace"), summary: pendingChanges(preview.changeSummary) };
  };

  useSwarm({
    images: () => {
      ensureTestImage();
      return [TEST_IMAGE];
    },
    cleanup: async () => {
      if (stack) await stack.destroy(quiet).catch(() => undefined);
      // In use until the swarm has removed the task containers that mounted it.
      await waitFor(`${prefix}-vol to be removed`, () => docker.getVolume(`${prefix}-vol`).remove().then(() => true, (err) => err.statusCode === 404), 60_000, 250);
      fs.rmSync(workDir, { recursive: true, force: true });
    },
  });
  before(async () => {
    const pulumiDir = pulumiBinDir();
    ensurePlugins(pulumiDir);
    fs.writeFileSync(path.join(workDir, "Pulumi.yaml"), "name: dormer-fixture-swarm\nruntime: nodejs\n");
    stack = await openStack({
      stackName: "fixture",
      projectName: "dormer-fixture-swarm",
      program: swarmFixtureProgram,
      workDir,
      stateDir: path.join(workDir, ".dormer"),
      pulumiDir,
      passphrase: "fixture",
    });
    await stack.setAllConfig(config());
  });

  it("up creates a sleeping service (0 replicas) on its own overlay network, with the declared limits", async () => {
    const result = await stack.up(quiet);
    assert.equal(result.summary.result, "succeeded");
    const info = await serviceOf(`${prefix}-app`);
    assert.ok(info, "service exists");
    assert.equal(info.Spec.Mode.Replicated.Replicas, 0);
    assert.deepEqual(info.Spec.TaskTemplate.Resources.Limits, { NanoCPUs: 0.5e9, MemoryBytes: 256 * 1024 * 1024 });
    const net = await docker.getNetwork(`${prefix}-net`).inspect();
    assert.equal(net.Driver, "overlay");
    assert.equal(net.Internal, true);
    assert.deepEqual(info.Spec.TaskTemplate.Networks.map((n: { Target: string }) => n.Target), [net.Id]);
  });

  it("a second preview reports no changes", async () => {
    const preview = await stack.preview(quiet);
    assert.deepEqual(pendingChanges(preview.changeSummary), {});
  });

  it("changing memory updates the service in place, and the engine's events name the nested property", async () => {
    const before = await serviceOf(`${prefix}-app`);
    await stack.setAllConfig(config({ memoryMb: "384" }));
    const { step, summary } = await previewServiceStep();
    assert.deepEqual(summary, { update: 1 });
    assert.deepEqual(step?.diffs, ["taskSpec"]);
    assert.deepEqual(step?.detailedDiff, {
      "taskSpec.resources.limits.memoryBytes": { diffKind: "update", inputDiff: false },
      "taskSpec.resources.reservation.memoryBytes": { diffKind: "update", inputDiff: false },
    });
    await stack.up(quiet);
    const after = await serviceOf(`${prefix}-app`);
    assert.equal(after?.ID, before?.ID);
    assert.equal(after?.Spec.TaskTemplate.Resources.Limits.MemoryBytes, 384 * 1024 * 1024);
  });

  it("changing the name replaces the service", async () => {
    const before = await serviceOf(`${prefix}-app`);
    await stack.setAllConfig(config({ memoryMb: "384", serviceName: "renamed" }));
    const { step, summary } = await previewServiceStep();
    assert.deepEqual(summary, { replace: 1 });
    assert.deepEqual(step?.keys, ["name"]);
    assert.deepEqual(step?.detailedDiff, { name: { diffKind: "update-replace", inputDiff: false } });
    await stack.up(quiet);
    assert.equal(await serviceOf(`${prefix}-app`), undefined);
    const after = await serviceOf(`${prefix}-renamed`);
    assert.ok(after && after.ID !== before?.ID);
  });

  it("destroy removes the service and the network but keeps the retained volume", async () => {
    await stack.destroy(quiet);
    assert.equal(await serviceOf(`${prefix}-renamed`), undefined);
    await waitFor(`${prefix}-net to leave this node`, () => docker.getNetwork(`${prefix}-net`).inspect().then(() => false, () => true), 60_000, 250);
    assert.equal((await docker.getVolume(`${prefix}-vol`).inspect()).Name, `${prefix}-vol`);
  });
});
