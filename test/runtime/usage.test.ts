import { strict as assert } from "assert";
import * as crypto from "crypto";
import Redis from "ioredis";
import { adminClient } from "../../cli/admin-client";
import { tenantTable } from "../../cli/commands/usage";
import { Metrics } from "../../runtime/observe/metrics";
import { EVENTS_KEPT, StoredEvent, TenantEvents } from "../../runtime/observe/tenant-events";
import { DayUsage, UsageLedger, dayOf } from "../../runtime/observe/usage";
import { waitFor } from "../support/poll";
import { RedisServer, startRedis } from "../support/redis-server";
import { login, RunningSupervisor, startSupervisor, siteOf } from "../support/supervisor";
import { declareTenant, removeStack, TestTenant } from "../support/tenants";

interface Report {
  tenant: string;
  days: DayUsage[];
  quota: { limit: number | "unlimited"; used?: number; remaining?: number };
}

describe("runtime: usage and events per tenant (real supervisors, Redis, Docker, the tenant app)", function () {
  this.timeout(180_000);
  const stack = `rt${crypto.randomBytes(3).toString("hex")}`;
  const today = () => dayOf(Date.now());
  let redis: RedisServer;
  let sup: RunningSupervisor;
  let other: RunningSupervisor;
  let a: TestTenant;
  let b: TestTenant;
  let cookie: string;
  const body = crypto.randomBytes(10_000);

  const admin = async <T>(path: string, method = "GET", on = sup): Promise<T> => {
    const res = await fetch(`${on.url}${path}`, { method, headers: { authorization: `Bearer ${on.adminToken}` } });
    const text = await res.text();
    assert.equal(res.status, 200, `${method} ${path}: ${text}`);
    return JSON.parse(text) as T;
  };
  const todayOf = (r: Report) => r.days[r.days.length - 1];

  before(async () => {
    redis = await startRedis();
    a = await declareTenant(stack, "alpha", { idleTimeoutSeconds: 900, dailyRequestQuota: 1000 });
    b = await declareTenant(stack, "bravo");
    // Two supervisors on one store, as the platform runs them.
    [sup, other] = await Promise.all([startSupervisor({ stack, redisUrl: redis.url }), startSupervisor({ stack, redisUrl: redis.url })]);
    cookie = await login(sup.url, a.id, a.key);
  });

  after(async () => {
    await Promise.all([sup?.stop(), other?.stop()]);
    await removeStack(stack);
    await redis?.stop();
  });

  it("counts the requests that reached the tenant, their bytes both ways and the wake, on today", async () => {
    const site = siteOf(sup.url, a.id);
    const put = await fetch(`${site}/files/u.bin`, { method: "PUT", headers: { cookie, "content-type": "application/octet-stream" }, body });
    assert.equal(put.status, 201, await put.text());
    const got = Buffer.from(await (await fetch(`${site}/files/u.bin`, { headers: { cookie } })).arrayBuffer());
    assert.equal(got.length, body.length);
    for (let i = 0; i < 3; i++) assert.equal((await fetch(`${site}/messages?limit=1`, { headers: { cookie } })).status, 200);

    const report = await admin<Report>(`/admin/tenants/${a.id}/usage?days=2`);
    assert.equal(report.days.length, 2);
    assert.deepEqual(report.days.map((d) => d.day), [dayOf(Date.now() - 86_400_000), today()]);
    const t = todayOf(report);
    assert.equal(t.requests, 5);
    assert.equal(t.wakes, 1);
    assert.ok(t.bytesIn >= body.length && t.bytesIn < body.length + 2000, `bytesIn ${t.bytesIn}`);
    assert.ok(t.bytesOut >= body.length && t.bytesOut < body.length + 5000, `bytesOut ${t.bytesOut}`);
    assert.ok(t.awakeSeconds > 0, "awake now: the running part counts");
    assert.deepEqual(report.days[0], { day: report.days[0].day, requests: 0, wakes: 0, awakeSeconds: 0, bytesIn: 0, bytesOut: 0 });
    assert.deepEqual(report.quota, { limit: 1000, used: 5, remaining: 995 });

    const metrics = await (await fetch(`${sup.url}/metrics`, { headers: { authorization: `Bearer ${sup.adminToken}` } })).text();
    assert.match(metrics, new RegExp(`^dormer_tenant_requests_total\\{tenant="${a.id}"\\} 5$`, "m"));
    assert.match(metrics, new RegExp(`^dormer_tenant_bytes_total\\{tenant="${a.id}",direction="in"\\} \\d+$`, "m"));
  });

  it("adds what another supervisor served to the same day, within its flush interval", async () => {
    const otherCookie = await login(other.url, a.id, a.key);
    assert.equal((await fetch(`${siteOf(other.url, a.id)}/messages?limit=1`, { headers: { cookie: otherCookie } })).status, 200);
    await waitFor("the other supervisor's request in the shared usage", async () => todayOf(await admin<Report>(`/admin/tenants/${a.id}/usage`)).requests === 6, 15_000, 250);
    // Found awake there: one wake in all, recorded by the supervisor that started it.
    assert.equal(todayOf(await admin<Report>(`/admin/tenants/${a.id}/usage`, "GET", other)).wakes, 1);
  });

  it("shows a tenant's members their own usage and quota, and nobody else's", async () => {
    const mine = await fetch(`${siteOf(sup.url, a.id)}/_dormer/usage`, { headers: { cookie } });
    assert.equal(mine.status, 200);
    const report = (await mine.json()) as Report;
    assert.equal(report.tenant, a.id);
    assert.equal(todayOf(report).requests, 6, "reading the usage is not a request to the tenant");
    assert.deepEqual(report.quota, { limit: 1000, used: 6, remaining: 994 });
    const bravo = await login(sup.url, b.id, b.key);
    assert.equal((await fetch(`${siteOf(sup.url, a.id)}/_dormer/usage`, { headers: { cookie: bravo } })).status, 401, "bravo's session on alpha's origin");
    assert.equal((await fetch(`${siteOf(sup.url, a.id)}/_dormer/usage`)).status, 401);
    const own = (await (await fetch(`${siteOf(sup.url, b.id)}/_dormer/usage`, { headers: { cookie: bravo } })).json()) as Report;
    assert.deepEqual({ tenant: own.tenant, requests: todayOf(own).requests, quota: own.quota }, { tenant: b.id, requests: 0, quota: { limit: "unlimited" } });
  });

  it("dormer usage's admin client and table show the same figures, and a wrong token is an error saying so", async () => {
    const client = adminClient(sup.url, new URL(sup.url).host, sup.adminToken);
    const text = tenantTable(await client.get(`/tenants/${a.id}/usage?days=2`));
    const [title, head, , todayRow] = text.split("\n");
    assert.equal(title, `${a.id}: quota today 6/1000`);
    assert.match(head, /^DAY \(UTC\)\s+REQUESTS\s+WAKES\s+AWAKE\s+IN\s+OUT$/);
    assert.match(todayRow, new RegExp(`^${today()}\\s+6\\s+1\\s+\\d+[smh]`));
    await assert.rejects(adminClient(sup.url, new URL(sup.url).host, "wrong-token").get("/tenants"), /GET \/admin\/tenants: 401/);
  });

  it("records the sleep after the wake, newest first, and stops counting awake time once asleep", async () => {
    await admin(`/admin/tenants/${a.id}/sleep`, "POST");
    const { events } = await admin<{ events: StoredEvent[] }>(`/admin/tenants/${a.id}/events`);
    assert.deepEqual(events.map((e) => e.type), ["sleep", "wake"]);
    assert.equal((events[0] as { reason: string }).reason, "admin");
    assert.equal((events[1] as { kind: string }).kind, "deep");
    assert.ok((events[1] as { ms: number }).ms > 0);
    assert.ok(Date.parse(events[0].at) >= Date.parse(events[1].at));
    const slept = await waitFor("the awake time to be written", async () => {
      const s = todayOf(await admin<Report>(`/admin/tenants/${a.id}/usage`)).awakeSeconds;
      return s > 0 && s;
    }, 10_000, 200);
    await new Promise((r) => setTimeout(r, 1200));
    assert.equal(todayOf(await admin<Report>(`/admin/tenants/${a.id}/usage`)).awakeSeconds, slept, "asleep: no more awake time");
  });

  it("keeps a bounded list of events, and splits awake time across midnight", async () => {
    const client = new Redis(redis.url);
    try {
      const prefix = `dormer:${stack}:`;
      const ledger = new UsageLedger(client, prefix, 2, new Metrics());
      const events = new TenantEvents(client, prefix, ledger);
      for (let i = 0; i < EVENTS_KEPT + 5; i++) events.record("busy", { type: "health_failed", failures: i });
      await waitFor("the events to be written", async () => (await events.recent("busy")).length === EVENTS_KEPT && (await events.recent("busy"))[0], 10_000, 100);
      assert.equal(((await events.recent("busy", 1))[0] as { failures: number }).failures, EVENTS_KEPT + 4, "newest kept");

      const midnight = Date.parse(`${today()}T00:00:00Z`);
      ledger.addAwake("night", midnight - 90_000, midnight + 30_000);
      const [before, after] = await ledger.days("night", 2, midnight + 60_000);
      assert.deepEqual([before.awakeSeconds, after.awakeSeconds], [90, 30]);
      assert.ok((await client.ttl(`${prefix}usage:night:${today()}`)) <= 2 * 86_400);
    } finally {
      client.disconnect();
    }
  });
});
