import { strict as assert } from "assert";
import * as crypto from "crypto";
import { Redis } from "ioredis";
import { inspectContainer } from "../support/docker";
import { isRunning, sleep, waitFor, waitStopped } from "../support/poll";
import { RedisServer, startRedis } from "../support/redis-server";
import { login, RunningSupervisor, startSupervisor, siteOf } from "../support/supervisor";
import { declareTenant, removeStack, TestTenant } from "../support/tenants";

describe("runtime: the supervisor crashes mid-traffic (real Redis, real Docker, the real tenant app)", function () {
  this.timeout(180_000);
  const stack = `rt${crypto.randomBytes(3).toString("hex")}`;
  let redis: RedisServer;
  const supervisors: RunningSupervisor[] = [];

  const supervisor = async (sessionKey?: string): Promise<RunningSupervisor> => {
    const sup = await startSupervisor({ stack, redisUrl: redis.url, sessionKey });
    supervisors.push(sup);
    return sup;
  };

  before(async () => {
    redis = await startRedis();
  });

  after(async () => {
    for (const s of supervisors) await s.stop().catch(() => undefined);
    await removeStack(stack);
    await redis?.stop();
  });

  describe("SIGKILL while a tenant that never gets healthy is being woken", () => {
    let stuck: TestTenant;
    let successor: RunningSupervisor;
    let killedAt: number;

    before(async () => {
      stuck = await declareTenant(stack, "stuck", { wakeTimeoutSeconds: 3, command: ["sleep", "infinity"] });
      const first = await supervisor();
      const cookie = await login(first.url, stuck.id, stuck.key);
      // Held until the wake ends, which it never will: the supervisor dies first.
      const held = fetch(`${siteOf(first.url, stuck.id)}/messages`, { headers: { cookie } }).then((r) => r.status, () => "dropped");
      await waitFor("the wake to start the container", () => isRunning(stuck.container), 30_000, 20);
      await first.kill();
      killedAt = Date.now();
      assert.equal(await held, "dropped");
      successor = await supervisor();
    });

    it("the new supervisor stops the half-started container within 30 s", async () => {
      assert.equal(await isRunning(stuck.container), true, "still running unhealthy after the crash");
      // The dead supervisor's wake lock (wake timeout + 5 s) expires, then a stop with a 10 s grace that
      // `sleep` as PID 1 ignores: about 18 s at worst.
      await waitStopped(stuck.container, 30_000);
      const took = Date.now() - killedAt;
      assert.ok(took < 30_000, `stopped ${took} ms after the crash`);
      assert.match(successor.logs(), /stopping a tenant left unhealthy.*"tenant":"stuck"/);
    });
  });

  describe("SIGKILL during steady traffic to a healthy tenant", () => {
    let web: TestTenant;
    let successor: RunningSupervisor;
    let cookie: string;
    let startedAt: string | undefined;
    const beforeCrash: number[] = [];

    before(async () => {
      web = await declareTenant(stack, "web");
      const first = await supervisor();
      cookie = await login(first.url, web.id, web.key);
      let crashed = false;
      // Steady traffic: a request every 50 ms until the supervisor is gone.
      const traffic = (async () => {
        while (!crashed) {
          beforeCrash.push(await fetch(`${siteOf(first.url, web.id)}/messages?limit=1`, { headers: { cookie } }).then((r) => r.status, () => 0));
          await sleep(50);
        }
      })();
      await waitFor("20 answered requests", async () => beforeCrash.filter((s) => s === 200).length >= 20, 60_000);
      startedAt = (await inspectContainer(web.container))?.State.StartedAt;
      await first.kill();
      crashed = true;
      await traffic;
      successor = await supervisor(first.sessionKey);
    });

    it("the new supervisor answers the old session's requests", async () => {
      assert.ok(beforeCrash.filter((s) => s === 200).length >= 20);
      const statuses = await Promise.all(
        Array.from({ length: 20 }, () => fetch(`${siteOf(successor.url, web.id)}/messages?limit=1`, { headers: { cookie } }).then((r) => r.status)),
      );
      assert.deepEqual(statuses.filter((s) => s !== 200), []);
      const posted = await fetch(`${siteOf(successor.url, web.id)}/messages`, {
        method: "POST",
        headers: { cookie, "content-type": "application/json" },
        body: JSON.stringify({ text: "after the crash" }),
      });
      assert.equal(posted.status, 201);
    });

    it("leaves nothing half-started: the tenant kept running and no wake lock is left", async () => {
      const state = (await inspectContainer(web.container))?.State;
      assert.equal(state?.Running, true);
      assert.equal(state?.StartedAt, startedAt, "the tenant was restarted");
      const store = new Redis(redis.url);
      try {
        assert.deepEqual(await store.keys(`dormer:${stack}:lock:*`), []);
      } finally {
        store.disconnect();
      }
    });
  });
});
