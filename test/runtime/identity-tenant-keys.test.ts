import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import type { TenantDirectory } from "../../runtime/engine/directory";
import type { DeclaredTenant } from "../../runtime/engine/engine";
import { declaredTenant } from "../support/declared-tenant";
import { keyGeneration, TenantKeys } from "../../runtime/identity/tenant-keys";

const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");

const tenant = (id: string, key: string): DeclaredTenant => declaredTenant(id, { accessKeySha256: sha256(key) });

const directory = (tenants: DeclaredTenant[]): TenantDirectory => ({
  get: (id) => tenants.find((t) => t.id === id),
  byHostname: () => undefined,
  all: () => tenants,
  byMember: () => undefined,
});

describe("identity: tenant keys", () => {
  const keys = new TenantKeys(directory([tenant("acme", "acme-secret-key"), tenant("globex", "globex-secret-key")]));

  it("logs in with the tenant's key", async () => {
    assert.deepEqual(await keys.login({ tenant: "acme", key: "acme-secret-key" }), { identity: { tenant: "acme", user: "key:acme", generation: keyGeneration(sha256("acme-secret-key")) } });
  });

  it("rejects a wrong key", async () => {
    assert.deepEqual(await keys.login({ tenant: "acme", key: "acme-secret-kez" }), { refused: "wrong key" });
  });

  it("rejects another tenant's key", async () => {
    assert.deepEqual(await keys.login({ tenant: "acme", key: "globex-secret-key" }), { refused: "wrong key" });
  });

  it("rejects an unknown tenant, saying so for the audit log (the HTTP answer is a wrong key's)", async () => {
    assert.deepEqual(await keys.login({ tenant: "initech", key: "acme-secret-key" }), { refused: "unknown tenant" });
  });

  it("rejects the key's hash presented as the key", async () => {
    assert.deepEqual(await keys.login({ tenant: "acme", key: sha256("acme-secret-key") }), { refused: "wrong key" });
  });

  it("rejects malformed bodies", async () => {
    for (const body of [undefined, null, "acme", {}, { tenant: "acme" }, { key: "acme-secret-key" }, { tenant: "acme", key: 1 }, { tenant: "", key: "x" }, { tenant: "acme", key: "" }]) {
      assert.deepEqual(await keys.login(body), { refused: "malformed body" }, JSON.stringify(body));
    }
  });

  it("rejects everyone for a tenant whose declared hash is malformed", async () => {
    const broken = { ...tenant("broken", "k"), accessKeySha256: "not-a-hash" };
    assert.deepEqual(await new TenantKeys(directory([broken])).login({ tenant: "broken", key: "k" }), { refused: "declared key hash is malformed" });
  });
});
