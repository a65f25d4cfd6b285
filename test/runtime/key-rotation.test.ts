import { strict as assert } from "assert";
import * as crypto from "crypto";
import { waitFor } from "../support/poll";
import { RedisServer, startRedis } from "../support/redis-server";
import { login, RunningSupervisor, siteOf, startSupervisor } from "../support/supervisor";
import { declareTenant, removeStack, rotateKey, TestTenant } from "../support/tenants";
import { RawWebSocket } from "../tenant-app/ws-client";

const TEXT = 0x1;

describe("runtime: rotating a tenant's deploy-time key (real supervisors, Redis, Docker, the tenant app)", function () {
  this.timeout(180_000);
  const stack = `rt${crypto.randomBytes(3).toString("hex")}`;
  let redis: RedisServer;
  let sups: RunningSupervisor[];
  let rotated: TestTenant;
  let bystander: TestTenant;

  const signIn = (sup: RunningSupervisor, tenant: string, key: string) =>
    fetch(`${sup.url}/auth/login`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ tenant, key }) });
  const asMember = (sup: RunningSupervisor, tenant: string, cookie: string) =>
    fetch(`${siteOf(sup.url, tenant)}/messages`, { headers: { cookie } });

  before(async () => {
    redis = await startRedis();
    rotated = await declareTenant(stack, "rotated");
    bystander = await declareTenant(stack, "bystander");
    sups = [await startSupervisor({ stack, redisUrl: redis.url })];
    sups.push(await startSupervisor({ stack, redisUrl: redis.url, sessionKey: sups[0].sessionKey, adminToken: sups[0].adminToken }));
  });

  after(async () => {
    for (const sup of sups ?? []) await sup?.stop().catch(() => undefined);
    await removeStack(stack);
    await redis?.stop();
  });

  it("ends every session the old key opened, on every supervisor, and its open WebSockets; the old key signs in no more", async () => {
    const oldKey = rotated.key;
    const cookie = await login(sups[0].url, rotated.id, oldKey);
    const bystanderCookie = await login(sups[0].url, bystander.id, bystander.key);
    for (const sup of sups) assert.equal((await asMember(sup, rotated.id, cookie)).status, 200);
    const ws = await RawWebSocket.connect(sups[1].port, { cookie }, `${rotated.id}.localhost:${sups[1].port}`);
    ws.send(TEXT, "before");
    assert.equal((await ws.next()).payload.toString(), "before");

    const newKey = await rotateKey(rotated);
    await ws.ended;
    for (const sup of sups) {
      const refused = await waitFor(`supervisor ${sup.port} to refuse the old key's session`, async () => {
        const res = await asMember(sup, rotated.id, cookie);
        return res.status === 401 ? res : undefined;
      }, 10_000, 50);
      assert.match(String(refused.headers.get("set-cookie")), /dormer_session=;/, "the ended session's cookie is cleared");
      assert.equal((await signIn(sup, rotated.id, oldKey)).status, 401);
    }
    const fresh = await login(sups[1].url, rotated.id, newKey);
    assert.equal((await asMember(sups[0], rotated.id, fresh)).status, 200);
    assert.equal((await asMember(sups[0], bystander.id, bystanderCookie)).status, 200, "another tenant's session ended too");
  });
});
