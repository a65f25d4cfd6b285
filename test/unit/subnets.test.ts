import { strict as assert } from "assert";
import * as crypto from "crypto";
import { allocateSubnets, SubnetPool, SubnetPoolError, subnetPoolFrom } from "../../components/subnets";

const ids = (n: number, from = 0) => Array.from({ length: n }, (_, i) => `tenant-${String(i + from).padStart(4, "0")}`);

/** Ids whose hash lands on the same first slot of a pool with `slots` tenant slots. */
function collidingIds(slots: number): [string, string] {
  const seen = new Map<number, string>();
  for (let i = 0; ; i++) {
    const id = `t${i}x`.padEnd(3, "x");
    const slot = crypto.createHash("sha256").update(id).digest().readUInt32BE(0) % slots;
    const other = seen.get(slot);
    if (other !== undefined) return [other, id];
    seen.set(slot, id);
  }
}

describe("unit: tenant subnets from the stack's pool", () => {
  const pool = subnetPoolFrom({});

  it("defaults to 10.212.0.0/16 in /28s: core and edge first, 4094 tenants", () => {
    assert.equal(pool.shared("core"), "10.212.0.0/28");
    assert.equal(pool.shared("edge"), "10.212.0.16/28");
    assert.equal(pool.gateway("10.212.0.16/28"), "10.212.0.17");
    assert.equal(pool.tenantCapacity, 4094);
  });

  it("gives every tenant its own subnet of the pool, never a shared network's", () => {
    const subnets = Object.values(allocateSubnets(pool, ids(1000)));
    assert.equal(new Set(subnets).size, 1000);
    for (const s of subnets) {
      assert.ok(pool.slotOf(s)! >= 2, `${s} is a tenant slot`);
    }
  });

  it("keeps every existing tenant's subnet when tenants are added, removed and reordered", () => {
    const before = allocateSubnets(pool, ids(1000));
    const kept = ids(1000).filter((_, i) => i % 7 !== 0); // one in seven leaves
    const next = [...kept, ...ids(300, 5000)].reverse(); // 300 arrive, the file is reordered
    const after = allocateSubnets(pool, next, before);
    for (const id of kept) assert.equal(after[id], before[id], id);
    assert.equal(new Set(Object.values(after)).size, next.length);
  });

  it("keeps a tenant's subnet whatever order the file lists them in, from empty too", () => {
    const list = ids(500);
    assert.deepEqual(allocateSubnets(pool, [...list].reverse()), allocateSubnets(pool, list));
  });

  it("gives a new tenant whose hash collides with an existing one the next free slot, moving no one", () => {
    const small = SubnetPool.parse("10.99.0.0/24", 28); // 16 slots, 14 for tenants
    const [a, b] = collidingIds(small.tenantCapacity);
    const before = allocateSubnets(small, [a]);
    const after = allocateSubnets(small, [b, a], before);
    assert.equal(after[a], before[a]);
    assert.equal(small.slotOf(after[b]!), small.slotOf(after[a]!)! + 1);
  });

  it("keeps the earlier tenant in place even when the newcomer sorts first", () => {
    const small = SubnetPool.parse("10.99.0.0/24", 28);
    const [a, b] = collidingIds(small.tenantCapacity).sort().reverse() as [string, string]; // a sorts after b
    const before = allocateSubnets(small, [a]);
    assert.equal(allocateSubnets(small, [a, b], before)[a], before[a]);
  });

  it("does not hand a departing tenant's subnet to a newcomer in the same update", () => {
    const small = SubnetPool.parse("10.99.0.0/24", 28);
    const [a, b] = collidingIds(small.tenantCapacity);
    const before = allocateSubnets(small, [a]);
    const after = allocateSubnets(small, [b], before); // a leaves as b, hashing to a's slot, arrives
    assert.notEqual(after[b], before[a]);
    // Once a's network is gone (the next update no longer lists it), b keeps what it got.
    assert.deepEqual(allocateSubnets(small, [b], after), after);
  });

  it("probes past the end of the pool back to its start, and fills it completely", () => {
    const small = SubnetPool.parse("10.99.0.0/24", 28);
    const all = allocateSubnets(small, ids(small.tenantCapacity));
    assert.equal(new Set(Object.values(all)).size, small.tenantCapacity);
  });

  it("re-places a tenant whose recorded subnet is outside a changed pool, and ignores a slot claimed twice", () => {
    const previous = { "tenant-0000": "10.50.0.0/28", "tenant-0001": "10.212.1.0/28", "tenant-0002": "10.212.1.0/28" };
    const after = allocateSubnets(pool, ids(3), previous);
    assert.equal(after["tenant-0001"], "10.212.1.0/28");
    assert.notEqual(after["tenant-0002"], "10.212.1.0/28");
    assert.ok(pool.slotOf(after["tenant-0000"]!) !== undefined);
  });

  it("refuses a pool too small for the tenants, naming the counts", () => {
    const small = SubnetPool.parse("10.99.0.0/24", 28);
    assert.throws(() => allocateSubnets(small, ids(15)), (err: Error) => {
      assert.ok(err instanceof SubnetPoolError);
      assert.match(err.message, /15 tenants need 15 \/28 subnets, but 10\.99\.0\.0\/24 holds 14 \(after core and edge\)/);
      return true;
    });
  });

  it("says which setting is wrong", () => {
    assert.throws(() => subnetPoolFrom({ subnetPool: "10.212.0.0" }), /dormer:subnetPool: must be an IPv4 CIDR/);
    assert.throws(() => subnetPoolFrom({ subnetPool: "10.212.3.0/16" }), /host bits set \(did you mean 10\.212\.0\.0\/16\?\)/);
    assert.throws(() => subnetPoolFrom({ networkPrefixLength: "30" }), /dormer:networkPrefixLength: must be a whole number from 18 .* to 29, got 30/);
    assert.equal(subnetPoolFrom({ subnetPool: "10.16.0.0/12", networkPrefixLength: "29" }).tenantCapacity, 2 ** 17 - 2);
  });
});
