import { strict as assert } from "assert";
import * as crypto from "crypto";
import { Redis } from "ioredis";
import { isRunning, sleep, waitFor } from "../support/poll";
import { RedisServer, startRedis } from "../support/redis-server";
import { login, RunningSupervisor, siteOf, startSupervisor } from "../support/supervisor";
import { declareTenant, removeStack, TestTenant } from "../support/tenants";
import { RawWebSocket } from "../tenant-app/ws-client";

const TEXT = 0x1, CLOSE = 0x8;
const KEY_FORMAT = /^dormer_([0-9a-f]{12})_([0-9a-f]{64})$/;

interface KeyInfo { id: string; name: string; createdAt: string; createdBy: string; expiresAt: string | null; lastUsedAt: string | null; expired: boolean }

describe("runtime: API keys (real supervisors, Redis, Docker, the tenant app)", function () {
  this.timeout(180_000);
  const stack = `rt${crypto.randomBytes(3).toString("hex")}`;
  const LIMITS = { DORMER_API_KEYS_PER_TENANT: "3", DORMER_API_KEY_FAILURES_PER_CLIENT: "4", DORMER_API_KEY_WINDOW_SECONDS: "600" };
  let redis: RedisServer;
  let store: Redis;
  /** Two supervisors sharing one Redis and session key, as behind one gateway. */
  let sups: RunningSupervisor[];
  const t: Record<string, TestTenant> = {};
  const cookies: Record<string, string> = {};
  const sockets: RawWebSocket[] = [];

  const site = (sup: RunningSupervisor, tenant: string, path: string) => `${siteOf(sup.url, tenant)}${path}`;
  /** A member's call to the tenant's key API, with the session cookie of a sign-in on the first supervisor. */
  const keysApi = (sup: RunningSupervisor, tenant: string, method: string, path = "", body?: unknown) =>
    fetch(site(sup, tenant, `/_dormer/api/keys${path}`), {
      method,
      headers: { cookie: cookies[tenant], ...(body === undefined ? {} : { "content-type": "application/json" }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  const createKey = async (tenant: string, body: unknown = { name: "ci" }): Promise<KeyInfo & { key: string }> => {
    const res = await keysApi(sups[0], tenant, "POST", "", body);
    assert.equal(res.status, 201, await res.clone().text());
    return (await res.json()) as KeyInfo & { key: string };
  };
  const withKey = (sup: RunningSupervisor, tenant: string, path: string, key: string, init: { method?: string; body?: string; header?: "bearer" | "x-api-key" } = {}) =>
    fetch(site(sup, tenant, path), {
      method: init.method ?? "GET",
      headers: { ...(init.header === "x-api-key" ? { "x-api-key": key } : { authorization: `Bearer ${key}` }), ...(init.body ? { "content-type": "application/json" } : {}) },
      body: init.body,
    });
  const refusal = async (res: Response) => ({ status: res.status, body: (await res.json()) as { error: string; reason: string; message: string } });

  before(async () => {
    redis = await startRedis({ appendOnly: true });
    store = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await store.connect();
    for (const id of ["alpha", "beta", "reasons", "capped", "guessed", "survivor"]) t[id] = await declareTenant(stack, id);
    t.metered = await declareTenant(stack, "metered", { dailyRequestQuota: 2 });
    sups = [await startSupervisor({ stack, redisUrl: redis.url, extra: LIMITS })];
    sups.push(await startSupervisor({ stack, redisUrl: redis.url, sessionKey: sups[0].sessionKey, adminToken: sups[0].adminToken, extra: LIMITS }));
    for (const [id, tenant] of Object.entries(t)) cookies[id] = await login(sups[0].url, id, tenant.key);
  });

  after(async () => {
    for (const ws of sockets) ws.socket.destroy();
    for (const sup of sups ?? []) await sup?.stop().catch(() => undefined);
    store?.disconnect();
    await removeStack(stack);
    await redis?.stop();
  });

  it("a member's key wakes the sleeping tenant as the key's identity, is listed without its secret, and once revoked is refused on another supervisor at once", async () => {
    const created = await createKey("alpha", { name: "ci deploys", expiresInDays: 30 });
    const [, id, secret] = KEY_FORMAT.exec(created.key) ?? [];
    assert.ok(id, `unexpected key format: ${created.key}`);
    assert.equal(created.id, id);
    assert.equal(created.createdBy, "key:alpha");
    assert.ok(Date.parse(created.expiresAt!) - Date.now() > 29 * 86_400_000);

    assert.equal(await isRunning(t.alpha.container), false);
    const posted = await withKey(sups[1], "alpha", "/messages", created.key, { method: "POST", body: JSON.stringify({ text: "from a program" }) });
    assert.equal(posted.status, 201, await posted.clone().text());
    assert.equal(posted.headers.get("set-cookie"), null, "an API key request gets no session cookie");
    assert.equal(await isRunning(t.alpha.container), true);
    const read = await withKey(sups[0], "alpha", "/messages", created.key, { header: "x-api-key" });
    assert.equal(read.status, 200);
    assert.match(await read.text(), new RegExp(`"user":"api-key:${id}"`), "the tenant sees the key's identity");

    const listing = await waitFor("the key's last use to be recorded", async () => {
      const res = await keysApi(sups[1], "alpha", "GET");
      const text = await res.text();
      const keys = (JSON.parse(text) as { keys: KeyInfo[] }).keys;
      return keys[0]?.lastUsedAt ? { text, keys } : undefined;
    }, 5_000);
    assert.deepEqual(listing.keys.map((k) => [k.id, k.name, k.expired]), [[id, "ci deploys", false]]);
    const hash = crypto.createHash("sha256").update(created.key).digest("hex");
    assert.ok(!listing.text.includes(secret) && !listing.text.includes(hash), `the listing shows the secret or its hash: ${listing.text}`);

    const revoked = await keysApi(sups[0], "alpha", "DELETE", `/${id}`);
    assert.equal(revoked.status, 200);
    const revokedAt = Date.now();
    const refused = await waitFor("the second supervisor to refuse the revoked key", async () => {
      const res = await withKey(sups[1], "alpha", "/messages", created.key);
      return res.status === 401 ? refusal(res) : undefined;
    }, 5_000, 10);
    const took = Date.now() - revokedAt;
    assert.ok(took < 1_000, `refused ${took} ms after the revocation`);
    assert.deepEqual([refused.body.error, refused.body.reason], ["api_key_invalid", "revoked"]);
    assert.deepEqual(((await (await keysApi(sups[1], "alpha", "GET")).json()) as { keys: KeyInfo[] }).keys, []);
  });

  it("refuses malformed, unknown, wrong-secret and expired keys with 401 naming only why", async () => {
    const good = await createKey("reasons", { name: "expiring", expiresInDays: 1 });
    const id = good.id;
    // A day cannot pass in a test: the record's expiry is moved into the past, as time would move it.
    await store.hset(`dormer:${stack}:api-key:${id}`, "expiresAt", String(Date.now() - 1_000));
    const cases: Array<[string, string]> = [
      ["dormer_not-a-key", "malformed"],
      [`dormer_${crypto.randomBytes(6).toString("hex")}_${crypto.randomBytes(32).toString("hex")}`, "unknown"],
      [`dormer_${id}_${crypto.randomBytes(32).toString("hex")}`, "unknown"],
      [good.key, "expired"],
    ];
    for (const [key, reason] of cases) {
      const { status, body } = await refusal(await withKey(sups[0], "reasons", "/messages", key, { header: "x-api-key" }));
      assert.deepEqual([status, body.error, body.reason], [401, "api_key_invalid", reason], key);
    }
    const listed = ((await (await keysApi(sups[0], "reasons", "GET")).json()) as { keys: KeyInfo[] }).keys;
    assert.deepEqual(listed.map((k) => [k.id, k.expired]), [[id, true]]);
    assert.equal(await isRunning(t.reasons.container), false, "a refused key woke the tenant");
  });

  it("a key of tenant alpha never reaches tenant beta, by HTTP or WebSocket, and is refused as any unknown key is", async () => {
    const { key } = await createKey("alpha", { name: "alpha only" });
    const atBeta = await refusal(await withKey(sups[0], "beta", "/messages", key));
    assert.deepEqual([atBeta.status, atBeta.body.reason], [401, "unknown"]);
    await assert.rejects(RawWebSocket.connect(sups[1].port, { "x-api-key": key }, `beta.localhost:${sups[1].port}`), /^Error: HTTP\/1.1 401/);
    await assert.rejects(RawWebSocket.connect(sups[1].port, { authorization: `Bearer ${key}` }, `beta.localhost:${sups[1].port}`), /^Error: HTTP\/1.1 401/);
    assert.equal(await isRunning(t.beta.container), false, "beta was woken by alpha's key");

    const ws = await RawWebSocket.connect(sups[1].port, { authorization: `Bearer ${key}` }, `alpha.localhost:${sups[1].port}`);
    sockets.push(ws);
    ws.send(TEXT, "keyed socket");
    assert.equal((await ws.next()).payload.toString(), "keyed socket");
  });

  it("closes a WebSocket opened with a key about a second after the key's revocation on another supervisor; a member's socket stays", async () => {
    const { id, key } = await createKey("beta", { name: "socket" });
    const keyed = await RawWebSocket.connect(sups[1].port, { "x-api-key": key }, `beta.localhost:${sups[1].port}`);
    const member = await RawWebSocket.connect(sups[1].port, { cookie: cookies.beta }, `beta.localhost:${sups[1].port}`);
    sockets.push(keyed, member);
    keyed.send(TEXT, "open");
    assert.equal((await keyed.next()).payload.toString(), "open");
    assert.equal((await keysApi(sups[0], "beta", "DELETE", `/${id}`)).status, 200);
    const revokedAt = Date.now();
    const frame = await Promise.race([keyed.next(), sleep(5_000).then(() => assert.fail("the keyed WebSocket is still open 5 s after its key was revoked"))]);
    const took = Date.now() - revokedAt;
    assert.deepEqual([frame.opcode, frame.payload.readUInt16BE(0), frame.payload.subarray(2).toString()], [CLOSE, 1008, "api key revoked"]);
    await keyed.ended;
    // Checked every second: a pass, its Redis answer and the close, with room for a loaded machine.
    assert.ok(took < 3_000, `closed ${took} ms after the revocation`);
    member.send(TEXT, "still here");
    assert.equal((await member.next()).payload.toString(), "still here");
  });

  it("an API key manages no keys, and a tenant's own Authorization header still reaches its app", async () => {
    const { key } = await createKey("alpha", { name: "no minting" });
    const res = await fetch(site(sups[0], "alpha", "/_dormer/api/keys"), { method: "POST", headers: { authorization: `Bearer ${key}`, "content-type": "application/json" }, body: "{\"name\":\"x\"}" });
    assert.equal(res.status, 403);
    // Not the platform's prefix: the app's business, and the session cookie decides who is asking.
    const own = await fetch(site(sups[0], "alpha", "/messages"), { headers: { cookie: cookies.alpha, authorization: "Bearer app-token" } });
    assert.equal(own.status, 200);
    const bad = await keysApi(sups[0], "alpha", "POST", "", { name: "", expiresInDays: 0 });
    assert.equal(bad.status, 400);
    assert.match(((await bad.json()) as { message: string }).message, /name: must not be empty; expiresInDays: must be at least 1/);
  });

  it("caps a tenant's keys, and a revoked one frees its place", async () => {
    const keys = [await createKey("capped"), await createKey("capped"), await createKey("capped")];
    const over = await keysApi(sups[0], "capped", "POST", "", { name: "fourth" });
    assert.equal(over.status, 409);
    assert.equal(((await over.json()) as { error: string }).error, "api_key_limit");
    assert.equal((await keysApi(sups[1], "capped", "DELETE", `/${keys[0].id}`)).status, 200);
    await createKey("capped", { name: "fourth" });
  });

  it("counts key requests against the tenant's daily quota", async () => {
    const { key } = await createKey("metered");
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await withKey(sups[i % 2], "metered", "/messages", key)).status);
    assert.deepEqual(statuses, [200, 200, 429]);
  });

  it("slows a client that keeps presenting bad keys: refused unread, a good key included, with Retry-After", async () => {
    const { key } = await createKey("guessed");
    for (let i = 0; i < 4; i++) assert.equal((await withKey(sups[i % 2], "guessed", "/", `dormer_${"0".repeat(12)}_${crypto.randomBytes(32).toString("hex")}`)).status, 401);
    const throttled = await withKey(sups[0], "guessed", "/messages", key);
    assert.equal(throttled.status, 429);
    assert.ok(Number(throttled.headers.get("retry-after")) > 0);
    assert.equal(((await throttled.json()) as { error: string }).error, "too_many_api_key_failures");
  });

  it("the admin API lists and revokes any tenant's keys", async () => {
    const { id, key } = await createKey("beta", { name: "admin sees me" });
    const admin = (method: string, path: string) => fetch(`${sups[1].url}/admin/tenants/${path}`, { method, headers: { authorization: `Bearer ${sups[1].adminToken}` } });
    const listed = (await (await admin("GET", "beta/keys")).json()) as { keys: KeyInfo[] };
    assert.deepEqual(listed.keys.map((k) => k.name), ["admin sees me"]);
    assert.equal((await admin("DELETE", `alpha/keys/${id}`)).status, 404, "revoked beta's key through alpha");
    assert.equal((await admin("DELETE", `beta/keys/${id}`)).status, 200);
    assert.equal((await refusal(await withKey(sups[0], "beta", "/", key))).body.reason, "revoked");
  });

  it("keys survive a Redis restart (on its append-only file) and a supervisor restart", async () => {
    const { key } = await createKey("survivor");
    await redis.restart();
    await waitFor("the supervisor to reach Redis again", async () => (await withKey(sups[0], "survivor", "/messages", key)).status === 200, 20_000, 200);
    await sups[1].stop();
    sups[1] = await startSupervisor({ stack, redisUrl: redis.url, sessionKey: sups[0].sessionKey, adminToken: sups[0].adminToken, extra: LIMITS });
    assert.equal((await withKey(sups[1], "survivor", "/messages", key)).status, 200);
  });
});
