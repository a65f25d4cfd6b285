import { strict as assert } from "assert";
import * as crypto from "crypto";
import { RunningGateway, startGateway } from "../support/gateway";
import { RedisServer, startRedis } from "../support/redis-server";
import { login, RunningSupervisor, siteOf, startSupervisor } from "../support/supervisor";
import { declareTenant, removeStack, TestTenant } from "../support/tenants";

/**
 * A tenant's own host name (tenants.yaml `hostnames`): routed by Host to that tenant, identity still
 * required, a sign-in started there comes back there with a session cookie of that origin alone.
 */
describe("runtime: a tenant's own host names (real supervisor, gateway, Redis, Docker, tenant app)", function () {
  this.timeout(180_000);
  const stack = `rt${crypto.randomBytes(3).toString("hex")}`;
  const HOST = "files.alpha.localhost";
  let redis: RedisServer;
  let sup: RunningSupervisor;
  let alpha: TestTenant;
  let beta: TestTenant;
  const onHost = (host: string, port = sup.port) => `http://${host}:${port}`;

  /** Signs in on the platform's origin, asking to come back to `host`; returns the callback it was given. */
  const callbackFor = async (tenant: TestTenant, host: string): Promise<URL> => {
    const res = await fetch(`${sup.url}/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ tenant: tenant.id, key: tenant.key, host }),
    });
    assert.equal(res.status, 200);
    return new URL(((await res.json()) as { callback: string }).callback);
  };
  const cookieFrom = async (callback: URL): Promise<string> => {
    const res = await fetch(callback, { headers: { accept: "application/json" } });
    assert.equal(res.status, 200, await res.clone().text());
    const cookie = res.headers.getSetCookie().find((c) => c.startsWith("dormer_session="));
    assert.ok(cookie, "a session cookie is set");
    assert.ok(!/domain=/i.test(cookie), "host-only: no Domain, so it stays on the origin that set it");
    return cookie.split(";")[0]!;
  };

  before(async () => {
    redis = await startRedis();
    alpha = await declareTenant(stack, "alpha", { hostnames: [HOST] });
    beta = await declareTenant(stack, "beta");
    sup = await startSupervisor({ stack, redisUrl: redis.url });
  });

  after(async () => {
    await sup?.stop();
    await removeStack(stack);
    await redis?.stop();
  });

  it("sends an unsigned request on the host name to sign-in, which knows where to come back", async () => {
    const api = await fetch(`${onHost(HOST)}/messages`, { headers: { accept: "application/json" } });
    assert.equal(api.status, 401);
    const page = await fetch(`${onHost(HOST)}/messages?x=1`, { headers: { accept: "text/html" }, redirect: "manual" });
    assert.equal(page.status, 302);
    const to = new URL(page.headers.get("location")!);
    assert.equal(to.origin, sup.url);
    assert.deepEqual(Object.fromEntries(to.searchParams), { tenant: "alpha", next: "/messages?x=1", host: HOST });
    const form = await fetch(to);
    const html = await form.text();
    assert.ok(html.includes(`name="host" value="${HOST}"`), "the form carries the host name");
    assert.ok(form.headers.get("content-security-policy")!.includes(`form-action 'self' http://*.localhost:${sup.port} ${onHost(HOST)}`));
  });

  it("signs in back onto the host name, and the tenant is served there, woken by the request", async () => {
    const callback = await callbackFor(alpha, HOST);
    assert.equal(callback.origin, onHost(HOST));
    const cookie = await cookieFrom(callback);
    const res = await fetch(`${onHost(HOST)}/messages`, { headers: { cookie, accept: "application/json" } });
    assert.equal(res.status, 200, await res.clone().text());
    const status = (await (await fetch(`${onHost(HOST)}/_dormer/status`, { headers: { cookie } })).json()) as Record<string, unknown>;
    assert.equal(status.tenant, "alpha");
    assert.equal(status.tenantState, "awake");
  });

  it("refuses another tenant's session there, and never returns another tenant's sign-in to it", async () => {
    const betaCookie = await login(sup.url, beta.id, beta.key);
    assert.equal((await fetch(`${onHost(HOST)}/messages`, { headers: { cookie: betaCookie, accept: "application/json" } })).status, 401);
    const callback = await callbackFor(beta, HOST);
    assert.equal(callback.origin, siteOf(sup.url, "beta"), "beta's sign-in goes to beta's own origin");
    const page = await fetch(`${sup.url}/auth/login?tenant=beta&host=${HOST}`);
    assert.ok(!(await page.text()).includes(HOST));
    assert.ok(!page.headers.get("content-security-policy")!.includes(HOST));
  });

  it("answers 421 for a name nobody declared, and the admin API lists the tenant's host names", async () => {
    assert.equal((await fetch(`${onHost("other.alpha.localhost")}/`)).status, 421);
    const res = await fetch(`${sup.url}/admin/tenants`, { headers: { authorization: `Bearer ${sup.adminToken}` } });
    const list = ((await res.json()) as { tenants: { id: string; hostnames: string[] }[] }).tenants;
    assert.deepEqual(list.find((t) => t.id === "alpha")?.hostnames, [HOST]);
    assert.deepEqual(list.find((t) => t.id === "beta")?.hostnames, []);
  });

  describe("through the real gateway (nginx, as the program configures it)", () => {
    let gateway: RunningGateway;

    before(async () => {
      gateway = await startGateway(`dormer-${stack}-gateway`, sup.port, "localhost", [HOST]);
    });

    after(async () => {
      await gateway?.stop();
    });

    it("passes the declared host name to the supervisor, and refuses others itself", async () => {
      const declared = await fetch(`${onHost(HOST, gateway.port)}/messages`, { headers: { accept: "application/json" } });
      assert.equal(declared.status, 401, "the supervisor asks who it is: the gateway let it through");
      assert.equal(((await declared.json()) as { error: string }).error, "unauthenticated");
      const other = await fetch(`${onHost("other.alpha.localhost", gateway.port)}/messages`);
      assert.equal(other.status, 421);
    });
  });
});
