import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import type { TenantDirectory } from "../../runtime/directory";
import type { DeclaredTenant } from "../../runtime/engine/engine";
import { declaredTenant } from "../support/declared-tenant";
import { TenantKeys } from "../../runtime/identity/tenant-keys";

const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");

const tenant = (id: string, key: string): DeclaredTenant => declaredTenant(id, { accessKeySha256: sha256(key) });

const directory = (tenants: DeclaredTenant[]): TenantDirectory => ({
  get: (id) => tenants.find((t) => t.id === id),
  all: () => tenants,
  byMember: () => undefined,
});

describe("identity: tenant keys", () => {
  const keys = new TenantKeys(directory([tenant("acme", "acme-secret-key"), tenant("globex", "globex-secret-key")]));

  it("logs in with the tenant's key", async () => {
    assert.deepEqual(await keys.login({ tenant: "acme", key: "acme-secret-key" }), { tenant: "acme", user: "key:acme" });
  });

  it("rejects a wrong key", async () => {
    assert.equal(await keys.login({ tenant: "acme", key: "acme-secret-kez" }), null);
  });

  it("rejects another tenant's key", async () => {
    assert.equal(await keys.login({ tenant: "acme", key: "globex-secret-key" }), null);
  });

  it("rejects an unknown tenant exactly like a wrong key", async () => {
    assert.equal(await keys.login({ tenant: "initech", key: "acme-secret-key" }), null);
  });

  it("rejects the key's hash presented as the key", async () => {
    assert.equal(await keys.login({ tenant: "acme", key: sha256("acme-secret-key") }), null);
  });

  it("rejects malformed bodies", async () => {
    for (const body of [undefined, null, "acme", {}, { tenant: "acme" }, { key: "acme-secret-key" }, { tenant: "acme", key: 1 }, { tenant: "", key: "x" }, { tenant: "acme", key: "" }]) {
      assert.equal(await keys.login(body), null, JSON.stringify(body));
    }
  });

  it("rejects everyone for a tenant whose declared hash is malformed", async () => {
    const broken = { ...tenant("broken", "k"), accessKeySha256: "not-a-hash" };
    assert.equal(await new TenantKeys(directory([broken])).login({ tenant: "broken", key: "k" }), null);
  });
});
