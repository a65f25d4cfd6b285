import { strict as assert } from "assert";
import * as crypto from "crypto";
import { inspectContainer } from "../support/docker";
import { waitFor } from "../support/poll";
import { RedisServer, startRedis } from "../support/redis-server";
import { login, RunningSupervisor, siteOf, startSupervisor } from "../support/supervisor";
import { declareTenant, removeStack, TestTenant } from "../support/tenants";

const FAILURES = 3;

// Answers /health and /ok at once; /hang never answers.
const HANGS_ON_A_ROUTE = `require("http").createServer((req, res) => { if (req.url !== "/hang") res.end("ok"); }).listen(8080)`;

/** One counter of the supervisor's /metrics, 0 when it has no sample yet. */
async function counter(sup: RunningSupervisor, name: string, labels: string): Promise<number> {
  const text = await (await fetch(`${sup.url}/metrics`, { headers: { authorization: `Bearer ${sup.adminToken}` } })).text();
  const line = text.split("\n").find((l) => l.startsWith(`${name}{${labels}}`));
  return line ? Number(line.split(" ").pop()) : 0;
}

describe("runtime: the watchdog restarts a tenant that hangs while awake (real Docker, real Redis)", function () {
  this.timeout(180_000);
  const stack = `rt${crypto.randomBytes(3).toString("hex")}`;
  let redis: RedisServer;
  let sup: RunningSupervisor;
  let frozen: TestTenant;
  let slow: TestTenant;

  before(async () => {
    redis = await startRedis();
    frozen = await declareTenant(stack, "frozen");
    slow = await declareTenant(stack, "slow", { command: ["node", "-e", HANGS_ON_A_ROUTE] });
    sup = await startSupervisor({
      stack,
      redisUrl: redis.url,
      extra: { DORMER_WATCHDOG_INTERVAL_MS: "300", DORMER_WATCHDOG_TIMEOUT_MS: "300", DORMER_WATCHDOG_FAILURES: String(FAILURES) },
    });
  });

  after(async () => {
    await sup?.stop().catch(() => undefined);
    await removeStack(stack);
    await redis?.stop();
  });

  it("restarts an app whose process is frozen, records it, and the tenant answers again", async () => {
    const cookie = await login(sup.url, frozen.id, frozen.key);
    assert.equal((await fetch(`${siteOf(sup.url, frozen.id)}/messages`, { headers: { cookie } })).status, 200);
    const before = await inspectContainer(frozen.container);
    // SIGSTOP from the host: the app keeps its sockets but answers nothing, as a deadlocked process would.
    const frozeAt = Date.now();
    process.kill(before!.State.Pid, "SIGSTOP");
    const restarted = await waitFor(
      "the watchdog to restart the frozen tenant",
      async () => {
        const now = await inspectContainer(frozen.container);
        return now?.State.Running && now.State.StartedAt !== before!.State.StartedAt ? Date.parse(now.State.StartedAt) : undefined;
      },
      60_000,
    );
    console.log(`      frozen -> restarted in ${restarted - frozeAt} ms (probes every 300 ms, ${FAILURES} failures)`);

    assert.equal((await fetch(`${siteOf(sup.url, frozen.id)}/messages`, { headers: { cookie } })).status, 200);
    assert.equal(await counter(sup, "dormer_watchdog_restarts_total", `tenant="${frozen.id}"`), 1);
    assert.match(sup.logs(), /"msg":"watchdog restarting a hung tenant","who":"watchdog","action":"restart","tenant":"frozen","failedProbes":3/);
    const status = (await (await fetch(`${sup.url}/admin/tenants/${frozen.id}`, { headers: { authorization: `Bearer ${sup.adminToken}` } })).json()) as {
      watchdogRestarts: { at: string; failedProbes: number }[];
    };
    assert.equal(status.watchdogRestarts.length, 1);
    assert.equal(status.watchdogRestarts[0].failedProbes, FAILURES);
    assert.ok(Date.parse(status.watchdogRestarts[0].at) >= frozeAt);
  });

  it("leaves alone an app that answers /health but hangs on one route", async () => {
    const cookie = await login(sup.url, slow.id, slow.key);
    assert.equal((await fetch(`${siteOf(sup.url, slow.id)}/ok`, { headers: { cookie } })).status, 200);
    const before = await inspectContainer(slow.container);
    const hanging = new AbortController();
    const hung = fetch(`${siteOf(sup.url, slow.id)}/hang`, { headers: { cookie }, signal: hanging.signal }).then((r) => r.status, () => "aborted");
    try {
      // While the route hangs, the watchdog probes it well past the number of failures that would restart it.
      const probed = await counter(sup, "dormer_watchdog_probes_total", `tenant="${slow.id}",result="ok"`);
      await waitFor(
        `${FAILURES * 2} more watchdog probes of the tenant`,
        async () => (await counter(sup, "dormer_watchdog_probes_total", `tenant="${slow.id}",result="ok"`)) >= probed + FAILURES * 2,
        30_000,
      );
      assert.equal(await counter(sup, "dormer_watchdog_probes_total", `tenant="${slow.id}",result="failed"`), 0);
      assert.equal(await counter(sup, "dormer_watchdog_restarts_total", `tenant="${slow.id}"`), 0);
      assert.equal((await inspectContainer(slow.container))?.State.StartedAt, before?.State.StartedAt);
    } finally {
      hanging.abort();
      await hung;
    }
  });
});
