import { strict as assert } from "assert";
import * as crypto from "crypto";
import { Redis } from "ioredis";
import { inspectContainer } from "../support/docker";
import { isRunning, sleep, waitStopped } from "../support/poll";
import { RedisServer, startRedis } from "../support/redis-server";
import { login, RunningSupervisor, startSupervisor, siteOf } from "../support/supervisor";
import { declareTenant, removeStack, TestTenant } from "../support/tenants";

const IDLE_SECONDS = 2;
/**
 * Idle timeout, a reaper pass (500 ms) and the stop take a few seconds; this deadline is only for a reaper
 * that never acts. How fast a tenant goes to sleep is not a test's business (docs/BENCHMARKS.md).
 */
const STOP_DEADLINE_MS = 60_000;
/** A tenant app whose GET /slow?ms=N answers after N ms: a request that outlasts the idle timeout. */
const SLOW_APP = `require("http").createServer((req, res) => {
  const url = new URL(req.url, "http://tenant");
  if (url.pathname === "/health") return res.end("ok");
  const ms = Number(url.searchParams.get("ms") || 0);
  setTimeout(() => res.end("done after " + ms + " ms"), ms);
}).listen(Number(process.env.PORT));`;

describe("runtime: the reaper puts idle tenants to sleep (real Redis, real Docker, the real tenant app)", function () {
  this.timeout(120_000);
  const stack = `rt${crypto.randomBytes(3).toString("hex")}`;
  let redis: RedisServer;
  const supervisors: RunningSupervisor[] = [];
  const tenants = new Map<string, TestTenant>();

  const supervisor = async (): Promise<RunningSupervisor> => {
    const sup = await startSupervisor({ stack, redisUrl: redis.url, sessionKey: supervisors[0]?.sessionKey });
    supervisors.push(sup);
    return sup;
  };
  const get = async (sup: RunningSupervisor, t: TestTenant, cookie: string, path: string): Promise<Response> => {
    const res = await fetch(`${siteOf(sup.url, t.id)}${path}`, { headers: { cookie } });
    assert.equal(res.status, 200, `GET ${path}: ${res.status} ${await res.clone().text()}`);
    return res;
  };

  before(async () => {
    redis = await startRedis();
    for (const id of ["idle", "keeps", "busy"]) tenants.set(id, await declareTenant(stack, id, { idleTimeoutSeconds: IDLE_SECONDS }));
    tenants.set("restart", await declareTenant(stack, "restart", { idleTimeoutSeconds: 5 }));
    for (const id of ["slow", "slowelsewhere"]) {
      tenants.set(id, await declareTenant(stack, id, { idleTimeoutSeconds: IDLE_SECONDS, command: ["node", "-e", SLOW_APP] }));
    }
    await supervisor();
  });

  after(async () => {
    for (const s of supervisors) await s.stop().catch(() => undefined);
    await removeStack(stack);
    await redis?.stop();
  });

  const activityOf = async (tenant: string): Promise<number | undefined> => {
    const store = new Redis(redis.url);
    try {
      const score = await store.zscore(`dormer:${stack}:activity`, tenant);
      return score === null ? undefined : Number(score);
    } finally {
      store.disconnect();
    }
  };
  /** GET /slow on a tenant: answers only after `ms`, far past the idle timeout. */
  const slowRequest = async (sup: RunningSupervisor, t: TestTenant, cookie: string, ms: number) => {
    const res = await get(sup, t, cookie, `/slow?ms=${ms}`);
    return res.text();
  };

  it("stops a tenant woken by a request once it has been idle past its timeout, not before", async () => {
    const [sup] = supervisors;
    const t = tenants.get("idle")!;
    const cookie = await login(sup.url, t.id, t.key);
    await get(sup, t, cookie, "/messages");
    assert.equal(await isRunning(t.container), true);
    const took = await waitStopped(t.container, STOP_DEADLINE_MS);
    assert.ok(took >= (IDLE_SECONDS - 1) * 1000, `stopped after ${took} ms, before its idle timeout`);
    assert.match(sup.logs(), /putting idle tenant to sleep.*"tenant":"idle"/);
    assert.equal((await inspectContainer(t.container))?.State.ExitCode, 0, "stopped cleanly, not killed");
  });

  it("keeps the tenant's data across a sleep: a message posted before is there after the next wake", async () => {
    const [sup] = supervisors;
    const t = tenants.get("keeps")!;
    const cookie = await login(sup.url, t.id, t.key);
    const text = `before sleep ${crypto.randomBytes(4).toString("hex")}`;
    const posted = await fetch(`${siteOf(sup.url, t.id)}/messages`, { method: "POST", headers: { cookie, "content-type": "application/json" }, body: JSON.stringify({ text }) });
    assert.equal(posted.status, 201);
    await waitStopped(t.container, STOP_DEADLINE_MS);

    const after = (await (await get(sup, t, cookie, "/messages?limit=10")).json()) as { messages: Array<{ text: string }> };
    assert.equal(await isRunning(t.container), true, "the request woke it again");
    assert.ok(after.messages.some((m) => m.text === text), `message kept: ${JSON.stringify(after.messages)}`);
  });

  it("leaves a tenant with a request every 500 ms running well past its idle timeout", async () => {
    const [sup] = supervisors;
    const t = tenants.get("busy")!;
    const cookie = await login(sup.url, t.id, t.key);
    await get(sup, t, cookie, "/messages");
    const startedAt = (await inspectContainer(t.container))?.State.StartedAt;
    // Time is the subject: three idle timeouts of steady traffic.
    for (const until = Date.now() + 3 * IDLE_SECONDS * 1000; Date.now() < until; ) {
      await sleep(500);
      await get(sup, t, cookie, "/messages?limit=1");
      const state = (await inspectContainer(t.container))?.State;
      assert.equal(state?.Running, true, "stopped while busy");
      assert.equal(state?.StartedAt, startedAt, "restarted while busy");
    }
  });

  it("a request that straddles the idle deadline completes: the tenant stays up under it, and sleeps after", async () => {
    const [sup] = supervisors;
    const t = tenants.get("slow")!;
    const cookie = await login(sup.url, t.id, t.key);
    await slowRequest(sup, t, cookie, 0);
    const startedAt = (await inspectContainer(t.container))?.State.StartedAt;
    // Time is the subject: the request lasts three idle timeouts, with the reaper passing every 500 ms.
    assert.equal(await slowRequest(sup, t, cookie, 3 * IDLE_SECONDS * 1000), `done after ${3 * IDLE_SECONDS * 1000} ms`);
    const answeredAt = Date.now();
    const state = (await inspectContainer(t.container))?.State;
    assert.equal(state?.Running, true, "stopped under the request");
    assert.equal(state?.StartedAt, startedAt, "restarted under the request");
    // The end of the request restarted the idle clock.
    await waitStopped(t.container, STOP_DEADLINE_MS);
    assert.ok(Date.now() - answeredAt >= (IDLE_SECONDS - 1) * 1000, "stopped before an idle timeout had passed since the answer");
  });

  it("a request in flight on another supervisor keeps this one's reaper off the tenant", async () => {
    const [reaping] = supervisors;
    // Its own reaper never runs: only the first supervisor's could stop the tenant.
    const serving = await startSupervisor({ stack, redisUrl: redis.url, sessionKey: reaping.sessionKey, extra: { DORMER_REAPER_INTERVAL_MS: "3600000" } });
    supervisors.push(serving);
    const t = tenants.get("slowelsewhere")!;
    const cookie = await login(serving.url, t.id, t.key);
    await slowRequest(serving, t, cookie, 0);
    const startedAt = (await inspectContainer(t.container))?.State.StartedAt;
    assert.equal(await slowRequest(serving, t, cookie, 3 * IDLE_SECONDS * 1000), `done after ${3 * IDLE_SECONDS * 1000} ms`);
    const state = (await inspectContainer(t.container))?.State;
    assert.equal(state?.Running, true, "stopped under the request");
    assert.equal(state?.StartedAt, startedAt, "restarted under the request");
    await waitStopped(t.container, STOP_DEADLINE_MS);
    assert.match(reaping.logs(), /putting idle tenant to sleep.*"tenant":"slowelsewhere"/);
    await serving.stop();
    supervisors.splice(supervisors.indexOf(serving), 1);
  });

  it("a restarted supervisor puts a tenant to sleep on the activity recorded before the restart", async () => {
    const first = supervisors[0];
    const t = tenants.get("restart")!;
    const cookie = await login(first.url, t.id, t.key);
    await get(first, t, cookie, "/messages");
    const lastRequest = Date.now();
    await first.stop();
    supervisors.shift();
    // Time is the subject: with no supervisor running, the tenant goes past its 5 s idle timeout.
    await sleep(Math.max(0, lastRequest + 5_500 - Date.now()));
    assert.equal(await isRunning(t.container), true, "nobody was there to stop it");

    const recorded = await activityOf(t.id);
    assert.ok(recorded !== undefined && recorded <= lastRequest, `recorded ${recorded}, last request ${lastRequest}`);

    const second = await supervisor();
    await waitStopped(t.container, STOP_DEADLINE_MS);
    // It judged by the activity recorded before the restart: a supervisor restarting the idle clock would
    // have moved the record to its own start.
    const line = second.logs().split("\n").find((l) => /putting idle tenant to sleep.*"tenant":"restart"/.test(l));
    assert.ok(line, second.logs());
    assert.equal(await activityOf(t.id), recorded);
    assert.ok((JSON.parse(line) as { idleSeconds: number }).idleSeconds >= 5, line);
  });
});
