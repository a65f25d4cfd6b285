import { strict as assert } from "assert";
import { nextRung, overCap } from "../../runtime/wake/ladder";
import { declaredTenant } from "../support/declared-tenant";

describe("unit: the sleep ladder", () => {
  const light = declaredTenant("acme", { idleTimeoutSeconds: 600, lightSleepSeconds: 60 });

  it("pauses a running tenant past its light-sleep time and stops it past its idle timeout", () => {
    assert.equal(nextRung(light, "running", 59_000), undefined);
    assert.equal(nextRung(light, "running", 61_000), "pause");
    assert.equal(nextRung(light, "paused", 61_000), undefined, "a paused tenant stays paused until the idle timeout");
    assert.equal(nextRung(light, "paused", 601_000), "stop");
    assert.equal(nextRung(light, "running", 601_000), "stop");
  });

  it("only stops a tenant without a light sleep", () => {
    const deep = declaredTenant("deep", { idleTimeoutSeconds: 600 });
    assert.equal(nextRung(deep, "running", 300_000), undefined);
    assert.equal(nextRung(deep, "running", 601_000), "stop");
  });

  it("skips the light sleep when the stack's cap brings the idle timeout down to it", () => {
    assert.equal(nextRung(light, "running", 45_000, 30), "stop");
    assert.equal(nextRung(light, "running", 20_000, 30), undefined);
  });

  it("stops the least recently used paused tenants until the rest fit the cap", () => {
    const paused = new Map([
      ["newest", { last: 3000, memoryMb: 256 }],
      ["oldest", { last: 1000, memoryMb: 256 }],
      ["middle", { last: 2000, memoryMb: 512 }],
    ]);
    assert.deepEqual(overCap(paused, 1024), []);
    assert.deepEqual(overCap(paused, 1000), ["oldest"]);
    assert.deepEqual(overCap(paused, 500), ["oldest", "middle"]);
    assert.deepEqual(overCap(paused, 0), ["oldest", "middle", "newest"]);
  });
});
