import { strict as assert } from "assert";
import { ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";
import { policies } from "../../policy/rules";

const URN = "urn:pulumi:ci::dormer::dormer:index:Platform$dormer:index:Tenant$docker:index/container:Container::initech";

/** A tenant container's inputs as components/tenant.ts declares them for an own image. */
const tenantProps = (overrides: Record<string, unknown> = {}): Record<string, unknown> => ({
  image: "sha256:0123",
  memory: 512,
  cpus: "0.25",
  user: "10001:10001",
  readOnly: true,
  capabilities: { drops: ["ALL"] },
  networksAdvanced: [{ name: "dormer-ci-tenant-initech-net" }],
  ...overrides,
});

/** Every violation each resource rule reports for one tenant container, by rule name. */
function judge(props: Record<string, unknown>): Map<string, { level: string; messages: string[] }> {
  const found = new Map<string, { level: string; messages: string[] }>();
  for (const policy of policies) {
    const rule = policy as ResourceValidationPolicy;
    if (typeof rule.validateResource !== "function") continue;
    const messages: string[] = [];
    const args = { type: "docker:index/container:Container", urn: URN, name: "initech", props } as unknown as ResourceValidationArgs;
    void rule.validateResource(args, (message: string) => messages.push(message));
    if (messages.length > 0) found.set(rule.name, { level: String(rule.enforcementLevel), messages });
  }
  return found;
}

describe("policy pack rules on a tenant container", () => {
  it("refuse a credential in the plain env, pointing at secretEnv; accept the same variable taken from a secret", () => {
    const envs = ["API_TOKEN=sk_live_4eC39HqLyjWDarjtT1zdp7dc", "PORT=8080"];
    const plain = judge(tenantProps({ envs })).get("tenant-env-holds-no-credential");
    assert.equal(plain?.level, "mandatory");
    assert.match(plain!.messages[0]!, /env\.API_TOKEN: looks like a credential .*secretEnv \(dormer secret set\)/);
    assert.ok(!plain!.messages[0]!.includes("sk_live"), "the value is never in the message");
    const fromSecret = tenantProps({ envs, labels: [{ label: "dormer.secret-env", value: "API_TOKEN" }] });
    assert.equal(judge(fromSecret).get("tenant-env-holds-no-credential"), undefined);
    const other = tenantProps({ envs, labels: [{ label: "dormer.secret-env", value: "DB_PASSWORD" }] });
    assert.equal(judge(other).get("tenant-env-holds-no-credential")?.level, "mandatory");
  });

  it("pass a read-only, non-root container with every capability dropped", () => {
    assert.deepEqual([...judge(tenantProps()).keys()], []);
  });

  it("report the documented writable-root opt-out as advisory, not as a mandatory violation", () => {
    const found = judge(tenantProps({ readOnly: false }));
    assert.deepEqual([...found.keys()], ["tenant-root-filesystem-read-only"]);
    assert.equal(found.get("tenant-root-filesystem-read-only")?.level, "advisory");
    assert.match(found.get("tenant-root-filesystem-read-only")!.messages[0], /^tenant initech: readOnly: the root filesystem is writable/);
  });

  it("judge a root filesystem left out like a writable one, and one unknown in preview not at all", () => {
    const { readOnly: _dropped, ...withoutReadOnly } = tenantProps();
    assert.deepEqual([...judge(withoutReadOnly).keys()], ["tenant-root-filesystem-read-only"]);
    assert.deepEqual([...judge(tenantProps({ readOnly: undefined })).keys()], []);
  });

  it("still refuse root and kept capabilities as mandatory, writable root or not", () => {
    const found = judge(tenantProps({ readOnly: false, user: "0", capabilities: { drops: ["NET_RAW"] } }));
    assert.equal(found.get("tenant-runs-unprivileged")?.level, "mandatory");
    assert.deepEqual(found.get("tenant-runs-unprivileged")?.messages, [
      "tenant initech: user: runs as root (0); set a numeric non-root user",
      "tenant initech: capabilities.drops: not every capability is dropped (ALL)",
    ]);
    assert.ok(found.has("tenant-root-filesystem-read-only"));
  });
});
