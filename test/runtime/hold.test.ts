import { strict as assert } from "assert";
import * as crypto from "crypto";
import { isRunning, sleep } from "../support/poll";
import { RedisServer, startRedis } from "../support/redis-server";
import { login, RunningSupervisor, startSupervisor, siteOf } from "../support/supervisor";
import { declareTenant, removeStack, TestTenant } from "../support/tenants";

const WAKE_TIMEOUT_SECONDS = 6;

describe("runtime: an operator's hold keeps a tenant asleep and holds its requests (real Redis, real Docker)", function () {
  this.timeout(120_000);
  const stack = `rt${crypto.randomBytes(3).toString("hex")}`;
  let redis: RedisServer;
  let sup: RunningSupervisor;
  let tenant: TestTenant;
  let cookie: string;
  const token = crypto.randomBytes(12).toString("hex");
  const admin = (method: string, path: string) =>
    fetch(`${sup.url}/admin/tenants/${tenant.id}${path}`, { method, headers: { authorization: `Bearer ${sup.adminToken}` } });
  const get = (path: string) => fetch(`${siteOf(sup.url, tenant.id)}${path}`, { headers: { cookie } });

  before(async () => {
    redis = await startRedis();
    tenant = await declareTenant(stack, "held", { wakeTimeoutSeconds: WAKE_TIMEOUT_SECONDS });
    sup = await startSupervisor({ stack, redisUrl: redis.url });
    cookie = await login(sup.url, tenant.id, tenant.key);
  });

  after(async () => {
    await sup?.stop().catch(() => undefined);
    await removeStack(stack);
    await redis?.stop();
  });

  it("stops the tenant, holds requests past their wake timeout, and serves every one once released", async () => {
    assert.equal((await get("/messages")).status, 200);
    const held = await admin("POST", `/hold?token=${token}&seconds=30`);
    assert.equal(held.status, 200, await held.clone().text());
    assert.equal(await isRunning(tenant.container), false, "a held tenant is stopped");

    const requests = Array.from({ length: 5 }, () => get("/messages").then(async (r) => ({ status: r.status, body: await r.text() })));
    // Longer than the wake timeout: without the hold these would be 504s by now.
    await sleep((WAKE_TIMEOUT_SECONDS + 2) * 1000);
    assert.equal(await isRunning(tenant.container), false, "no request woke the held tenant");
    assert.equal((await admin("POST", `/hold?token=${token}&seconds=30`)).status, 200, "the holder renews its hold");
    const other = await admin("DELETE", `/hold?token=${crypto.randomBytes(12).toString("hex")}`);
    assert.deepEqual(await other.json(), { id: tenant.id, released: false }, "another token cannot end the hold");

    const released = await admin("DELETE", `/hold?token=${token}`);
    assert.deepEqual(await released.json(), { id: tenant.id, released: true });
    for (const r of await Promise.all(requests)) assert.equal(r.status, 200, r.body);
    assert.equal(await isRunning(tenant.container), true);
  });

  it("lapses by itself when its holder never releases it", async () => {
    assert.equal((await admin("POST", `/hold?token=${token}&seconds=5`)).status, 200);
    const started = Date.now();
    const res = await get("/messages");
    assert.equal(res.status, 200, await res.text());
    assert.ok(Date.now() - started >= 3000, `the request waited for the hold to lapse (${Date.now() - started} ms)`);
  });

  it("refuses a hold without a proper token or with too long a time, naming the problem", async () => {
    const bad = await admin("POST", "/hold?token=short");
    assert.equal(bad.status, 400);
    assert.match(((await bad.json()) as { message: string }).message, /token of 16 to 64/);
    const long = await admin("POST", `/hold?token=${token}&seconds=99999`);
    assert.equal(long.status, 400);
    assert.match(((await long.json()) as { message: string }).message, /seconds must be/);
  });
});
