import { strict as assert } from "assert";
import * as crypto from "crypto";
import { docker, inspectContainer } from "../support/docker";
import { RedisServer, startRedis } from "../support/redis-server";
import { steadyTraffic } from "../support/steady-traffic";
import { login, RunningSupervisor, siteOf, startSupervisor } from "../support/supervisor";
import { declareTenant, removeStack, replaceContainer, TestTenant } from "../support/tenants";
import { RawWebSocket } from "../tenant-app/ws-client";

describe("runtime: a tenant whose container is replaced (real Redis, real Docker, the real tenant app)", function () {
  this.timeout(180_000);
  const stack = `rp${crypto.randomBytes(3).toString("hex")}`;
  let redis: RedisServer;
  let sup: RunningSupervisor;
  let steady: TestTenant;
  let leaving: TestTenant;

  before(async () => {
    redis = await startRedis();
    steady = await declareTenant(stack, "steady");
    // Long enough for a deep wake on a loaded machine, short enough to wait out.
    leaving = await declareTenant(stack, "leaving", { wakeTimeoutSeconds: 8 });
    sup = await startSupervisor({ stack, redisUrl: redis.url });
  });

  after(async () => {
    await sup?.stop().catch(() => undefined);
    await removeStack(stack);
    await redis?.stop();
  });

  it("holds requests while the container is deleted and created again, and the new one answers them all as a wake; a WebSocket is closed with 1012 and reconnects", async () => {
    const cookie = await login(sup.url, steady.id, steady.key);
    const url = `${siteOf(sup.url, steady.id)}/messages?limit=1`;
    assert.equal((await fetch(url, { headers: { cookie } })).status, 200);
    const host = `${steady.id}.localhost:${sup.port}`;
    const ws = await RawWebSocket.connect(sup.port, { cookie }, host);
    const traffic = steadyTraffic(url, { cookie });
    await new Promise((r) => setTimeout(r, 500));
    // The engine's gap between the delete and the create, stretched so requests surely arrive in it.
    const replaced = await replaceContainer(steady.container, {}, 1500);
    await new Promise((r) => setTimeout(r, 1500));
    const report = await traffic.stop();
    console.log(`      ${report.sent} GETs, longest gap ${report.longestGapMs} ms, slowest ${report.slowestMs} ms`);
    assert.deepEqual(report.failures, []);
    assert.ok(report.longestGapMs >= 1500, `the gap covers the time with no container (${report.longestGapMs} ms)`);
    const now = await inspectContainer(steady.container);
    assert.equal(now?.Id, replaced);
    assert.equal(now?.State.Running, true, "the new container was woken");
    const close = await ws.next();
    assert.equal(close.opcode, 8);
    assert.equal(close.payload.readUInt16BE(0), 1012);
    await ws.ended;
    const again = await RawWebSocket.connect(sup.port, { cookie }, host);
    again.send(1, "back");
    assert.equal((await again.next()).payload.toString(), "back");
    again.socket.destroy();
  });

  it("answers 503 naming the replacement when no new container appears within the wake timeout", async () => {
    const cookie = await login(sup.url, leaving.id, leaving.key);
    const url = `${siteOf(sup.url, leaving.id)}/messages?limit=1`;
    assert.equal((await fetch(url, { headers: { cookie } })).status, 200);
    await docker.getContainer(leaving.container).remove({ force: true });
    const started = Date.now();
    const res = await fetch(url, { headers: { cookie } });
    const took = Date.now() - started;
    assert.equal(res.status, 503);
    assert.equal(((await res.json()) as { error: string }).error, "replacement_timeout");
    assert.ok(took >= 7000 && took < 16_000, `held about its 8 s wake timeout, not refused at once nor forever (${took} ms)`);
    // Once its wake timeout has passed since it left, it is a tenant that is no longer declared.
    assert.equal((await fetch(url, { headers: { cookie } })).status, 403);
  });
});
