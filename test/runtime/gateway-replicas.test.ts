import { strict as assert } from "assert";
import * as crypto from "crypto";
import * as http from "http";
import { freePort, tryConnect } from "../support/ports";
import { RunningGateway, startGateway } from "../support/gateway";
import { MISBEHAVING_APP } from "../support/misbehaving-app";
import { waitFor } from "../support/poll";
import { RedisServer, startRedis } from "../support/redis-server";
import { login, RunningSupervisor, siteOf, startSupervisor } from "../support/supervisor";
import { declareTenant, removeStack, TestTenant } from "../support/tenants";
import { RawWebSocket } from "../tenant-app/ws-client";

describe("runtime: two supervisor replicas behind the real gateway; one drains, the other serves (real nginx, Redis, Docker)", function () {
  this.timeout(180_000);
  const stack = `rt${crypto.randomBytes(3).toString("hex")}`;
  const sessionKey = crypto.randomBytes(32).toString("base64");
  const adminToken = crypto.randomBytes(24).toString("hex");
  let redis: RedisServer;
  let slow: TestTenant;
  let first: RunningSupervisor;
  let second: RunningSupervisor;
  let gateway: RunningGateway;
  let cookie: string;
  const open: RawWebSocket[] = [];

  /** Requests for the tenant this replica counted (every replica counts its own). */
  const served = async (sup: RunningSupervisor): Promise<number> => {
    const text = await (await fetch(`${sup.url}/metrics`, { headers: { authorization: `Bearer ${adminToken}` } })).text();
    return Number(new RegExp(`dormer_tenant_requests_total\\{tenant="${slow.id}"\\} (\\d+)`).exec(text)?.[1] ?? 0);
  };
  const viaGateway = (path: string) => fetch(`${siteOf(gateway.url, slow.id)}${path}`, { headers: { cookie, accept: "application/json" } });

  before(async () => {
    redis = await startRedis();
    slow = await declareTenant(stack, "slow", { requestTimeoutSeconds: 30, command: ["node", "-e", MISBEHAVING_APP] });
    first = await startSupervisor({ stack, redisUrl: redis.url, sessionKey, adminToken });
    second = await startSupervisor({ stack, redisUrl: redis.url, sessionKey, adminToken });
    gateway = await startGateway(`dormer-${stack}-gateway`, [first.port, second.port]);
    cookie = await login(first.url, slow.id, slow.key);
  });

  after(async () => {
    for (const ws of open) ws.socket.destroy();
    await gateway?.stop();
    await first?.kill().catch(() => undefined);
    await second?.stop().catch(() => undefined);
    await removeStack(stack);
    await redis?.stop();
  });

  it("shares requests between both replicas", async () => {
    for (let i = 0; i < 10; i++) assert.equal((await viaGateway("/health")).status, 200);
    assert.ok((await served(first)) > 0, "the first replica served some");
    assert.ok((await served(second)) > 0, "the second replica served some");
  });

  it("while the first drains, every GET and WebSocket through the gateway is served by the second", async () => {
    // Keeps the first replica draining for 4 s.
    const drip = fetch(`${siteOf(first.url, slow.id)}/drip?ms=500&n=8`, { headers: { cookie, accept: "application/json" } });
    await new Promise((r) => setTimeout(r, 300));
    const stopped = first.stop();
    await waitFor("the first replica to refuse connections", async () => (await tryConnect(first.port)) === "ECONNREFUSED", 5_000, 20);
    const before = await served(second);
    const requests = 30;
    for (let i = 0; i < requests; i++) {
      const res = await viaGateway(`/health?n=${i}`);
      assert.equal(res.status, 200, `GET ${i} while the first replica drains: ${res.status} ${await res.text()}`);
    }
    assert.equal((await served(second)) - before, requests, "the second replica served every one");
    const ws = await RawWebSocket.connect(gateway.port, { cookie }, `${slow.id}.localhost:${gateway.port}`);
    open.push(ws);
    assert.equal(first.exitCode(), null, "the first replica was still draining throughout");
    assert.equal((await drip).status, 200);
    await stopped;
    assert.equal(first.exitCode(), 0);
  });

  it("sends any request a replica refused to connect to the next one, a POST too (none of it was sent)", async () => {
    const closed = await freePort(); // nothing listens there: a replica that stopped accepting
    const behind = await startGateway(`dormer-${stack}-gateway-refused`, [closed, second.port]);
    try {
      const site = siteOf(behind.url, slow.id);
      for (let i = 0; i < 10; i++) {
        for (const method of ["GET", "POST"]) {
          const res = await fetch(`${site}/health?n=${i}`, { method, headers: { cookie, accept: "application/json" } });
          assert.equal(res.status, 200, `${method} ${i}: ${res.status} ${await res.text()}`);
        }
      }
    } finally {
      await behind.stop();
    }
  });

  it("passes a replica's 503 on as its answer, and keeps that replica in turn", async () => {
    // The supervisor's 503s are answers (a waiting page, a request held past its wake timeout): another
    // replica would only repeat them, after holding the request as long again.
    let asked = 0;
    const answering = http.createServer((req, res) => {
      // The gateway's start is awaited by asking /live through it: only the test's own requests count.
      if (req.url?.startsWith("/health")) asked++;
      res.writeHead(503, { "content-type": "application/json" }).end('{"error":"held past its wake timeout"}');
    });
    const port = await freePort();
    await new Promise<void>((resolve) => answering.listen(port, "127.0.0.1", resolve));
    const behind = await startGateway(`dormer-${stack}-gateway-503`, [port, second.port]);
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 20; i++) statuses.push((await fetch(`${siteOf(behind.url, slow.id)}/health?n=${i}`, { headers: { cookie, accept: "application/json" } })).status);
      assert.ok(statuses.includes(503) && statuses.includes(200), `both replicas answered: ${statuses}`);
      assert.equal(statuses.filter((s) => s === 503).length, asked, `every 503 reached the client, none was asked again elsewhere: ${statuses}`);
      assert.ok(asked >= 5, `the replica that answers 503 was never marked down (asked ${asked} times)`);
    } finally {
      await behind.stop();
      await new Promise((resolve) => answering.close(resolve));
    }
  });
});
