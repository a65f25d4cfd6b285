import { strict as assert } from "assert";
import * as crypto from "crypto";
import * as http from "http";
import { decodeJwt, jwtVerify, SignJWT, UnsecuredJWT } from "jose";
import { keyGeneration } from "../../runtime/identity/tenant-keys";
import { inVolume } from "../support/docker";
import { isRunning, waitFor } from "../support/poll";
import { RedisServer, startRedis } from "../support/redis-server";
import { login, RunningSupervisor, siteOf, startSupervisor } from "../support/supervisor";
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

  /** A session token in exactly the format runtime/sessions/sessions.ts issues, signed with any key. */
  const craft = (claims: Claims, key: Uint8Array = Buffer.from(sup.sessionKey, "base64")): Promise<string> => {
    const now = Math.floor(Date.now() / 1000);
    // The generation of the tenant's current key, as a sign-in with that key records it.
    const tenantKey = [a, b, sleepy, metered].find((t) => t.id === claims.tenant)?.key ?? "";
    return new SignJWT({ tid: claims.tenant, gen: keyGeneration(crypto.createHash("sha256").update(tenantKey).digest("hex")) })
      .setProtectedHeader({ alg: "HS256", typ: "JWT" })
      .setSubject(`key:${claims.tenant}`)
      .setJti(claims.jti ?? crypto.randomUUID())
      .setIssuer("dormer")
      .setAudience(`dormer:${stack}`)
      .setIssuedAt(now + (claims.iatIn ?? 0))
      .setExpirationTime(now + (claims.expIn ?? 1800))
      .sign(key);
  };
  /** A request to tenant `t`'s own origin. */
  const get = (t: TestTenant, path: string, cookie?: string, headers: Record<string, string> = {}) =>
    fetch(`${siteOf(sup.url, t.id)}${path}`, { headers: { ...headers, ...(cookie ? { cookie } : {}) }, redirect: "manual" });
  const post = (t: TestTenant, path: string, cookie: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${siteOf(sup.url, t.id)}${path}`, { method: "POST", headers: { ...headers, cookie, "content-type": "application/json" }, body: JSON.stringify(body) });
  /** Signs in on the platform's origin and returns the single-use code's URL on the tenant's origin. */
  const callbackFor = async (t: TestTenant): Promise<string> => {
    const res = await fetch(`${sup.url}/auth/login`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ tenant: t.id, key: t.key }) });
    assert.equal(res.status, 200);
    return ((await res.json()) as { callback: string }).callback;
  };

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
    it("a JSON login on the platform's origin sets no cookie there and hands over a code for the tenant's origin", async () => {
      const res = await fetch(`${sup.url}/auth/login`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ tenant: a.id, key: a.key }),
      });
      assert.equal(res.status, 200);
      assert.deepEqual(res.headers.getSetCookie(), []);
      const body = (await res.json()) as { tenant: string; user: string; callback: string };
      assert.equal(body.tenant, a.id);
      assert.equal(body.user, `key:${a.id}`);
      assert.match(body.callback, new RegExp(`^http://${a.id}\\.localhost:${sup.port}/_dormer/auth/callback\\?code=[A-Za-z0-9_-]{43}$`));
      assert.ok(!body.callback.includes(a.key), "the key never leaves the platform's origin");
    });

    it("the code becomes a host-only, HttpOnly, SameSite=Strict session cookie on the tenant's origin, not Secure on http", async () => {
      const res = await fetch(await callbackFor(a), { headers: { accept: "application/json" } });
      assert.equal(res.status, 200);
      const body = (await res.json()) as { tenant: string; user: string; expiresAt: string };
      assert.equal(body.tenant, a.id);
      assert.equal(body.user, `key:${a.id}`);
      const [cookie] = sessionCookies(res);
      const attrs = cookie.split(";").map((s) => s.trim());
      assert.ok(attrs.includes("HttpOnly"), cookie);
      assert.ok(attrs.includes("SameSite=Strict"), cookie);
      assert.ok(!attrs.some((x) => x.toLowerCase() === "secure"), cookie);
      assert.ok(!attrs.some((x) => x.toLowerCase().startsWith("domain=")), cookie);
      assert.equal((await get(a, "/_dormer/status", cookieValue(cookie))).status, 200);
    });

    it("a code works once", async () => {
      const callback = await callbackFor(a);
      assert.equal((await fetch(callback, { headers: { accept: "application/json" } })).status, 200);
      const again = await fetch(callback, { headers: { accept: "application/json" } });
      assert.equal(again.status, 400);
      assert.equal(((await again.json()) as { error: string }).error, "sign_in_code_invalid");
      assert.deepEqual(sessionCookies(again), []);
    });

    it("a code shown to another tenant's origin gets no session there, and is burnt", async () => {
      const callback = new URL(await callbackFor(a));
      const onB = new URL(callback.pathname + callback.search, siteOf(sup.url, b.id));
      const res = await fetch(onB, { headers: { accept: "application/json" } });
      assert.equal(res.status, 400);
      assert.deepEqual(sessionCookies(res), []);
      assert.equal((await fetch(callback, { headers: { accept: "application/json" } })).status, 400);
    });

    it("a browser's code exchange answers a page that moves on by itself from the tenant's origin", async () => {
      const res = await fetch(await callbackFor(a), { headers: { accept: "text/html" } });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get("cache-control"), "no-store");
      assert.equal(res.headers.get("referrer-policy"), "no-referrer");
      assert.match(await res.text(), /<meta http-equiv="refresh" content="0;url=\/">/);
      assert.equal(sessionCookies(res).length, 1);
    });

    it("a form login answers 303 to the code's URL on the tenant's origin, keeping a safe next path only", async () => {
      const form = async (next: string) => {
        const res = await fetch(`${sup.url}/auth/login`, {
          method: "POST",
          headers: { "content-type": "application/x-www-form-urlencoded" },
          body: new URLSearchParams({ tenant: a.id, key: a.key, next }).toString(),
          redirect: "manual",
        });
        assert.equal(res.status, 303);
        assert.deepEqual(sessionCookies(res), []);
        const location = res.headers.get("location")!;
        assert.ok(location.startsWith(`${siteOf(sup.url, a.id)}/_dormer/auth/callback?code=`), location);
        return (await (await fetch(location, { headers: { accept: "text/html" } })).text()).match(/url=([^"]*)"/)![1];
      };
      assert.equal(await form("/files?x=1"), "/files?x=1");
      for (const unsafe of ["//evil.example", "https://evil.example/", "/\\evil.example", "/_dormer/auth/logout"]) {
        assert.equal(await form(unsafe), "/", unsafe);
      }
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
    it("GET /_dormer/status on the tenant's origin tells who the session is", async () => {
      const cookie = await login(sup.url, a.id, a.key);
      const res = await get(a, "/_dormer/status", cookie);
      assert.equal(res.status, 200);
      const body = (await res.json()) as Record<string, unknown>;
      assert.equal(body.authenticated, true);
      assert.equal(body.tenant, a.id);
      assert.equal(body.user, `key:${a.id}`);
      assert.equal((await get(a, "/_dormer/status")).status, 401);
    });

    it("a token with 10 minutes or less left gets a new cookie: same session id, a full lifetime", async () => {
      const jti = crypto.randomUUID();
      const old = await craft({ tenant: a.id, jti, iatIn: -1500, expIn: 300 });
      const res = await get(a, "/_dormer/status", `dormer_session=${old}`);
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
      const res = await get(a, "/_dormer/status", `dormer_session=${await craft({ tenant: a.id, expIn: 900 })}`);
      assert.equal(res.status, 200);
      assert.deepEqual(sessionCookies(res), []);
    });

    it("the sliding refresh also reaches a client through a proxied request", async () => {
      const old = await craft({ tenant: a.id, iatIn: -1500, expIn: 300 });
      const res = await get(a, "/messages", `dormer_session=${old}`);
      assert.equal(res.status, 200);
      assert.equal(sessionCookies(res).length, 1);
    });

    it("logout revokes the session: its still validly signed cookie then gets 401", async () => {
      const cookie = await login(sup.url, a.id, a.key);
      const res = await fetch(`${siteOf(sup.url, a.id)}/_dormer/auth/logout`, { method: "POST", headers: { cookie } });
      assert.equal(res.status, 200);
      assert.match(sessionCookies(res)[0], /^dormer_session=;.*Max-Age=0/);
      // What the tenant left in the origin (storage, caches, service workers) goes too; other tenants' cookies stay.
      assert.equal(res.headers.get("clear-site-data"), '"cache", "storage"');
      // The signature is still good: only the server-side revocation refuses it.
      await jwtVerify(cookie.slice("dormer_session=".length), Buffer.from(sup.sessionKey, "base64"));
      assert.equal((await get(a, "/_dormer/status", cookie)).status, 401);
      assert.equal((await get(a, "/messages", cookie)).status, 401);
    });
  });

  describe("forged tokens all get 401", () => {
    const forgeries: Record<string, () => Promise<string>> = {
      "signed with a wrong key": () => craft({ tenant: a.id }, crypto.randomBytes(32)),
      "alg none": async () => new UnsecuredJWT({ tid: a.id }).setSubject(`key:${a.id}`).setJti(crypto.randomUUID()).setIssuer("dormer").setAudience(`dormer:${stack}`).setIssuedAt().setExpirationTime("30m").encode(),
      expired: () => craft({ tenant: a.id, iatIn: -3600, expIn: -60 }),
      "a revoked session id, re-signed with the right key": async () => {
        const cookie = await login(sup.url, a.id, a.key);
        await fetch(`${siteOf(sup.url, a.id)}/_dormer/auth/logout`, { method: "POST", headers: { cookie } });
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
        const res = await get(a, "/messages", `dormer_session=${token}`);
        assert.equal(res.status, 401);
        assert.equal(((await res.json()) as { error: string }).error, "unauthenticated");
        // The forged cookie is cleared.
        assert.match(sessionCookies(res)[0] ?? "", /^dormer_session=;/);
        assert.equal((await get(a, "/_dormer/status", `dormer_session=${token}`)).status, 401);
      });
    }
  });

  describe("isolation", () => {
    it("with tenant A's session, tenant B's messages are not reachable", async () => {
      const secret = `b-only-${crypto.randomBytes(4).toString("hex")}`;
      const asB = await login(sup.url, b.id, b.key);
      assert.equal((await post(b, "/messages", asB, { text: secret })).status, 201);
      const asA = await login(sup.url, a.id, a.key);
      // Whatever the client names, A's session routes to A.
      const res = await get(a, "/messages?limit=200", asA, { "x-tenant-id": b.id });
      assert.equal(res.status, 200);
      const body = (await res.json()) as { messages: { text: string }[] };
      assert.ok(!JSON.stringify(body).includes(secret), "tenant B's message leaked to tenant A");
    });

    it("data written through tenant A's session lands only in A's volume", async () => {
      const text = `a-only-${crypto.randomBytes(4).toString("hex")}`;
      const asA = await login(sup.url, a.id, a.key);
      assert.equal((await post(a, "/messages", asA, { text })).status, 201);
      const read = (t: TestTenant) => inVolume(tenantAppImage(), `${t.container}-data`, "cat /v/*.jsonl 2>/dev/null; true");
      assert.ok((await read(a)).includes(text), "the message is not in A's volume");
      assert.ok(!(await read(b)).includes(text), "the message is in B's volume");
    });

    it("identity headers a client sends are replaced by the verified ones", async () => {
      const asA = await login(sup.url, a.id, a.key);
      const res = await post(a, "/messages", asA, { text: "who am i" }, { "x-user-id": "mallory", "x-tenant-id": b.id, "x-forwarded-user": "mallory" });
      assert.equal(res.status, 201);
      const body = (await res.json()) as { message: { user: string } };
      assert.equal(body.message.user, `key:${a.id}`);
    });
  });

  describe("origins", () => {
    it("a session for one tenant's origin is refused on another's, even with the right tenant's id in headers", async () => {
      const asA = await login(sup.url, a.id, a.key);
      for (const path of ["/messages", "/_dormer/status"]) {
        const res = await get(b, path, asA, { "x-tenant-id": a.id, accept: "application/json" });
        assert.equal(res.status, 401, path);
        // Not cleared: the cookie is good, just not here (and clearing on B's origin could not reach A's).
        assert.deepEqual(sessionCookies(res), [], path);
      }
    });

    it("a session planted beside the real one (a sibling origin's Domain cookie) neither wins nor locks the user out", async () => {
      const asA = await login(sup.url, a.id, a.key);
      const asB = await login(sup.url, b.id, b.key);
      const res = await get(a, "/_dormer/status", `${asB}; ${asA}`);
      assert.equal(res.status, 200);
      assert.equal(((await res.json()) as { tenant: string }).tenant, a.id);
    });

    it("another site's page cannot use the session, except to navigate to the tenant", async () => {
      const asA = await login(sup.url, a.id, a.key);
      // Node's fetch sets Sec-Fetch-Mode itself; a browser's headers are sent as they are here.
      const send = (method: string, path: string, fetchMetadata: Record<string, string>) =>
        new Promise<number>((resolve, reject) => {
          const req = http.request({ host: "127.0.0.1", port: sup.port, method, path, headers: { host: `${a.id}.localhost:${sup.port}`, cookie: asA, ...fetchMetadata } });
          req.on("response", (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          });
          req.on("error", reject);
          req.end(method === "POST" ? JSON.stringify({ text: "csrf" }) : undefined);
        });
      for (const site of ["same-site", "cross-site"]) {
        assert.equal(await send("GET", "/messages", { "sec-fetch-site": site, "sec-fetch-mode": "cors" }), 401, site);
        assert.equal(await send("GET", "/_dormer/status", { "sec-fetch-site": site, "sec-fetch-mode": "no-cors" }), 401, site);
        assert.equal(await send("POST", "/messages", { "sec-fetch-site": site, "sec-fetch-mode": "navigate", "content-type": "application/json" }), 401, site);
        assert.equal(await send("POST", "/_dormer/auth/logout", { "sec-fetch-site": site, "sec-fetch-mode": "navigate" }), 403, site);
        assert.equal(await send("GET", "/messages", { "sec-fetch-site": site, "sec-fetch-mode": "navigate" }), 200, site);
      }
      assert.equal(await send("GET", "/messages", { "sec-fetch-site": "same-origin", "sec-fetch-mode": "cors" }), 200);
    });

    it("the platform's origin serves no tenant, and /_dormer/ on a tenant's origin never reaches the tenant", async () => {
      const asA = await login(sup.url, a.id, a.key);
      const onPlatform = await fetch(`${sup.url}/messages`, { headers: { cookie: asA } });
      assert.equal(onPlatform.status, 404);
      assert.match(((await onPlatform.json()) as { message: string }).message, /own origins/);
      const reserved = await get(a, "/_dormer/anything", asA);
      assert.equal(reserved.status, 404);
      assert.match(((await reserved.json()) as { message: string }).message, /reserved for the platform/);
    });

    it("a host name that is neither the platform's nor a tenant's gets 421", async () => {
      const res = await fetch(`http://not.a-tenant.localhost:${sup.port}/live`);
      assert.equal(res.status, 421);
      assert.equal(((await res.json()) as { error: string }).error, "unknown_host");
    });
  });

  describe("without a session", () => {
    it("an API client gets 401 JSON pointing at the platform's sign-in", async () => {
      const res = await get(a, "/messages", undefined, { accept: "application/json" });
      assert.equal(res.status, 401);
      assert.deepEqual(await res.json(), { error: "unauthenticated", message: "sign in first", login: `${sup.url}/auth/login` });
    });

    it("a browser is redirected (302) to the sign-in form on the platform's origin, naming tenant and path", async () => {
      const res = await get(a, "/files?x=1", undefined, { accept: "text/html,application/xhtml+xml" });
      assert.equal(res.status, 302);
      assert.equal(res.headers.get("location"), `${sup.url}/auth/login?tenant=${a.id}&next=%2Ffiles%3Fx%3D1`);
    });
  });

  describe("waking and limits", () => {
    it("X-Dormer-Wake: manual on an asleep tenant gets 401 + X-Wake-Required; POST /_dormer/warmup wakes it", async () => {
      const cookie = await login(sup.url, sleepy.id, sleepy.key);
      const manual = { "x-dormer-wake": "manual" };
      const asleep = await get(sleepy, "/messages", cookie, manual);
      assert.equal(asleep.status, 401);
      assert.equal(asleep.headers.get("x-wake-required"), "1");
      assert.equal(((await asleep.json()) as { error: string }).error, "wake_required");
      assert.equal(await isRunning(sleepy.container), false);

      const warmup = await fetch(`${siteOf(sup.url, sleepy.id)}/_dormer/warmup`, { method: "POST", headers: { cookie } });
      assert.equal(warmup.status, 202);
      await waitFor("the tenant to answer after /_dormer/warmup", async () => (await get(sleepy, "/messages", cookie, manual)).status === 200, 30_000);
    });

    it("the daily quota: the 4th request of a tenant with 3 a day gets 429 with a clear JSON body", async () => {
      const cookie = await login(sup.url, metered.id, metered.key);
      for (let i = 1; i <= 3; i++) assert.equal((await get(metered, "/messages", cookie)).status, 200, `request ${i}`);
      const res = await get(metered, "/messages", cookie);
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
