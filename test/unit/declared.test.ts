import { strict as assert } from "assert";
import { tenantFromLabels, tenantLabels } from "../../runtime/engine/declared";
import { declaredTenant } from "../support/declared-tenant";

describe("unit: tenant labels", () => {
  it("read back exactly what the program wrote", () => {
    const tenant = declaredTenant("acme", {
      container: "dormer-local-tenant-acme",
      members: ["@acme.com", "wile.e@coyote.dev"],
      ports: [9090],
      dailyRequestQuota: 1000,
      egress: true,
      pidsLimit: 128,
      lightSleepSeconds: 120,
      memoryMb: 512,
      accessKeySha256: "a".repeat(64),
    });
    assert.deepEqual(tenantFromLabels(`/${tenant.container}`, tenantLabels("local", tenant)), tenant);
  });

  it("ignore a container that is not a tenant", () => {
    const labels = { ...tenantLabels("local", declaredTenant("acme")), "dormer.role": "supervisor" };
    assert.equal(tenantFromLabels("/x", labels), undefined);
  });
});
