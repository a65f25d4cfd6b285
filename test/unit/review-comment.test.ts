import { strict as assert } from "assert";
import { PlannedStep } from "../../cli/plan";
import { COMMENT_LIMIT, marker, renderComment } from "../../cli/review/comment";
import { masked, valueAtPath } from "../../cli/values";

const T = "urn:pulumi:ci::dormer::dormer:index:Platform$dormer:index:Tenant";
const container = (tenant: string, op: string, changes: PlannedStep["changes"], replaceKeys: string[] = []): PlannedStep => ({
  op,
  urn: `${T}$docker:index/container:Container::${tenant}`,
  type: "docker:index/container:Container",
  name: tenant,
  tenant,
  replaceKeys,
  changes,
  retainOnDelete: false,
});

/** Many tenants, each with a long label change, and one removal and one replacement to warn about. */
function bigPlan(tenants: number): PlannedStep[] {
  const steps: PlannedStep[] = [];
  for (let i = 0; i < tenants; i++) {
    const id = `tenant-${String(i).padStart(4, "0")}`;
    steps.push(container(id, "update", [{ property: "memory", kind: "update", replaces: false, from: 256, to: 512 }]));
    steps.push(container(id, "update", [{ property: "labels", kind: "update", replaces: false, from: [{ label: "x", value: "a".repeat(150) }], to: [{ label: "x", value: "b".repeat(150) }] }]));
  }
  steps.push(container("zz-replaced", "replace", [{ property: "cpus", kind: "update-replace", replaces: true, from: "0.25", to: "0.5" }], ["cpus"]));
  steps.push({ ...container("zz-removed", "delete", []), urn: `${T}::zz-removed`, type: "dormer:index:Tenant", name: "zz-removed" });
  steps.push(container("zz-removed", "delete", []));
  return steps;
}

describe("review comment (pure rendering)", () => {
  const input = (steps: PlannedStep[]) => ({
    stack: "ci",
    counts: { update: steps.filter((s) => s.op === "update").length, replace: 1, delete: 2, same: 40 },
    steps,
    rules: [{ pack: "dormer", name: "tenant-has-limits", level: "mandatory" as const }],
    findings: [],
    fullOutput: "the job summary of this workflow run",
  });

  it("past 60 000 characters drops tenant sections last-first, keeping counts, warnings and the policy table", () => {
    const text = renderComment(input(bigPlan(400)));
    assert.ok(text.length <= COMMENT_LIMIT, `${text.length} characters`);
    assert.ok(text.startsWith(marker("ci")));
    assert.match(text, /800 to be updated, 1 to be replaced, 2 to be deleted, 40 unchanged/);
    assert.match(text, /\*\*zz-replaced\*\*: its container is replaced because `cpus` changes/);
    assert.match(text, /\*\*zz-removed\*\* is removed from tenants\.yaml/);
    const left = /_(\d+) of 402 tenant sections are left out .* the full preview is in the job summary of this workflow run\._/.exec(text);
    assert.ok(left, "says how many were left out and where the rest is");
    const shown = [...text.matchAll(/<summary><b>([^<]+)<\/b>/g)].map((m) => m[1]).filter((n) => n.startsWith("tenant-") || n.startsWith("zz-"));
    assert.equal(shown.length + Number(left[1]), 402);
    assert.deepEqual(shown, [...shown].sort(), "the first tenants stay, the last ones go");
    assert.match(text, /### Policy\n\n\| result/);
  });

  it("under the limit keeps every section and says nothing is left out", () => {
    const text = renderComment(input(bigPlan(3)));
    assert.doesNotMatch(text, /left out/);
    assert.equal([...text.matchAll(/<details>/g)].length, 5);
  });
});

describe("review values: secrets and property paths", () => {
  it("masks both sides when either is a secret", () => {
    assert.deepEqual(masked("plain-old", "[secret]"), ["[secret]", "[secret]"]);
    assert.deepEqual(masked({ "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", value: "x" }, undefined), ["[secret]", undefined]);
    assert.deepEqual(masked(["A=1", "[secret]"], ["A=2"]), ["[secret]", "[secret]"]);
    assert.deepEqual(masked(256, 512), [256, 512]);
  });

  it("reads a provider's property paths", () => {
    const inputs = { labels: [{ label: "a", value: "1" }], envs: ["X=1"], m: { "a.b": 2 } };
    assert.equal(valueAtPath(inputs, "labels[0].value"), "1");
    assert.equal(valueAtPath(inputs, "envs[0]"), "X=1");
    assert.equal(valueAtPath(inputs, 'm["a.b"]'), 2);
    assert.equal(valueAtPath(inputs, "nope.deeper"), undefined);
    assert.equal(valueAtPath({ s: "[secret]" }, "s.inner"), "[secret]");
  });
});

describe("review comment: a gateway configuration change", () => {
  const P = "urn:pulumi:ci::dormer::dormer:index:Platform$dormer:index:Gateway$docker:index/container:Container";
  const labels = (rate: string) => [
    { label: "dormer.role", value: "gateway-config" },
    { label: "dormer.gateway.rateLimitPerMinute", value: rate },
    { label: "dormer.gateway.maxBodyMb", value: "10" },
  ];
  const step = (name: string, changes: PlannedStep["changes"]): PlannedStep => ({
    op: "replace", urn: `${P}::${name}`, type: "docker:index/container:Container", name, replaceKeys: changes.map((c) => c.property), changes, retainOnDelete: false,
  });

  it("says the running gateway reloads it and names the setting that changes, never a bare replace or an outage", () => {
    const text = renderComment({
      stack: "ci",
      counts: { replace: 1, same: 20 },
      steps: [step("gateway-config", [
        { property: "labels", kind: "update-replace", replaces: true, from: labels("60"), to: labels("120") },
        { property: "uploads", kind: "update-replace", replaces: true, from: [{ file: "/x", content: "a" }], to: [{ file: "/x", content: "b" }] },
      ])],
      rules: [],
      findings: [],
      fullOutput: "the log",
    });
    assert.match(text, /\*\*platform\*\*: the gateway reloads its configuration \(`rateLimitPerMinute` `60` → `120`\)\. nginx checks it and reloads it in the running gateway: no connection is dropped/);
    assert.doesNotMatch(text, /Requests through it fail/);
  });

  it("still warns of the outage when the gateway container itself is replaced", () => {
    const text = renderComment({
      stack: "ci", counts: { replace: 1 }, rules: [], findings: [], fullOutput: "the log",
      steps: [step("gateway", [{ property: "image", kind: "update-replace", replaces: true, from: "sha256:a", to: "sha256:b" }])],
    });
    assert.match(text, /container `gateway` is replaced because `image` changes\. Requests through it fail/);
  });
});
