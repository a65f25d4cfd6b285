import { strict as assert } from "assert";
import { chooseScope, MAX_EXCLUDE_BYTES, ScopeInput, StateResource } from "../../cli/run-scope";

const ROOT = "urn:pulumi:s::dormer::pulumi:pulumi:Stack::dormer-s";
const PLATFORM = "urn:pulumi:s::dormer::dormer:index:Platform::dormer";
const GATEWAY = "urn:pulumi:s::dormer::dormer:index:Platform$dormer:index:Gateway::gateway";

/** A tenant as the state holds it: the component, its five resources and, optionally, its own image. */
function tenant(id: string, fingerprint: string | undefined, ownImage = false): StateResource[] {
  const component = `urn:pulumi:s::dormer::dormer:index:Platform$dormer:index:Tenant::${id}`;
  const child = (type: string, name: string) => ({ urn: `urn:pulumi:s::dormer::dormer:index:Platform$dormer:index:Tenant$${type}::${name}`, type, parent: component });
  return [
    { urn: component, type: "dormer:index:Tenant", parent: PLATFORM, outputs: fingerprint === undefined ? {} : { fingerprint } },
    child("docker:index/network:Network", `${id}-net`),
    child("docker:index/volume:Volume", `${id}-files`),
    child("docker:index/volume:Volume", `${id}-data`),
    child("random:index/randomPassword:RandomPassword", `${id}-key`),
    child("docker:index/container:Container", id),
    ...(ownImage
      ? [{ urn: `urn:pulumi:s::dormer::dormer:index:Platform$docker:index/remoteImage:RemoteImage::${id}-image`, type: "docker:index/remoteImage:RemoteImage", parent: PLATFORM }]
      : []),
  ];
}

function input(over: Partial<Omit<ScopeInput, "wanted">> & { resources: StateResource[]; wanted: Record<string, string> }): ScopeInput {
  const { wanted, ...rest } = over;
  const keys = Object.fromEntries(Object.keys(wanted).map((id) => [id, `key-${id}`]));
  return { pendingOperations: 0, lastOperation: "update", previousKeys: keys, forced: new Set(), full: false, ...rest, wanted: new Map(Object.entries(wanted)) };
}

const shared: StateResource[] = [
  { urn: ROOT, type: "pulumi:pulumi:Stack" },
  { urn: PLATFORM, type: "dormer:index:Platform", parent: ROOT },
  { urn: GATEWAY, type: "dormer:index:Gateway", parent: PLATFORM },
];

