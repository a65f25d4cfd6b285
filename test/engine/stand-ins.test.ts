import { strict as assert } from "assert";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ConfigMap, EngineEvent, Stack, StepEventMetadata } from "@pulumi/pulumi/automation";
import { openStack } from "../../cli/stack";
import { ensureBaseImage, ensurePlugins, pulumiBinDir } from "../../cli/toolchain";
import { docker, inspectContainer } from "../support/docker";
import { pendingChanges } from "../support/plan";
import { fixtureProgram } from "./fixture/program";


describe("engine: stand-in plugins through the real Pulumi engine and Docker", function () {
  this.timeout(15 * 60_000);
  const prefix = `dormer-fx-${crypto.randomBytes(3).toString("hex")}`;
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), "dormer-fixture-"));
  let stack: Stack;
  let baseImage: string;

  const config = (overrides: Record<string, string> = {}): ConfigMap => {
    const values: Record<string, string> = {
      prefix, baseImage, memoryMb: "256", cpus: "0.5", tier: "free", extraContainerArgs: "{}", ...overrides,
    };
    return Object.fromEntries(Object.entries(values).map(([k, v]) => [`fixture:${k}`, { value: v }]));
  };
  const quiet = { onOutput: () => undefined };
  /** The engine's step for the app container in a preview, as the CLI receives it. */
  const previewContainerStep = async (): Promise<{ step?: StepEventMetadata; summary: Record<string, number> }> => {
    const steps: StepEventMetadata[] = [];
    const onEvent = (e: EngineEvent) => {
      const meta = e.resourcePreEvent?.metadata;
      if (meta?.type === "docker:index/container:Container" && meta.op !== "same") steps.push(meta);
    };
    const preview = await stack.preview({ ...quiet, onEvent });
    return { step: steps.find((s) => s.op === "update" || s.op === "replace"), summary: pendingChanges(preview.changeSummary) };
  };

  before(async () => {
    const pulumiDir = pulumiBinDir();
    ensurePlugins(pulumiDir);
    baseImage = ensureBaseImage("dormer-base:bookworm");
    fs.writeFileSync(path.join(workDir, "Pulumi.yaml"), "name: dormer-fixture\nruntime: nodejs\n");
    stack = await openStack({
      stackName: "fixture",
      projectName: "dormer-fixture",
      program: fixtureProgram,
      workDir,
      stateDir: path.join(workDir, ".dormer"),
      pulumiDir,
      passphrase: "fixture",
    });
    await stack.setAllConfig(config());
  });

  after(async () => {
    if (stack) await stack.destroy(quiet).catch(() => undefined);
    await docker.getVolume(`${prefix}-vol`).remove().catch(() => undefined);
    await docker.getImage(`${prefix}-image:latest`).remove().catch(() => undefined);
    fs.rmSync(workDir, { recursive: true, force: true });
  });

  it("up creates a sleeping container with exactly the declared limits, labels, env and network", async () => {
    const result = await stack.up(quiet);
    assert.equal(result.summary.result, "succeeded");
    const info = await inspectContainer(`${prefix}-app`);
    assert.ok(info, "container exists");
    assert.equal(info.State.Running, false);
    assert.equal(info.HostConfig.Memory, 256 * 1024 * 1024);
    assert.equal(info.HostConfig.NanoCpus, 0.5e9);
    assert.equal(info.HostConfig.RestartPolicy?.Name, "unless-stopped");
    assert.equal(info.Config.Labels["dormer.fixture"], prefix);
    assert.equal(info.Config.Labels["dormer.tier"], "free");
    assert.ok(info.Config.Env.includes("GREETING=hello"));
    assert.deepEqual(info.Config.Healthcheck?.Test?.slice(0, 3), ["CMD", "node", "-e"]);
    assert.deepEqual(Object.keys(info.NetworkSettings.Networks), [`${prefix}-net`]);
    const net = await docker.getNetwork(`${prefix}-net`).inspect();
    assert.equal(net.Internal, true);
    assert.ok(info.Mounts.some((m) => m.Name === `${prefix}-vol` && m.Destination === "/data"));
  });

  it("a second preview reports no changes", async () => {
    const preview = await stack.preview(quiet);
    assert.deepEqual(pendingChanges(preview.changeSummary), {});
  });

  it("changing memory updates the container in place", async () => {
    const before = await inspectContainer(`${prefix}-app`);
    await stack.setAllConfig(config({ memoryMb: "384" }));
    const { step, summary } = await previewContainerStep();
    assert.deepEqual(summary, { update: 1 });
    // The stand-in answers the diff as the bridge does: changed keys and a detailed diff reach the engine's events.
    assert.deepEqual(step?.diffs, ["memory"]);
    assert.deepEqual(step?.detailedDiff, { memory: { diffKind: "update", inputDiff: false } });
    assert.equal(step?.old?.inputs.memory, 256);
    assert.equal(step?.new?.inputs.memory, 384);
    await stack.up(quiet);
    const after = await inspectContainer(`${prefix}-app`);
    assert.equal(after?.Id, before?.Id);
    assert.equal(after?.HostConfig.Memory, 384 * 1024 * 1024);
  });

  it("changing cpus replaces the container", async () => {
    const before = await inspectContainer(`${prefix}-app`);
    await stack.setAllConfig(config({ memoryMb: "384", cpus: "1" }));
    const { step, summary } = await previewContainerStep();
    assert.deepEqual(summary, { replace: 1 });
    assert.deepEqual(step?.keys, ["cpus"]);
    assert.deepEqual(step?.diffs, ["cpus"]);
    assert.deepEqual(step?.detailedDiff, { cpus: { diffKind: "update-replace", inputDiff: false } });
    await stack.up(quiet);
    const after = await inspectContainer(`${prefix}-app`);
    assert.notEqual(after?.Id, before?.Id);
    assert.equal(after?.HostConfig.NanoCpus, 1e9);
    assert.equal(after?.State.Running, false);
  });

  it("changing a label replaces the container", async () => {
    const before = await inspectContainer(`${prefix}-app`);
    await stack.setAllConfig(config({ memoryMb: "384", cpus: "1", tier: "pro" }));
    await stack.up(quiet);
    const after = await inspectContainer(`${prefix}-app`);
    assert.notEqual(after?.Id, before?.Id);
    assert.equal(after?.Config.Labels["dormer.tier"], "pro");
  });

  it("a container started by hand is not drift: refresh and preview show no changes", async () => {
    await docker.getContainer(`${prefix}-app`).start();
    const refresh = await stack.refresh(quiet);
    assert.deepEqual(pendingChanges(refresh.summary.resourceChanges), {});
    const preview = await stack.preview(quiet);
    assert.deepEqual(pendingChanges(preview.changeSummary), {});
    assert.equal((await inspectContainer(`${prefix}-app`))?.State.Running, true);
  });

  it("a container removed by hand disappears on refresh and the next up recreates it", async () => {
    await docker.getContainer(`${prefix}-app`).remove({ force: true });
    await stack.refresh(quiet);
    const state = await stack.exportStack();
    const resources = (state.deployment.resources ?? []) as { type: string }[];
    assert.ok(!resources.some((r) => r.type === "docker:index/container:Container"), "container gone from state");
    const result = await stack.up(quiet);
    assert.equal(result.summary.resourceChanges?.create, 1);
    assert.ok(await inspectContainer(`${prefix}-app`));
  });

  it("a property the stand-in does not implement fails with a message naming it", async function () {
    const pluginsHome = path.join(process.env.PULUMI_HOME ?? path.join(os.homedir(), ".pulumi"), "plugins");
    if (!fs.existsSync(path.join(pluginsHome, "resource-docker-v5.2.0", ".dormer-stand-in"))) {
      // Only the stand-in refuses properties; the official plugin implements them all.
      this.skip();
    }
    await stack.setAllConfig(config({ memoryMb: "384", cpus: "1", tier: "pro", extraContainerArgs: JSON.stringify({ gpus: "all" }) }));
    await assert.rejects(stack.preview(quiet), /gpus/);
    await stack.setAllConfig(config({ memoryMb: "384", cpus: "1", tier: "pro" }));
  });

  it("a random password is stable across ups and stored as a secret", async () => {
    const first = await stack.outputs();
    assert.equal(first.password.secret, true);
    assert.equal(String(first.password.value).length, 24);
    await stack.up(quiet);
    const second = await stack.outputs();
    assert.equal(second.password.value, first.password.value);
    // The state file as it sits on disk (exportStack would decrypt secrets for us).
    const stateFile = path.join(workDir, ".dormer", "state", ".pulumi", "stacks", "dormer-fixture", "fixture.json");
    const raw = fs.readFileSync(stateFile, "utf8");
    assert.ok(raw.includes("ciphertext"), "secrets are stored encrypted");
    assert.ok(!raw.includes(String(first.password.value)), "the password never appears in plain text in state");
  });

  it("destroy removes everything but the retained volume", async () => {
    await stack.destroy(quiet);
    assert.equal(await inspectContainer(`${prefix}-app`), undefined);
    await assert.rejects(docker.getNetwork(`${prefix}-net`).inspect(), /404|no such network/i);
    const vol = await docker.getVolume(`${prefix}-vol`).inspect();
    assert.equal(vol.Name, `${prefix}-vol`);
  });
});
