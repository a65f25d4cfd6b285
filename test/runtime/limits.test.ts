import { strict as assert } from "assert";
import * as crypto from "crypto";
import * as net from "net";
import { MISBEHAVING_APP } from "../support/misbehaving-app";
import { waitFor } from "../support/poll";
import { RedisServer, startRedis } from "../support/redis-server";
import { login, RunningSupervisor, startSupervisor, siteOf } from "../support/supervisor";
import { declareTenant, removeStack, TestTenant } from "../support/tenants";
import { RawWebSocket } from "../tenant-app/ws-client";

const CLOSE = 0x8;
const CAP = 3;
const TIMEOUT_SECONDS = 2;

/** Sends a WebSocket handshake and returns the whole refusal (status line, headers, body) as text. */
function refusedUpgrade(port: number, cookie: string, host: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1");
    let got = "";
    socket.on("data", (d) => (got += d));
    socket.on("end", () => resolve(got));
    socket.on("error", reject);
    socket.write(
      `GET /ws HTTP/1.1\r\nHost: ${host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n` +
        `Sec-WebSocket-Key: ${crypto.randomBytes(16).toString("base64")}\r\nCookie: ${cookie}\r\n\r\n`,
    );
  });
}

describe("runtime: per-tenant connection caps and request timeouts (real supervisor, Redis, Docker)", function () {
  this.timeout(180_000);
  const stack = `rt${crypto.randomBytes(3).toString("hex")}`;
  let redis: RedisServer;
  let sup: RunningSupervisor;
  let capped: TestTenant;
  let other: TestTenant;
  let slow: TestTenant;
  const cookies: Record<string, string> = {};

  const get = (tenant: TestTenant, path: string) => fetch(`${siteOf(sup.url, tenant.id)}${path}`, { headers: { cookie: cookies[tenant.id], accept: "application/json" } });
  const admin = async (path: string) => {
    const res = await fetch(`${sup.url}${path}`, { headers: { authorization: `Bearer ${sup.adminToken}` } });
    assert.equal(res.status, 200);
    return res;
  };

  before(async () => {
    redis = await startRedis();
    capped = await declareTenant(stack, "capped", { maxConnections: CAP });
    other = await declareTenant(stack, "other", { maxConnections: CAP });
    slow = await declareTenant(stack, "slow", { requestTimeoutSeconds: TIMEOUT_SECONDS, command: ["node", "-e", MISBEHAVING_APP] });
    sup = await startSupervisor({ stack, redisUrl: redis.url });
    for (const t of [capped, other, slow]) cookies[t.id] = await login(sup.url, t.id, t.key);
  });

  after(async () => {
    await sup?.stop().catch(() => undefined);
    await removeStack(stack);
    await redis?.stop();
  });

  describe("maxConnections", () => {
    const held: RawWebSocket[] = [];
    after(() => held.forEach((ws) => ws.socket.destroy()));

    it(`holds ${CAP} WebSockets, and the admin API shows them`, async () => {
      for (let i = 0; i < CAP; i++) held.push(await RawWebSocket.connect(sup.port, { cookie: cookies[capped.id] }, `${capped.id}.localhost:${sup.port}`));
      const status = (await (await admin(`/admin/tenants/${capped.id}`)).json()) as { connections: unknown; limits: { maxConnections: number } };
      assert.deepEqual(status.connections, { http: 0, websocket: CAP });
      assert.equal(status.limits.maxConnections, CAP);
    });

    it("refuses the next WebSocket with a 503 naming the tenant and the limit", async () => {
      const answer = await refusedUpgrade(sup.port, cookies[capped.id], `${capped.id}.localhost:${sup.port}`);
      assert.match(answer, /^HTTP\/1.1 503 Service Unavailable\r\n/);
      const body = JSON.parse(answer.slice(answer.indexOf("\r\n\r\n") + 4));
      assert.deepEqual({ ...body, message: undefined }, { error: "too_many_connections", tenant: capped.id, limit: CAP, message: undefined });
      assert.match(body.message, new RegExp(`tenant ${capped.id} already has its ${CAP} connections open`));
    });

    it("refuses the next HTTP request with a 503 JSON too, and leaves other tenants alone", async () => {
      const res = await get(capped, "/messages?limit=1");
      assert.equal(res.status, 503);
      assert.deepEqual(await res.json(), {
        error: "too_many_connections",
        message: `tenant ${capped.id} already has its ${CAP} connections open; try again shortly`,
        tenant: capped.id,
        limit: CAP,
      });
      assert.equal((await get(other, "/messages?limit=1")).status, 200);
    });

    it("counts the refusals and the open connections in /metrics", async () => {
      const text = await (await admin("/metrics")).text();
      assert.match(text, new RegExp(`dormer_connections_refused_total\\{tenant="${capped.id}",kind="websocket"\\} 1\\b`));
      assert.match(text, new RegExp(`dormer_connections_refused_total\\{tenant="${capped.id}",kind="http"\\} 1\\b`));
      assert.match(text, new RegExp(`dormer_tenant_connections\\{tenant="${capped.id}",kind="websocket"\\} ${CAP}\\b`));
      assert.match(text, /\nprocess_open_fds \d+/);
    });

    it("gives the slot back when a WebSocket closes", async () => {
      const ws = held.pop()!;
      ws.send(CLOSE, Buffer.from([0x03, 0xe8]));
      await ws.ended;
      await waitFor("the slot to be free", async () => {
        const status = (await (await admin(`/admin/tenants/${capped.id}`)).json()) as { connections: { websocket: number } };
        return status.connections.websocket === CAP - 1;
      }, 5_000);
      assert.equal((await get(capped, "/messages?limit=1")).status, 200);
    });
  });

  describe("requestTimeoutSeconds", () => {
    it(`answers 504 naming the tenant when it sends nothing for ${TIMEOUT_SECONDS} s`, async () => {
      await get(slow, "/health"); // awake first: the wake is not part of the request's time
      const started = Date.now();
      const res = await get(slow, "/hang");
      const took = Date.now() - started;
      assert.equal(res.status, 504);
      assert.deepEqual(await res.json(), {
        error: "upstream_timeout",
        message: `tenant ${slow.id} sent no answer within ${TIMEOUT_SECONDS} s`,
        tenant: slow.id,
        seconds: TIMEOUT_SECONDS,
      });
      assert.ok(took >= TIMEOUT_SECONDS * 1000 - 100, `cut after ${took} ms`);
      // The tenant is slow, not gone: the next request is answered without a new wake.
      assert.equal((await get(slow, "/health")).status, 200);
      const text = await (await admin("/metrics")).text();
      assert.match(text, new RegExp(`dormer_wakes_total\\{tenant="${slow.id}",result="ok"\\} 1\\b`));
      assert.match(text, new RegExp(`dormer_proxy_errors_total\\{tenant="${slow.id}",kind="timeout"\\} 1\\b`));
    });

    it("does not cut a response that takes longer than the timeout while bytes flow", async () => {
      const started = Date.now();
      const res = await get(slow, "/drip?ms=500&n=9");
      assert.equal(res.status, 200);
      const body = await res.text();
      assert.ok(Date.now() - started > TIMEOUT_SECONDS * 2000, "the drip was too fast to prove anything");
      assert.equal(body.trim().split("\n").length, 9, body);
    });

    it("cuts a response that started and then went silent", async () => {
      const res = await get(slow, "/drip?ms=5000&n=2");
      assert.equal(res.status, 200);
      await assert.rejects(res.text());
    });
  });
});
