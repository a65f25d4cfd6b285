import { strict as assert } from "assert";
import * as crypto from "crypto";
import { RunningGateway, startGateway } from "../support/gateway";
import { isRunning } from "../support/poll";
import { RedisServer, startRedis } from "../support/redis-server";
import { login, RunningSupervisor, siteOf, startSupervisor } from "../support/supervisor";
import { declareTenant, removeStack, TestTenant } from "../support/tenants";
import { RawWebSocket } from "../tenant-app/ws-client";

const TEXT = 0x1;

/**
 * A tenant's extra ports (tenants.yaml `ports`): `<id>--<port>.<base>` reaches that port of the tenant's
 * container, an origin of its own with its own sign-in, under the main port's identity, wake and quota rules.
 */
describe("runtime: a tenant's extra ports (real supervisor, gateway, Redis, Docker, tenant app)", function () {
  this.timeout(180_000);
  const stack = `rt${crypto.randomBytes(3).toString("hex")}`;
  let redis: RedisServer;
  let sup: RunningSupervisor;
  /** Declares 9090 (served) and 9091 (its app does not listen there). */
  let alpha: TestTenant;
  let beta: TestTenant;
  let metered: TestTenant;
  let alphaCookie: string;
  let alphaKey: string;
  const sockets: RawWebSocket[] = [];

  const portHost = (tenant: TestTenant, port: number) => `${tenant.id}--${port}.localhost`;
  const onPort = (tenant: TestTenant, port: number, path: string, gatewayPort = sup.port) => `http://${portHost(tenant, port)}:${gatewayPort}${path}`;
  const asJson = async (res: Response) => ({ status: res.status, body: (await res.json()) as Record<string, unknown> });
  const socket = async (tenant: TestTenant, port: number, headers: Record<string, string>) => {
    const ws = await RawWebSocket.connect(sup.port, headers, `${portHost(tenant, port)}:${sup.port}`);
    sockets.push(ws);
    return ws;
  };
  const admin = (path: string) => fetch(`${sup.url}/admin${path}`, { headers: { authorization: `Bearer ${sup.adminToken}` } });

  before(async () => {
    redis = await startRedis();
    alpha = await declareTenant(stack, "alpha", { ports: [9090, 9091], servedPorts: [9090] });
    beta = await declareTenant(stack, "beta", { ports: [9090] });
    metered = await declareTenant(stack, "metered", { ports: [9090], dailyRequestQuota: 2 });
    sup = await startSupervisor({ stack, redisUrl: redis.url });
  });

  after(async () => {
    for (const ws of sockets) ws.socket.destroy();
    await sup?.stop();
    await removeStack(stack);
    await redis?.stop();
  });

  it("sends an unsigned browser on a port's host name to sign-in, which comes back there with that origin's own cookie", async () => {
    const page = await fetch(onPort(alpha, 9090, "/whoami?x=1"), { headers: { accept: "text/html" }, redirect: "manual" });
    assert.equal(page.status, 302);
    const to = new URL(page.headers.get("location")!);
    assert.equal(to.origin, sup.url);
    assert.deepEqual(Object.fromEntries(to.searchParams), { tenant: "alpha", next: "/whoami?x=1", host: portHost(alpha, 9090) });
    assert.ok((await (await fetch(to)).text()).includes(`name="host" value="${portHost(alpha, 9090)}"`), "the form carries the port's host name");

    const signIn = await fetch(`${sup.url}/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ tenant: alpha.id, key: alpha.key, host: portHost(alpha, 9090) }),
    });
    const callback = new URL(((await signIn.json()) as { callback: string }).callback);
    assert.equal(callback.origin, `http://${portHost(alpha, 9090)}:${sup.port}`);
    const exchanged = await fetch(callback, { headers: { accept: "application/json" } });
    assert.equal(exchanged.status, 200, await exchanged.clone().text());
    const cookie = exchanged.headers.getSetCookie().find((c) => c.startsWith("dormer_session="));
    assert.ok(cookie && !/domain=/i.test(cookie), "a host-only session cookie of the port's origin");
    alphaCookie = cookie.split(";")[0]!;
  });

  it("wakes the sleeping tenant on a request to its port, and the answer comes from that port", async () => {
    assert.equal(await isRunning(alpha.container), false, "asleep before");
    const res = await asJson(await fetch(onPort(alpha, 9090, "/whoami"), { headers: { cookie: alphaCookie } }));
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(res.body, { tenant: "alpha", user: "key:alpha", port: 9090 });
    assert.equal(await isRunning(alpha.container), true, "woken by the request");
    const main = await asJson(await fetch(`${siteOf(sup.url, "alpha")}/whoami`, { headers: { cookie: alphaCookie } }));
    assert.equal(main.body.port, 8080, "the tenant's own origin still reaches its app port");
  });

  it("takes the tenant's API keys there, by either header", async () => {
    const main = await login(sup.url, alpha.id, alpha.key);
    const created = await fetch(`${siteOf(sup.url, "alpha")}/_dormer/api/keys`, {
      method: "POST",
      headers: { cookie: main, "content-type": "application/json" },
      body: JSON.stringify({ name: "port" }),
    });
    assert.equal(created.status, 201);
    alphaKey = ((await created.json()) as { key: string }).key;
    const byHeader: Record<string, string>[] = [{ authorization: `Bearer ${alphaKey}` }, { "x-api-key": alphaKey }];
    for (const headers of byHeader) {
      const res = await asJson(await fetch(onPort(alpha, 9090, "/whoami"), { headers }));
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.port, 9090);
    }
  });

  it("carries a WebSocket to the port, with a session or a key, and to no other port", async () => {
    const credentials: Record<string, string>[] = [{ cookie: alphaCookie }, { authorization: `Bearer ${alphaKey}` }];
    for (const headers of credentials) {
      const ws = await socket(alpha, 9090, headers);
      ws.send(TEXT, "through port 9090");
      assert.equal((await ws.next()).payload.toString(), "through port 9090");
    }
    // Declared, but the app does not listen there: proof the tunnel goes to the port asked for, not 8080.
    await assert.rejects(socket(alpha, 9091, { cookie: alphaCookie }), /HTTP\/1\.1 502/);
  });

  it("answers 502 naming the tenant for a declared port its app does not listen on", async () => {
    const res = await asJson(await fetch(onPort(alpha, 9091, "/whoami"), { headers: { cookie: alphaCookie } }));
    assert.equal(res.status, 502);
    assert.equal(res.body.error, "upstream_error");
    assert.match(String(res.body.message), /tenant alpha could not be reached: ECONNREFUSED/);
    assert.equal((await fetch(onPort(alpha, 9090, "/whoami"), { headers: { cookie: alphaCookie } })).status, 200, "its other ports are still served");
  });

  it("refuses a port the tenant does not declare, naming its ports, once the caller is known", async () => {
    for (const port of [9092, 8080]) {
      const res = await asJson(await fetch(onPort(alpha, port, "/whoami"), { headers: { cookie: alphaCookie } }));
      assert.equal(res.status, 404, `port ${port}`);
      assert.equal(res.body.error, "port_not_declared");
      assert.deepEqual(res.body.ports, [9090, 9091]);
      assert.match(String(res.body.message), new RegExp(`tenant alpha does not serve port ${port}: its extra ports are 9090, 9091`));
    }
    await assert.rejects(socket(alpha, 9092, { cookie: alphaCookie }), /HTTP\/1\.1 404/);
    const anonymous = await asJson(await fetch(onPort(alpha, 9092, "/whoami")));
    assert.equal(anonymous.status, 401, "nobody learns a tenant's ports without signing in");
    assert.equal(anonymous.body.error, "unauthenticated");
  });

  it("never lets tenant A's session or key reach tenant B's port", async () => {
    const bySession = await asJson(await fetch(onPort(beta, 9090, "/whoami"), { headers: { cookie: alphaCookie } }));
    assert.equal(bySession.status, 401);
    assert.equal(bySession.body.error, "unauthenticated");
    const byKey = await asJson(await fetch(onPort(beta, 9090, "/whoami"), { headers: { authorization: `Bearer ${alphaKey}` } }));
    assert.equal(byKey.status, 401);
    assert.equal(byKey.body.error, "api_key_invalid");
    await assert.rejects(socket(beta, 9090, { cookie: alphaCookie }), /HTTP\/1\.1 401/);
    await assert.rejects(socket(beta, 9090, { "x-api-key": alphaKey }), /HTTP\/1\.1 401/);
    // alpha's sign-in asking to land on beta's port lands on alpha's own origin; its code is no good at beta's.
    const signIn = await fetch(`${sup.url}/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ tenant: alpha.id, key: alpha.key, host: portHost(beta, 9090) }),
    });
    const callback = new URL(((await signIn.json()) as { callback: string }).callback);
    assert.equal(callback.origin, siteOf(sup.url, "alpha"));
    const planted = await fetch(onPort(beta, 9090, `/_dormer/auth/callback${callback.search}`), { headers: { accept: "application/json" } });
    assert.equal(planted.status, 400);
    assert.equal(await isRunning(beta.container), false, "beta never woke");
  });

  it("gives no session for a port the tenant does not declare", async () => {
    const signIn = await fetch(`${sup.url}/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ tenant: alpha.id, key: alpha.key, host: portHost(alpha, 9092) }),
    });
    const callback = new URL(((await signIn.json()) as { callback: string }).callback);
    assert.equal(callback.origin, siteOf(sup.url, "alpha"), "an undeclared port is not a place to return to");
    const forced = await fetch(onPort(alpha, 9092, `/_dormer/auth/callback${callback.search}`), { headers: { accept: "application/json" } });
    assert.equal(forced.status, 400);
    assert.equal(forced.headers.getSetCookie().length, 0);
  });

  it("lists the ports in the session status (with the port this origin reaches) and the admin API", async () => {
    const ports = [9090, 9091].map((port) => ({ port, origin: `http://${portHost(alpha, port)}:${sup.port}` }));
    const status = await asJson(await fetch(onPort(alpha, 9090, "/_dormer/status"), { headers: { cookie: alphaCookie } }));
    assert.equal(status.status, 200);
    assert.equal(status.body.port, 9090);
    assert.deepEqual(status.body.ports, ports);
    const main = await asJson(await fetch(`${siteOf(sup.url, "alpha")}/_dormer/status`, { headers: { cookie: alphaCookie } }));
    assert.equal(main.body.port, 8080);
    assert.deepEqual(main.body.ports, ports);
    assert.deepEqual(((await admin("/tenants/alpha").then((r) => r.json())) as { ports: unknown }).ports, ports);
    const list = ((await admin("/tenants").then((r) => r.json())) as { tenants: { id: string; ports: unknown }[] }).tenants;
    assert.deepEqual(list.find((t) => t.id === "beta")?.ports, [{ port: 9090, origin: `http://${portHost(beta, 9090)}:${sup.port}` }]);
  });

  it("counts a port's requests against the tenant's quota and as its activity", async () => {
    const cookie = await login(sup.url, metered.id, metered.key);
    assert.equal((await admin("/tenants/metered").then((r) => r.json()) as { lastActivity: unknown }).lastActivity, null);
    assert.equal((await fetch(onPort(metered, 9090, "/whoami"), { headers: { cookie } })).status, 200);
    assert.equal((await fetch(`${siteOf(sup.url, "metered")}/whoami`, { headers: { cookie } })).status, 200);
    const over = await asJson(await fetch(onPort(metered, 9090, "/whoami"), { headers: { cookie } }));
    assert.equal(over.status, 429);
    assert.equal(over.body.error, "quota_exceeded");
    assert.notEqual((await admin("/tenants/metered").then((r) => r.json()) as { lastActivity: unknown }).lastActivity, null);
  });

  describe("through the real gateway (nginx, as the program configures it)", () => {
    let gateway: RunningGateway;

    before(async () => {
      gateway = await startGateway(`dormer-${stack}-gateway`, sup.port);
    });

    after(async () => {
      await gateway?.stop();
    });

    it("passes a port's host name to the supervisor, which serves that port", async () => {
      const anonymous = await asJson(await fetch(onPort(alpha, 9090, "/whoami", gateway.port), { headers: { accept: "application/json" } }));
      assert.equal(anonymous.status, 401, "the supervisor asks who it is: the gateway let it through");
      assert.equal(anonymous.body.error, "unauthenticated");
      const res = await asJson(await fetch(onPort(alpha, 9090, "/whoami", gateway.port), { headers: { authorization: `Bearer ${alphaKey}` } }));
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.port, 9090);
    });
  });
});