describe("unit: which tenants a preview or up looks at (cli/run-scope.ts)", () => {
  it("leaves out a tenant whose recorded fingerprint is the one it would get, with every resource of it", () => {
    const scope = chooseScope(input({ resources: [...shared, ...tenant("acme", "a1", true), ...tenant("acme-2", "b1")], wanted: { acme: "a1", "acme-2": "b2" } }));
    assert.equal(scope.kind, "partial");
    if (scope.kind !== "partial") return;
    assert.deepEqual(scope.unchanged, ["acme"]);
    assert.deepEqual([...scope.declared], ["acme-2"]);
    // Exactly acme's six resources and its own image: never acme-2's, whose names start the same.
    assert.equal(scope.exclude.length, 7);
    assert.ok(scope.exclude.every((urn) => /::acme(-net|-files|-data|-key|-image)?$/.test(urn)), scope.exclude.join("\n"));
    assert.ok(!scope.exclude.includes(GATEWAY) && !scope.exclude.includes(PLATFORM));
  });

  it("declares a new tenant, and names the tenants of the state that left the file", () => {
    const scope = chooseScope(input({ resources: [...shared, ...tenant("acme", "a1"), ...tenant("gone", "g1")], wanted: { acme: "a1", fresh: "f1" } }));
    assert.equal(scope.kind, "partial");
    if (scope.kind !== "partial") return;
    assert.deepEqual([...scope.declared], ["fresh"]);
    assert.deepEqual(scope.removed, ["gone"]);
    // The removed tenant is neither declared nor excluded: the engine deletes it, as a full run would.
    assert.ok(!scope.exclude.some((urn) => urn.includes("gone")));
  });

  it("declares a tenant with no fingerprint recorded (applied before fingerprints, or its up failed)", () => {
    const scope = chooseScope(input({ resources: [...shared, ...tenant("acme", "a1"), ...tenant("old", undefined)], wanted: { acme: "a1", old: "o1" } }));
    assert.ok(scope.kind === "partial" && scope.declared.has("old") && scope.unchanged.join() === "acme");
  });

  it("declares a forced tenant (rotate-key) and one whose key the last outputs lack", () => {
    const resources = [...shared, ...tenant("acme", "a1"), ...tenant("beta", "b1"), ...tenant("gamma", "c1")];
    const scope = chooseScope(input({ resources, wanted: { acme: "a1", beta: "b1", gamma: "c1" }, forced: new Set(["beta"]), previousKeys: { acme: "k", beta: "k" } }));
    assert.ok(scope.kind === "partial");
    if (scope.kind !== "partial") return;
    assert.deepEqual(scope.unchanged, ["acme"]);
    assert.deepEqual([...scope.declared].sort(), ["beta", "gamma"]);
  });

  it("is a full run when asked, on an empty stack, after a refresh, with operations pending, or when nothing is unchanged", () => {
    const resources = [...shared, ...tenant("acme", "a1")];
    const reasons = [
      chooseScope(input({ resources, wanted: { acme: "a1" }, full: true })),
      chooseScope(input({ resources: [], wanted: { acme: "a1" } })),
      chooseScope(input({ resources, wanted: { acme: "a1" }, lastOperation: "refresh" })),
      chooseScope(input({ resources, wanted: { acme: "a1" }, pendingOperations: 1 })),
      chooseScope(input({ resources, wanted: { acme: "a2" } })),
    ].map((s) => (s.kind === "full" ? s.reason : "partial"));
    assert.ok(!reasons.includes("partial"), reasons.join("\n"));
    assert.match(reasons[0]!, /--full/);
    assert.match(reasons[2]!, /refresh/);
    assert.match(reasons[3]!, /unfinished/);
  });

  it("is a full run rather than hand the engine more exclusions than a command line holds", () => {
    const ids = Array.from({ length: Math.ceil(MAX_EXCLUDE_BYTES / 600) + 10 }, (_, i) => `tenant-${i}`);
    const resources = [...shared, ...ids.flatMap((id) => tenant(id, "same"))];
    const scope = chooseScope(input({ resources, wanted: Object.fromEntries(ids.map((id) => [id, "same"])) }));
    assert.equal(scope.kind, "full");
    assert.match(scope.kind === "full" ? scope.reason : "", /too many/);
  });
});

describe("unit: one batch of a large up (cli/run-scope.ts, only)", () => {
  it("on an empty stack declares the batch and leaves the rest for later batches", () => {
    const scope = chooseScope(input({ resources: [], wanted: { a: "1", b: "2", c: "3" }, only: new Set(["a", "b"]) }));
    assert.ok(scope.kind === "partial");
    if (scope.kind !== "partial") return;
    assert.deepEqual([...scope.declared], ["a", "b"]);
    assert.deepEqual(scope.deferred, ["c"]);
    assert.deepEqual(scope.exclude, []);
  });

  it("excludes every existing tenant outside the batch, changed or not, and declares nothing else", () => {
    const resources = [...shared, ...tenant("a", "old"), ...tenant("b", "same"), ...tenant("c", "old")];
    const scope = chooseScope(input({ resources, wanted: { a: "new", b: "same", c: "new", d: "4" }, only: new Set(["a"]), lastOperation: "refresh" }));
    assert.ok(scope.kind === "partial");
    if (scope.kind !== "partial") return;
    assert.deepEqual([...scope.declared], ["a"]);
    assert.deepEqual(scope.unchanged.sort(), ["b", "c"]);
    assert.deepEqual(scope.deferred, ["d"]);
    assert.ok(scope.exclude.every((urn) => /::[bc](-net|-files|-data|-key)?$/.test(urn)) && scope.exclude.length === 12);
  });
});
