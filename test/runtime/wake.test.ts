import { strict as assert } from "assert";
import * as crypto from "crypto";
import { Redis } from "ioredis";
import { countStarts, inspectContainer } from "../support/docker";
import { RedisServer, startRedis } from "../support/redis-server";
import { login, RunningSupervisor, startSupervisor, siteOf } from "../support/supervisor";
import { declareTenant, removeStack, TestTenant } from "../support/tenants";

describe("runtime: wake on request (real Redis, real Docker, the real tenant app)", function () {
  this.timeout(180_000);
  const stack = `rt${crypto.randomBytes(3).toString("hex")}`;
  let redis: RedisServer;
  let a: TestTenant;
  let b: TestTenant;
  let stuck: TestTenant;
  let late: TestTenant;
  const supervisors: RunningSupervisor[] = [];

  before(async () => {
    redis = await startRedis();
    a = await declareTenant(stack, "alpha");
    b = await declareTenant(stack, "bravo");
    stuck = await declareTenant(stack, "stuck", { wakeTimeoutSeconds: 3, command: ["sleep", "infinity"] });
    late = await declareTenant(stack, "late", { wakeTimeoutSeconds: 10 });
    supervisors.push(await startSupervisor({ stack, redisUrl: redis.url }));
  });

  after(async () => {
    for (const s of supervisors) await s.stop().catch(() => undefined);
    await removeStack(stack);
    await redis?.stop();
  });

  it("holds 200 concurrent requests to a sleeping tenant, starts it once and answers them all", async () => {
    const [sup] = supervisors;
    const cookie = await login(sup.url, a.id, a.key);
    assert.equal((await inspectContainer(a.container))?.State.Running, false);
    const starts = await countStarts(a.container);
    const answers = await Promise.all(
      Array.from({ length: 200 }, async () => {
        const res = await fetch(`${siteOf(sup.url, a.id)}/messages?limit=1`, { headers: { cookie } });
        return { status: res.status, body: (await res.json()) as { total?: number } };
      }),
    );
    await new Promise((r) => setTimeout(r, 300));
    starts.stop();
    assert.deepEqual(answers.filter((x) => x.status !== 200), []);
    assert.ok(answers.every((x) => typeof x.body.total === "number"));
    assert.equal(starts.count(), 1);
  });

  it("a request that finds the wake lock held by someone who then lets go without waking it (a reaper that had just stopped it) wakes the tenant itself", async () => {
    const [sup] = supervisors;
    const cookie = await login(sup.url, late.id, late.key);
    assert.equal((await inspectContainer(late.container))?.State.Running, false);
    // What a reaper mid-stop holds; it expires after 1.5 s, well inside the tenant's 10 s wake timeout.
    const store = new Redis(redis.url);
    try {
      assert.equal(await store.set(`dormer:${stack}:lock:${late.id}`, "a-reaper", "PX", 1500, "NX"), "OK");
    } finally {
      store.disconnect();
    }
    const res = await fetch(`${siteOf(sup.url, late.id)}/messages?limit=1`, { headers: { cookie } });
    assert.equal(res.status, 200, await res.text());
    assert.equal((await inspectContainer(late.container))?.State.Running, true);
  });

  it("two supervisors sharing Redis still start a sleeping tenant once", async () => {
    supervisors.push(await startSupervisor({ stack, redisUrl: redis.url, sessionKey: supervisors[0].sessionKey }));
    const cookie = await login(supervisors[0].url, b.id, b.key);
    const starts = await countStarts(b.container);
    const answers = await Promise.all(
      Array.from({ length: 100 }, (_, i) => fetch(`${siteOf(supervisors[i % 2].url, b.id)}/messages`, { headers: { cookie } }).then((r) => r.status)),
    );
    await new Promise((r) => setTimeout(r, 300));
    starts.stop();
    assert.deepEqual(answers.filter((s) => s !== 200), []);
    assert.equal(starts.count(), 1);
  });

  it("a tenant that never gets healthy ends in a clear 504 and is stopped again", async () => {
    const [sup] = supervisors;
    const cookie = await login(sup.url, stuck.id, stuck.key);
    const res = await fetch(`${siteOf(sup.url, stuck.id)}/messages`, { headers: { cookie } });
    assert.equal(res.status, 504);
    const body = (await res.json()) as { error: string; message: string };
    assert.equal(body.error, "wake_timeout");
    assert.match(body.message, /stuck did not become healthy within 3 s/);
    assert.equal((await inspectContainer(stuck.container))?.State.Running, false);
  });
});
