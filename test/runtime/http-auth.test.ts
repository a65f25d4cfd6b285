import { strict as assert } from "assert";
import * as crypto from "crypto";
import { decodeJwt, jwtVerify, SignJWT, UnsecuredJWT } from "jose";
import { inVolume } from "../support/docker";
import { isRunning, waitFor } from "../support/poll";
import { RedisServer, startRedis } from "../support/redis-server";
import { login, RunningSupervisor, startSupervisor } from "../support/supervisor";
import { declareTenant, removeStack, tenantAppImage, TestTenant } from "../support/tenants";

interface Claims {
  tenant: string;
  jti?: string;
  /** Seconds from now the token was issued (negative: in the past). */
  iatIn?: number;
  /** Seconds from now the token expires. */
  expIn?: number;
}

const cookieValue = (setCookie: string) => setCookie.split(";")[0];
const sessionCookies = (res: Response) => res.headers.getSetCookie().filter((c) => c.startsWith("dormer_session="));

describe("runtime: HTTP sessions and tenant isolation (real supervisor, Redis, Docker)", function () {
  this.timeout(180_000);
  const stack = `rt${crypto.randomBytes(3).toString("hex")}`;
  let redis: RedisServer;
  let sup: RunningSupervisor;
  let a: TestTenant;
  let b: TestTenant;
  let sleepy: TestTenant;
  let metered: TestTenant;

  /** A session token in exactly the format runtime/sessions.ts issues, signed with any key. */
  const craft = (claims: Claims, key: Uint8Array = Buffer.from(sup.sessionKey, "base64")): Promise<string> => {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ tid: claims.tenant })
      .setProtectedHeader({ alg: "HS256", typ: "JWT" })
      .setSubject(`key:${claims.tenant}`)
      .setJti(claims.jti ?? crypto.randomUUID())
      .setIssuer("dormer")
      .setAudience(`dormer:${stack}`)
      .setIssuedAt(now + (claims.iatIn ?? 0))
      .setExpirationTime(now + (claims.expIn ?? 1800))
      .sign(key);
  };
  const get = (path: string, cookie?: string, headers: Record<string, string> = {}) =>
    fetch(`${sup.url}${path}`, { headers: { ...headers, ...(cookie ? { cookie } : {}) }, redirect: "manual" });
  const post = (path: string, cookie: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${sup.url}${path}`, { method: "POST", headers: { ...headers, cookie, "content-type": "application/json" }, body: JSON.stringify(body) });

  before(async () => {
    redis = await startRedis();
    a = await declareTenant(stack, "alpha");
    b = await declareTenant(stack, "bravo");
    sleepy = await declareTenant(stack, "sleepy");
    metered = await declareTenant(stack, "metered", { dailyRequestQuota: 3 });
    sup = await startSupervisor({ stack, redisUrl: redis.url });
  });

  after(async () => {
    await sup?.stop();
    await removeStack(stack);
    await redis?.stop();
  });

  describe("login", () => {
    it("a JSON login answers 200 with an HttpOnly, SameSite=Strict session cookie, not Secure on http", async () => {
      const res = await fetch(`${sup.url}/auth/login`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ tenant: a.id, key: a.key }),
      });
      assert.equal(res.status, 200);
      const body = (await res.json()) as { tenant: string; user: string; expiresAt: string };
      assert.equal(body.tenant, a.id);
      assert.equal(body.user, `key:${a.id}`);
      const [cookie] = sessionCookies(res);
      const attrs = cookie.split(";").map((s) => s.trim());
      assert.ok(attrs.includes("HttpOnly"), cookie);
      assert.ok(attrs.includes("SameSite=Strict"), cookie);
      assert.ok(!attrs.some((x) => x.toLowerCase() === "secure"), cookie);
    });

    it("a form login answers 303 to / with the session cookie", async () => {
      const res = await fetch(`${sup.url}/auth/login`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ tenant: a.id, key: a.key }).toString(),
        redirect: "manual",
      });
      assert.equal(res.status, 303);
      assert.equal(res.headers.get("location"), "/");
      assert.equal(sessionCookies(res).length, 1);
    });

    it("a wrong key and an unknown tenant get the same 401 body, and no cookie", async () => {
      const attempt = async (tenant: string, key: string) => {
        const res = await fetch(`${sup.url}/auth/login`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ tenant, key }),
        });
        return { status: res.status, body: await res.text(), cookies: sessionCookies(res) };
      };
      const wrongKey = await attempt(a.id, b.key);
      const unknown = await attempt("nosuchtenant", a.key);
      assert.equal(wrongKey.status, 401);
      assert.deepEqual(unknown, wrongKey);
      assert.deepEqual(wrongKey.cookies, []);
    });
  });

  describe("session", () => {
    it("GET /session/status tells who the session is", async () => {
      const cookie = await login(sup.url, a.id, a.key);
      const res = await get("/session/status", cookie);
      assert.equal(res.status, 200);
      const body = (await res.json()) as Record<string, unknown>;
      assert.equal(body.authenticated, true);
      assert.equal(body.tenant, a.id);
      assert.equal(body.user, `key:${a.id}`);
      assert.equal((await get("/session/status")).status, 401);
    });

    it("a token with 10 minutes or less left gets a new cookie: same session id, a full lifetime", async () => {
      const jti = crypto.randomUUID();
      const old = await craft({ tenant: a.id, jti, iatIn: -1500, expIn: 300 });
      const res = await get("/session/status", `dormer_session=${old}`);
      assert.equal(res.status, 200);
      const [fresh] = sessionCookies(res);
      assert.ok(fresh, "expected a Set-Cookie with a re-issued session");
      const token = cookieValue(fresh).slice("dormer_session=".length);
      const claims = decodeJwt(token);
      assert.equal(claims.jti, jti);
      assert.equal(claims.tid, a.id);
      assert.ok(claims.exp! - Date.now() / 1000 > 1700, `new token expires in ${claims.exp! - Date.now() / 1000} s`);
    });

    it("a token with more than 10 minutes left is not re-issued", async () => {
      const res = await get("/session/status", `dormer_session=${await craft({ tenant: a.id, expIn: 900 })}`);
      assert.equal(res.status, 200);
      assert.deepEqual(sessionCookies(res), []);
    });

    it("the sliding refresh also reaches a client through a proxied request", async () => {
      const old = await craft({ tenant: a.id, iatIn: -1500, expIn: 300 });
      const res = await get("/messages", `dormer_session=${old}`);
      assert.equal(res.status, 200);
      assert.equal(sessionCookies(res).length, 1);
    });

    it("logout revokes the session: its still validly signed cookie then gets 401", async () => {
      const cookie = await login(sup.url, a.id, a.key);
      const res = await fetch(`${sup.url}/auth/logout`, { method: "POST", headers: { cookie } });
      assert.equal(res.status, 200);
      assert.match(sessionCookies(res)[0], /^dormer_session=;.*Max-Age=0/);
      // The signature is still good: only the server-side revocation refuses it.
      await jwtVerify(cookie.slice("dormer_session=".length), Buffer.from(sup.sessionKey, "base64"));
      assert.equal((await get("/session/status", cookie)).status, 401);
      assert.equal((await get("/messages", cookie)).status, 401);
    });
  });

  describe("forged tokens all get 401", () => {
    const forgeries: Record<string, () => Promise<string>> = {
      "signed with a wrong key": () => craft({ tenant: a.id }, crypto.randomBytes(32)),
      "alg none": async () => new UnsecuredJWT({ tid: a.id }).setSubject(`key:${a.id}`).setJti(crypto.randomUUID()).setIssuer("dormer").setAudience(`dormer:${stack}`).setIssuedAt().setExpirationTime("30m").encode(),
      expired: () => craft({ tenant: a.id, iatIn: -3600, expIn: -60 }),
      "a revoked session id, re-signed with the right key": async () => {
        const cookie = await login(sup.url, a.id, a.key);
        await fetch(`${sup.url}/auth/logout`, { method: "POST", headers: { cookie } });
        const { jti } = decodeJwt(cookie.slice("dormer_session=".length));
        return craft({ tenant: a.id, jti });
      },
      "another tenant's id in a session of ours, re-signed with a wrong key": async () => {
        const cookie = await login(sup.url, a.id, a.key);
        const { jti } = decodeJwt(cookie.slice("dormer_session=".length));
        return craft({ tenant: b.id, jti }, crypto.randomBytes(32));
      },
    };
    for (const [name, forge] of Object.entries(forgeries)) {
      it(name, async () => {
        const token = await forge();
        const res = await get("/messages", `dormer_session=${token}`);
        assert.equal(res.status, 401);
        assert.equal(((await res.json()) as { error: string }).error, "unauthenticated");
        // The forged cookie is cleared.
        assert.match(sessionCookies(res)[0] ?? "", /^dormer_session=;/);
        assert.equal((await get("/session/status", `dormer_session=${token}`)).status, 401);
      });
    }
  });

  describe("isolation", () => {
    it("with tenant A's session, tenant B's messages are not reachable", async () => {
      const secret = `b-only-${crypto.randomBytes(4).toString("hex")}`;
      const asB = await login(sup.url, b.id, b.key);
      assert.equal((await post("/messages", asB, { text: secret })).status, 201);
      const asA = await login(sup.url, a.id, a.key);
      // Whatever the client names, A's session routes to A.
      const res = await get("/messages?limit=200", asA, { "x-tenant-id": b.id, host: `${b.id}.example.test` });
      assert.equal(res.status, 200);
      const body = (await res.json()) as { messages: { text: string }[] };
      assert.ok(!JSON.stringify(body).includes(secret), "tenant B's message leaked to tenant A");
    });

    it("data written through tenant A's session lands only in A's volume", async () => {
      const text = `a-only-${crypto.randomBytes(4).toString("hex")}`;
      const asA = await login(sup.url, a.id, a.key);
      assert.equal((await post("/messages", asA, { text })).status, 201);
      const read = (t: TestTenant) => inVolume(tenantAppImage(), `${t.container}-data`, "cat /v/*.jsonl 2>/dev/null; true");
      assert.ok((await read(a)).includes(text), "the message is not in A's volume");
      assert.ok(!(await read(b)).includes(text), "the message is in B's volume");
    });

    it("identity headers a client sends are replaced by the verified ones", async () => {
      const asA = await login(sup.url, a.id, a.key);
      const res = await post("/messages", asA, { text: "who am i" }, { "x-user-id": "mallory", "x-tenant-id": b.id, "x-forwarded-user": "mallory" });
      assert.equal(res.status, 201);
      const body = (await res.json()) as { message: { user: string } };
      assert.equal(body.message.user, `key:${a.id}`);
    });
  });

  describe("without a session", () => {
    it("an API client gets 401 JSON pointing at the login", async () => {
      const res = await get("/messages", undefined, { accept: "application/json" });
      assert.equal(res.status, 401);
      assert.deepEqual(await res.json(), { error: "unauthenticated", message: "sign in first", login: "/auth/login" });
    });

    it("a browser is redirected (302) to /auth/login", async () => {
      const res = await get("/", undefined, { accept: "text/html,application/xhtml+xml" });
      assert.equal(res.status, 302);
      assert.equal(res.headers.get("location"), "/auth/login");
    });
  });

  describe("waking and limits", () => {
    it("X-Dormer-Wake: manual on an asleep tenant gets 401 + X-Wake-Required; POST /warmup wakes it", async () => {
      const cookie = await login(sup.url, sleepy.id, sleepy.key);
      const manual = { "x-dormer-wake": "manual" };
      const asleep = await get("/messages", cookie, manual);
      assert.equal(asleep.status, 401);
      assert.equal(asleep.headers.get("x-wake-required"), "1");
      assert.equal(((await asleep.json()) as { error: string }).error, "wake_required");
      assert.equal(await isRunning(sleepy.container), false);

      const warmup = await fetch(`${sup.url}/warmup`, { method: "POST", headers: { cookie } });
      assert.equal(warmup.status, 202);
      await waitFor("the tenant to answer after /warmup", async () => (await get("/messages", cookie, manual)).status === 200, 30_000);
    });

    it("the daily quota: the 4th request of a tenant with 3 a day gets 429 with a clear JSON body", async () => {
      const cookie = await login(sup.url, metered.id, metered.key);
      for (let i = 1; i <= 3; i++) assert.equal((await get("/messages", cookie)).status, 200, `request ${i}`);
      const res = await get("/messages", cookie);
      assert.equal(res.status, 429);
      assert.deepEqual(await res.json(), {
        error: "quota_exceeded",
        message: `tenant ${metered.id} used its 3 requests for today (UTC)`,
        tenant: metered.id,
        quota: 3,
      });
    });
  });
});
