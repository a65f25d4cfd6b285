import { strict as assert } from "assert";
import { DiffKind, EngineEvent, StepEventMetadata } from "@pulumi/pulumi/automation";
import { EngineDisplay, shortType } from "../../cli/engine-display";
import { UNKNOWN } from "../../cli/values";

const TENANT = "urn:pulumi:ci::dormer::dormer:index:Platform$dormer:index:Tenant::acme";
const CONTAINER = `urn:pulumi:ci::dormer::dormer:index:Platform$dormer:index:Tenant$docker:index/container:Container::acme`;

function meta(op: string, urn: string, extra: Partial<StepEventMetadata> = {}): StepEventMetadata {
  const type = urn.split("::")[2]!.split("$").pop()!;
  return { op: op as StepEventMetadata["op"], urn, type, provider: "", ...extra };
}

let seq = 0;
function at(timestamp: number, e: Omit<EngineEvent, "sequence" | "timestamp">): EngineEvent {
  return { sequence: ++seq, timestamp, ...e } as EngineEvent;
}

function run(preview: boolean, events: EngineEvent[], diff = false): { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  const display = new EngineDisplay({ preview, diff, out: (l) => out.push(l), err: (l) => err.push(l) });
  for (const e of events) display.onEvent(e);
  return { out, err };
}

describe("unit: the CLI's own display of an engine run", () => {
  const memory = meta("update", CONTAINER, {
    diffs: ["memory"],
    old: { inputs: { memory: 128 }, outputs: {}, type: "", urn: CONTAINER, parent: TENANT } as never,
    new: { inputs: { memory: 256 }, outputs: {}, type: "", urn: CONTAINER, parent: TENANT } as never,
  });

  it("names types as the engine's display does", () => {
    assert.equal(shortType("docker:index/container:Container"), "docker:index:Container");
    assert.equal(shortType("random:index/randomPassword:RandomPassword"), "random:index:RandomPassword");
    assert.equal(shortType("dormer:index:Tenant"), "dormer:index:Tenant");
  });

  it("a preview lists each planned change once, with its changed keys, and leaves out the unchanged", () => {
    const { out } = run(true, [
      at(1, { resourcePreEvent: { metadata: meta("same", TENANT) } }),
      at(1, { resourcePreEvent: { metadata: memory } }),
      at(2, { resOutputsEvent: { metadata: memory } }),
    ]);
    assert.deepEqual(out, ["~  docker:index:Container acme update [diff: ~memory]"]);
  });

  it("an up says what was done as each resource finishes, with how long it took", () => {
    const created = meta("create", CONTAINER.replace("Container::acme", "Container::globex"));
    const { out } = run(false, [
      at(10, { resourcePreEvent: { metadata: created } }),
      at(10, { resourcePreEvent: { metadata: memory } }),
      at(11, { resOutputsEvent: { metadata: memory } }),
      at(13, { resOutputsEvent: { metadata: created } }),
    ]);
    assert.deepEqual(out, ["~  docker:index:Container acme updated (1s) [diff: ~memory]", "+  docker:index:Container globex created (3s)"]);
  });

  it("with --diff, each changed property from → to, unknowns said plainly and long values cut", () => {
    const image = meta("replace", CONTAINER, {
      diffs: ["image"],
      keys: ["image"],
      old: { inputs: { image: "sha256:old", labels: "x".repeat(400) }, outputs: {}, type: "", urn: CONTAINER } as never,
      new: { inputs: { image: UNKNOWN, labels: "y".repeat(400) }, outputs: {}, type: "", urn: CONTAINER } as never,
      detailedDiff: { image: { diffKind: DiffKind.updateReplace, inputDiff: true }, labels: { diffKind: DiffKind.update, inputDiff: true } },
    });
    const { out } = run(true, [at(1, { resourcePreEvent: { metadata: image } })], true);
    assert.equal(out[0], "+- docker:index:Container acme replace [diff: +-image]");
    assert.equal(out[1], '      ~ image: "sha256:old" => (known after apply) (replaces)');
    assert.ok(out[2]!.startsWith('      ~ labels: "xxx') && out[2]!.includes("…") && out[2]!.length < 400, out[2]);
  });

  it("a refresh says nothing of a resource found as recorded", () => {
    const { out } = run(false, [
      at(1, { resourcePreEvent: { metadata: meta("refresh", CONTAINER) } }),
      at(1, { resOutputsEvent: { metadata: meta("refresh", CONTAINER) } }),
      at(1, { resOutputsEvent: { metadata: meta("refresh", TENANT, { diffs: ["outputs"] }) } }),
    ]);
    assert.deepEqual(out, ["~  dormer:index:Tenant acme refreshed [diff: ~outputs]"]);
  });

  it("errors and warnings go to stderr with their resource, the SDK's debug lines nowhere, colour tags stripped", () => {
    const { out, err } = run(false, [
      at(1, { diagnosticEvent: { urn: CONTAINER, message: "<{%fg 1%}>Error response from daemon: no space left<{%reset%}>\n", color: "raw", severity: "error" } }),
      at(1, { diagnosticEvent: { message: "RegisterResource RPC prepared", color: "raw", severity: "debug" as never } }),
      at(1, { diagnosticEvent: { message: "retrying", color: "raw", severity: "warning", ephemeral: true } }),
      at(1, { diagnosticEvent: { urn: TENANT, message: "a note from the program\n", color: "raw", severity: "info" } }),
      at(2, { resOpFailedEvent: { metadata: meta("create", CONTAINER), status: 1, steps: 0 } }),
      at(2, { stdoutEvent: { message: "SIGTERM received; cancelling.\n", color: "always" } }),
    ]);
    assert.deepEqual(err, ["error: acme: Error response from daemon: no space left", "** docker:index:Container acme create failed"]);
    assert.deepEqual(out, ["acme: a note from the program", "SIGTERM received; cancelling."]);
  });

  it("advisory policy findings as they come; mandatory ones are the command's to list", () => {
    const finding = { resourceUrn: CONTAINER, message: "readOnly: the root filesystem is writable\n", color: "raw", policyPackName: "dormer", policyPackVersion: "1", policyPackVersionTag: "1" };
    const { out } = run(true, [
      at(1, { policyEvent: { ...finding, policyName: "tenant-root-filesystem-read-only", enforcementLevel: "warning" } }),
      at(1, { policyEvent: { ...finding, policyName: "tenant-has-limits", enforcementLevel: "mandatory" } }),
    ]);
    assert.deepEqual(out, ["policy (advisory) tenant-root-filesystem-read-only: acme: readOnly: the root filesystem is writable"]);
  });
});
