import { strict as assert } from "assert";
import { diskProblems, DiskUse } from "../../components/disk-quota";
import { parseTenantsFile } from "../../components/tenants-file";

const MIB = 1024 * 1024;
const file = (acmeLimits: string, planDisk = "diskMb: 64") =>
  parseTenantsFile(`version: 1
plans:
  free: { cpus: 0.25, memoryMb: 256, idleTimeoutMinutes: 10, egress: false, dailyRequestQuota: 100, ${planDisk} }
tenants:
  - { id: globex, plan: free }
  - { id: acme, plan: free${acmeLimits} }
`);
// A 64 MiB disk: ext4 keeps ~3 MiB of it, and 40 MiB are used.
const used = new Map<string, DiskUse>([["acme", { quotaMb: 64, capacityBytes: 61 * MIB, usedBytes: 40 * MIB }]]);

describe("unit: a diskMb the tenant's files do not fit in is refused before up", () => {
  it("names the tenant, the field, what it uses and the new limit", () => {
    assert.deepEqual(diskProblems(file(", limits: { diskMb: 32 }"), used), [
      "tenants[1] (acme): limits.diskMb: 32 MiB is less than the tenant uses: 40.0 MiB on its 64 MiB disk (a 32 MiB disk holds about 29.0 MiB); free space first or keep at least 43 MiB",
    ]);
  });

  it("says when the smaller size comes from the plan", () => {
    assert.match(diskProblems(file("", "diskMb: 40"), used)[0]!, /^tenants\[1\] \(acme\): diskMb \(from plan free\): 40 MiB is less/);
  });

  it("lets a grow, an unchanged size and a shrink that still fits through", () => {
    for (const mb of [128, 64, 48]) assert.deepEqual(diskProblems(file(`, limits: { diskMb: ${mb} }`), used), [], `${mb} MiB`);
  });

  it("refuses dropping the fence of a tenant whose files are on a disk", () => {
    assert.deepEqual(diskProblems(file("", "maxHeldRequests: 10"), used), [
      "tenants[1] (acme): limits.diskMb: cannot be removed: the tenant's files are on its 64 MiB disk (40.0 MiB used); keep a diskMb",
    ]);
  });

  it("has nothing to say of tenants without a disk yet", () => {
    assert.deepEqual(diskProblems(file(", limits: { diskMb: 16 }"), new Map()), []);
  });

  it("validates diskMb like every limit: a whole number of at least 16 MiB", () => {
    assert.throws(() => file(", limits: { diskMb: 8 }"), /tenants\[1\] \(acme\): limits\.diskMb: must be at least 16/);
    assert.throws(() => file(", limits: { diskMb: 1.5 }"), /tenants\[1\] \(acme\): limits\.diskMb: must be a whole number/);
  });
});
