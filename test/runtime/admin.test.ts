import { strict as assert } from "assert";
import * as crypto from "crypto";
import { inVolume } from "../support/docker";
import { isRunning, waitFor } from "../support/poll";
import { RedisServer, startRedis } from "../support/redis-server";
import { login, RunningSupervisor, startSupervisor, siteOf } from "../support/supervisor";
import { declareTenant, removeStack, tenantAppImage, TestTenant } from "../support/tenants";

interface TenantStatus {
  id: string;
  displayName: string;
  state: string;
  lastActivity: string | null;
  limits: Record<string, unknown>;
}

describe("runtime: the admin API and /metrics (real supervisor, Redis, Docker)", function () {
  this.timeout(180_000);
  const stack = `rt${crypto.randomBytes(3).toString("hex")}`;
  let redis: RedisServer;
  let sup: RunningSupervisor;
  let a: TestTenant;
  let b: TestTenant;

  const admin = (method: string, path: string, token = sup.adminToken) =>
    fetch(`${sup.url}${path}`, { method, headers: { authorization: `Bearer ${token}` } });
  const json = async <T>(res: Response, status = 200): Promise<T> => {
    const text = await res.text();
    assert.equal(res.status, status, text);
    return JSON.parse(text) as T;
  };
  /** The supervisor's "admin action" log lines. */
  const auditLines = () =>
    sup
      .logs()
      .split("\n")
      .filter((l) => l.includes('"admin action"'))
      .map((l) => JSON.parse(l) as { who: string; action: string; tenant?: string });

  before(async () => {
    redis = await startRedis();
    a = await declareTenant(stack, "alpha", { idleTimeoutSeconds: 900, dailyRequestQuota: 1000 });
    b = await declareTenant(stack, "bravo");
    sup = await startSupervisor({ stack, redisUrl: redis.url });
  });

  after(async () => {
    await sup?.stop();
    await removeStack(stack);
    await redis?.stop();
  });

  describe("refuses without the admin bearer token", () => {
    const routes = () => [
      ["GET", "/admin/tenants"],
      ["GET", `/admin/tenants/${a.id}`],
      ["POST", `/admin/tenants/${a.id}/wake`],
      ["POST", `/admin/tenants/${a.id}/sleep`],
      ["POST", `/admin/tenants/${a.id}/pause`],
      ["GET", `/admin/tenants/${a.id}/logs?lines=5`],
      ["GET", `/admin/tenants/${a.id}/stats`],
      ["GET", "/admin/tenants/nosuchtenant"],
      ["GET", "/metrics"],
    ];
    const callers: Record<string, () => Record<string, string>> = {
      "no Authorization header": () => ({}),
      "a wrong token": () => ({ authorization: "Bearer not-the-admin-token" }),
      "a wrong token of the same length": () => ({ authorization: `Bearer ${"x".repeat(sup.adminToken.length)}` }),
      "the right token without the Bearer scheme": () => ({ authorization: sup.adminToken }),
    };
    for (const [name, headers] of Object.entries(callers)) {
      it(`${name}: 401 on every /admin route and /metrics, and nothing is done`, async () => {
        for (const [method, path] of routes()) {
          const res = await fetch(`${sup.url}${path}`, { method, headers: headers() });
          assert.equal(res.status, 401, `${method} ${path}`);
          assert.equal(res.headers.get("www-authenticate"), 'Bearer realm="dormer-admin"');
          assert.equal(((await res.json()) as { error: string }).error, "unauthorized");
        }
        assert.equal(await isRunning(a.container), false, "an unauthorized wake started the tenant");
        assert.deepEqual(auditLines(), []);
      });
    }
  });

  describe("with the admin token", () => {
    it("lists the declared tenants: asleep, no activity yet, their limits", async () => {
      const { tenants } = await json<{ tenants: TenantStatus[] }>(await admin("GET", "/admin/tenants"));
      assert.deepEqual(tenants.map((t) => t.id).sort(), [a.id, b.id]);
      const alpha = tenants.find((t) => t.id === a.id)!;
      assert.equal(alpha.state, "asleep");
      assert.equal(alpha.lastActivity, null);
      assert.deepEqual(alpha.limits, {
        plan: "test",
        idleTimeoutSeconds: 900,
        lightSleepSeconds: null,
        dailyRequestQuota: 1000,
        maxHeldRequests: 500,
        wakeTimeoutSeconds: 30,
        maxConnections: 1000,
        requestTimeoutSeconds: 60,
        egress: false,
        diskMb: null,
      });
    });

    it("GET /admin/tenants/:id is one tenant's status", async () => {
      const status = await json<TenantStatus>(await admin("GET", `/admin/tenants/${b.id}`));
      assert.equal(status.id, b.id);
      assert.equal(status.displayName, `Tenant ${b.id}`);
      assert.equal(status.state, "asleep");
      assert.equal(status.limits.dailyRequestQuota, "unlimited");
    });

    it("an unknown tenant id is 404 on every tenant route", async () => {
      for (const [method, path] of [
        ["GET", ""],
        ["POST", "/wake"],
        ["POST", "/sleep"],
        ["POST", "/pause"],
        ["GET", "/logs"],
        ["GET", "/stats"],
      ]) {
        const body = await json<{ error: string }>(await admin(method, `/admin/tenants/nosuchtenant${path}`), 404);
        assert.equal(body.error, "unknown_tenant", `${method} ${path}`);
      }
    });

    it("wake starts the container and the tenant shows awake, with its last activity", async () => {
      const body = await json<{ state: string }>(await admin("POST", `/admin/tenants/${a.id}/wake`));
      assert.equal(body.state, "awake");
      assert.equal(await isRunning(a.container), true);
      const status = await json<TenantStatus>(await admin("GET", `/admin/tenants/${a.id}`));
      assert.equal(status.state, "awake");
      assert.ok(status.lastActivity && Date.now() - Date.parse(status.lastActivity) < 60_000, String(status.lastActivity));
    });

    it("stats of a running tenant report its memory use", async () => {
      await json(await admin("POST", `/admin/tenants/${a.id}/wake`));
      const stats = await json<{ state: string; memoryBytes: number; cpuPercent: number }>(await admin("GET", `/admin/tenants/${a.id}/stats`));
      assert.equal(stats.state, "running");
      assert.ok(stats.memoryBytes > 0, `memoryBytes ${stats.memoryBytes}`);
      assert.equal(typeof stats.cpuPercent, "number");
    });

    it("logs?lines=5 returns at most 5 lines of the tenant app's JSON logs", async () => {
      const cookie = await login(sup.url, a.id, a.key);
      for (let i = 0; i < 8; i++) assert.equal((await fetch(`${siteOf(sup.url, a.id)}/messages`, { headers: { cookie } })).status, 200);
      const { lines } = await json<{ lines: string[] }>(await admin("GET", `/admin/tenants/${a.id}/logs?lines=5`));
      assert.ok(lines.length > 0 && lines.length <= 5, `${lines.length} lines`);
      for (const line of lines) {
        // Each line is "<docker timestamp> <the app's JSON>".
        const entry = JSON.parse(line.slice(line.indexOf(" ") + 1)) as { level: string; msg: string };
        assert.equal(typeof entry.level, "string", line);
        assert.equal(typeof entry.msg, "string", line);
      }
    });

    it("sleep stops the container and keeps the tenant's data", async () => {
      const cookie = await login(sup.url, a.id, a.key);
      const text = `kept-${crypto.randomBytes(4).toString("hex")}`;
      const posted = await fetch(`${siteOf(sup.url, a.id)}/messages`, { method: "POST", headers: { cookie, "content-type": "application/json" }, body: JSON.stringify({ text }) });
      assert.equal(posted.status, 201);

      const body = await json<{ state: string }>(await admin("POST", `/admin/tenants/${a.id}/sleep`));
      assert.equal(body.state, "asleep");
      assert.equal(await isRunning(a.container), false);
      assert.equal((await json<TenantStatus>(await admin("GET", `/admin/tenants/${a.id}`))).state, "asleep");
      assert.ok((await inVolume(tenantAppImage(), `${a.container}-data`, "cat /v/*.jsonl")).includes(text));

      // Woken again by a request, the tenant still has it.
      const res = await fetch(`${siteOf(sup.url, a.id)}/messages?limit=200`, { headers: { cookie } });
      assert.ok(((await res.json()) as { messages: { text: string }[] }).messages.some((m) => m.text === text));
    });

    it("every admin action is logged with who, what and which tenant", async () => {
      const before = auditLines().length;
      await json(await admin("GET", "/admin/tenants"));
      for (const [method, path] of [
        ["GET", ""],
        ["POST", "/wake"],
        ["GET", "/stats"],
        ["GET", "/logs?lines=1"],
        ["POST", "/sleep"],
      ]) {
        await json(await admin(method, `/admin/tenants/${b.id}${path}`));
      }
      const logged = auditLines().slice(before);
      assert.deepEqual(
        logged.map(({ who, action, tenant }) => ({ who, action, tenant })),
        [
          { who: "admin-token", action: "list", tenant: undefined },
          ...["status", "wake", "stats", "logs", "sleep"].map((action) => ({ who: "admin-token", action, tenant: b.id })),
        ],
      );
    });

    it("/metrics serves the dormer metrics, with samples once a tenant was woken", async () => {
      await json(await admin("POST", `/admin/tenants/${b.id}/wake`));
      await waitFor("the reaper to count the awake tenant", async () => /^dormer_tenants_awake [1-9]/m.test(await (await admin("GET", "/metrics")).text()), 10_000);
      const res = await admin("GET", "/metrics");
      assert.equal(res.status, 200);
      assert.match(res.headers.get("content-type") ?? "", /^text\/plain/);
      const text = await res.text();
      for (const name of ["dormer_wakes_total", "dormer_wake_duration_seconds", "dormer_held_requests", "dormer_tenants_awake", "dormer_proxy_errors_total", "dormer_container_starts_total"]) {
        assert.match(text, new RegExp(`^# TYPE ${name} `, "m"), name);
      }
      assert.match(text, new RegExp(`^dormer_wakes_total\\{tenant="${b.id}",result="ok"\\} [1-9]`, "m"));
      assert.match(text, new RegExp(`^dormer_container_starts_total\\{tenant="${b.id}"\\} [1-9]`, "m"));
      assert.match(text, /^dormer_wake_duration_seconds_count\{kind="deep"\} [1-9]/m);
      assert.match(text, /^dormer_held_requests 0$/m);
    });
  });
});
