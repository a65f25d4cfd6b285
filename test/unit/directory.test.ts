import { strict as assert } from "assert";
import { EngineDirectory } from "../../runtime/engine/directory";
import { DeclaredTenant } from "../../runtime/engine/engine";
import { declaredTenant } from "../support/declared-tenant";

const tenant = (id: string, members: string[] = []): DeclaredTenant => declaredTenant(id, { members });

describe("unit: the tenant directory", () => {
  it("finds a person by exact email first, then by domain, ignoring case", async () => {
    const dir = new EngineDirectory(async () => [tenant("acme", ["@acme.com"]), tenant("guest", ["bob@acme.com"])]);
    await dir.refresh();
    assert.equal(dir.byMember("Alice@ACME.com")?.id, "acme");
    assert.equal(dir.byMember("bob@acme.com")?.id, "guest");
    assert.equal(dir.byMember("eve@evil.com"), undefined);
  });

  it("a refresh asked for during a read gets a read that starts after it", async () => {
    let generation = 0;
    let release: () => void = () => undefined;
    const dir = new EngineDirectory(async () => {
      const mine = ++generation;
      if (mine === 1) await new Promise<void>((r) => (release = r));
      return [tenant(`t${mine}`)];
    });
    const first = dir.refresh();
    const second = dir.refresh(); // e.g. a "create" event arrived while the first read was running
    const third = dir.refresh();
    release();
    await first;
    await Promise.all([second, third]);
    assert.equal(generation, 2, "the two late calls share one read");
    assert.deepEqual(dir.all().map((t) => t.id), ["t2"]);
  });
});
