import { strict as assert } from "assert";
import { UpState } from "../../runtime/engine/engine";
import { RELIST_MS, UpStates } from "../../runtime/engine/up-states";

/** An engine list the test answers by hand, counting how often it is asked. */
function fakeList(initial: Record<string, UpState> = {}) {
  const engine = { state: new Map(Object.entries(initial)), lists: 0, pending: [] as (() => void)[] };
  const list = async () => {
    engine.lists++;
    return new Map(engine.state);
  };
  /** A list whose answer the test releases: it reflects the engine at the moment it is released. */
  const heldList = () => {
    engine.lists++;
    return new Promise<Map<string, UpState>>((resolve) => engine.pending.push(() => resolve(new Map(engine.state))));
  };
  return { engine, list, heldList };
}

const asObject = (m: Map<string, UpState>) => Object.fromEntries([...m].sort());

describe("unit: which tenants are up, kept from the engine's events (runtime/engine/up-states.ts)", function () {
  it("lists on every question until the events are watched", async () => {
    const { engine, list } = fakeList({ a: "running" });
    const up = new UpStates(list);
    assert.deepEqual(asObject(await up.current()), { a: "running" });
    engine.state.set("b", "paused");
    assert.deepEqual(asObject(await up.current()), { a: "running", b: "paused" });
    assert.equal(engine.lists, 2);
  });

  it("once watched, lists once and then follows start, unpause, pause, stop and removal without listing", async () => {
    const { engine, list } = fakeList({ a: "running", b: "paused" });
    const up = new UpStates(list);
    up.onEvent({ kind: "watching" });
    await up.current();
    up.onEvent({ kind: "running", tenant: "c" }); // started by hand, or by another supervisor
    up.onEvent({ kind: "running", tenant: "b" }); // unpaused
    up.onEvent({ kind: "paused", tenant: "a" });
    assert.deepEqual(asObject(await up.current()), { a: "paused", b: "running", c: "running" });
    up.onEvent({ kind: "stopped", tenant: "a" });
    up.onEvent({ kind: "removed", tenant: "c" });
    up.onEvent({ kind: "declared-changed" });
    assert.deepEqual(asObject(await up.current()), { b: "running" });
    assert.equal(engine.lists, 1);
  });

  it("a change reported while the list runs is kept, even when the list did not see it yet", async () => {
    const { engine, heldList } = fakeList({ a: "running" });
    const up = new UpStates(heldList);
    up.onEvent({ kind: "watching" });
    const first = up.current();
    up.onEvent({ kind: "stopped", tenant: "a" }); // reported before the list's answer, which still shows it up
    engine.pending.shift()!();
    assert.deepEqual(asObject(await first), {});
    assert.deepEqual(asObject(await up.current()), {});
    assert.equal(engine.lists, 1);
  });

  it("questions asked while a list runs share it", async () => {
    const { engine, heldList } = fakeList({ a: "running" });
    const up = new UpStates(heldList);
    up.onEvent({ kind: "watching" });
    const both = Promise.all([up.current(), up.current()]);
    engine.pending.shift()!();
    assert.deepEqual((await both).map(asObject), [{ a: "running" }, { a: "running" }]);
    assert.equal(engine.lists, 1);
  });

  it("after the events drop, or reconnect while a list runs, the next question lists again", async () => {
    const { engine, list, heldList } = fakeList({ a: "running" });
    const up = new UpStates(list);
    up.onEvent({ kind: "watching" });
    await up.current();
    up.onEvent({ kind: "unwatched" });
    engine.state.set("b", "running"); // started while nobody watched
    assert.deepEqual(asObject(await up.current()), { a: "running", b: "running" });
    assert.equal(engine.lists, 2);

    const reconnecting = new UpStates(heldList);
    engine.lists = 0;
    reconnecting.onEvent({ kind: "watching" });
    const during = reconnecting.current();
    reconnecting.onEvent({ kind: "unwatched" });
    reconnecting.onEvent({ kind: "watching" }); // what changed between the two was never reported
    engine.pending.shift()!();
    await during;
    const next = reconnecting.current();
    engine.state.set("c", "running");
    engine.pending.shift()!();
    assert.deepEqual(asObject(await next), { a: "running", b: "running", c: "running" });
    assert.equal(engine.lists, 2);
  });

  it("lists again once what it knows is RELIST_MS old, so a change never reported is seen", async () => {
    let now = 1_000_000;
    const { engine, list } = fakeList({ a: "running" });
    const up = new UpStates(list, () => now);
    up.onEvent({ kind: "watching" });
    await up.current();
    engine.state.delete("a"); // its stop was never reported
    now += RELIST_MS - 1;
    assert.deepEqual(asObject(await up.current()), { a: "running" });
    now += 1;
    assert.deepEqual(asObject(await up.current()), {});
    assert.equal(engine.lists, 2);
  });
});
