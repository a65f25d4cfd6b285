import { strict as assert } from "assert";
import * as http from "http";
import { AddressInfo } from "net";
import { EngineDirectory } from "../../runtime/engine/directory";
import { DeclaredTenant, Engine } from "../../runtime/engine/engine";
import { Metrics } from "../../runtime/observe/metrics";
import { TenantEvent, TenantEvents } from "../../runtime/observe/tenant-events";
import { WakeLock } from "../../runtime/wake/wake-lock";
import { Waker } from "../../runtime/wake/waker";
import { Watchdog } from "../../runtime/wake/watchdog";
import { WatchdogHistory, WatchdogRestart } from "../../runtime/wake/watchdog-history";
import { declaredTenant } from "../support/declared-tenant";

/** A /health endpoint on loopback that answers `status` after `delayMs`, counting probes in flight. */
async function healthServer(status: number, delayMs: number) {
  const stats = { probes: 0, inFlight: 0, maxInFlight: 0 };
  const server = http.createServer((_req, res) => {
    stats.probes++;
    stats.maxInFlight = Math.max(stats.maxInFlight, ++stats.inFlight);
    setTimeout(() => {
      stats.inFlight--;
      res.writeHead(status).end();
    }, delayMs);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { stats, address: `127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => server.close() };
}

/** The watchdog with everything around it in memory: which tenants are awake, and what it did. */
async function watchdogFor(awake: Map<string, string>, concurrency: number, paused = new Set<string>()) {
  const tenants = [...awake.keys()].map((id) => declaredTenant(id));
  const directory = new EngineDirectory(async () => tenants);
  await directory.refresh();
  const restarts: { tenant: string; grace: number }[] = [];
  const recorded: WatchdogRestart[] = [];
  const engine = {
    restart: async (t: DeclaredTenant, grace: number) => void restarts.push({ tenant: t.id, grace }),
    // Up; paused when the reaper froze it (light sleep) between a probe and the restart.
    state: async (t: DeclaredTenant) => ({ running: true, paused: paused.has(t.id), startedAt: "" }),
  } as unknown as Engine;
  const waker = {
    awakeTenants: () => new Map(awake),
    awakeAddress: (id: string) => awake.get(id),
    forget: (id: string) => awake.delete(id),
  } as unknown as Waker;
  const lock: WakeLock = { acquire: async () => true, release: async () => undefined };
  const history = { record: async (_id: string, r: WatchdogRestart) => void recorded.push(r) } as unknown as WatchdogHistory;
  const events: { tenant: string; event: TenantEvent }[] = [];
  const eventLog = { record: (tenant: string, event: TenantEvent) => void events.push({ tenant, event }) } as unknown as TenantEvents;
  const watchdog = new Watchdog(engine, directory, waker, lock, new Metrics(), history, eventLog, { intervalMs: 1000, timeoutMs: 200, failures: 3, concurrency });
  return { watchdog, restarts, recorded, events };
}

describe("unit: the watchdog's passes (real HTTP probes on loopback)", () => {
  it("probes every awake tenant once per pass, never more than `concurrency` at a time", async () => {
    const health = await healthServer(200, 30);
    try {
      const awake = new Map(Array.from({ length: 40 }, (_, i) => [`t${i}`, health.address] as [string, string]));
      const { watchdog, restarts } = await watchdogFor(awake, 8);
      await watchdog.pass();
      assert.equal(health.stats.probes, 40);
      assert.equal(health.stats.maxInFlight, 8);
      assert.deepEqual(restarts, []);
    } finally {
      health.close();
    }
  });

  it("restarts a tenant after 3 failed probes in a row, once, and forgets it", async () => {
    const failing = await healthServer(500, 0);
    const healthy = await healthServer(200, 0);
    try {
      const awake = new Map([["bad", failing.address], ["good", healthy.address]]);
      const { watchdog, restarts, recorded, events } = await watchdogFor(awake, 4);
      await watchdog.pass();
      await watchdog.pass();
      assert.deepEqual(restarts, [], "two failures are not enough");
      await watchdog.pass();
      assert.deepEqual(restarts, [{ tenant: "bad", grace: 2 }]);
      assert.equal(recorded[0].failedProbes, 3);
      // The tenant's event history tells the same story: three failed checks, then the restart.
      assert.deepEqual(events, [
        { tenant: "bad", event: { type: "health_failed", failures: 1 } },
        { tenant: "bad", event: { type: "health_failed", failures: 2 } },
        { tenant: "bad", event: { type: "health_failed", failures: 3 } },
        { tenant: "bad", event: { type: "watchdog_restart", failedProbes: 3 } },
      ]);
      assert.equal(awake.has("bad"), false, "forgotten: the next request waits for it to answer again");
      await watchdog.pass();
      assert.equal(restarts.length, 1);
    } finally {
      failing.close();
      healthy.close();
    }
  });

  it("does not restart a tenant found paused when it takes the lock: it is in light sleep, not hung", async () => {
    const failing = await healthServer(500, 0);
    try {
      const awake = new Map([["frozen", failing.address]]);
      const { watchdog, restarts } = await watchdogFor(awake, 1, new Set(["frozen"]));
      for (let i = 0; i < 4; i++) await watchdog.pass();
      assert.deepEqual(restarts, []);
    } finally {
      failing.close();
    }
  });
});
