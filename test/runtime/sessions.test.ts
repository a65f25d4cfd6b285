import assert from "node:assert/strict";
import { once } from "node:events";
import { Redis } from "ioredis";
import { SignJWT } from "jose";
import { StoreUnavailableError, toHttp } from "../../runtime/errors";
import { RedisRevocationStore } from "../../runtime/sessions/revocations";
import { SESSION_COOKIE } from "../../runtime/sessions/session-cookie";
import {
  ExpiredSessionError,
  InvalidSessionError,
  RevokedSessionError,
  SessionRejectedError,
  Sessions,
} from "../../runtime/sessions/sessions";
import { RedisServer, startRedis } from "../support/redis-server";

const KEY = new Uint8Array(32).fill(7);
const OTHER_KEY = new Uint8Array(32).fill(9);
const ALICE = { tenant: "acme", user: "alice@acme.com" };
const T0 = Date.UTC(2030, 0, 1);
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
const claimsOf = (token: string) => JSON.parse(Buffer.from(token.split(".")[1], "base64url").toString());

describe("sessions", function () {
  let server: RedisServer;
  let redis: Redis;
  let clock: number;
  let sessions: Sessions;

  before(async () => {
    server = await startRedis();
    // Exactly as main.ts builds it: commands fail at once while Redis is down.
    redis = new Redis(server.url, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
    redis.on("error", () => {});
    await once(redis, "ready");
  });
  after(async () => {
    redis.disconnect();
    await server.stop();
  });
  beforeEach(() => {
    clock = T0;
    sessions = new Sessions({
      key: KEY,
      stack: "test",
      secureCookie: true,
      store: new RedisRevocationStore(redis, "test"),
      now: () => clock,
    });
  });

  const rejects = (token: string, type: abstract new (...args: never[]) => SessionRejectedError) =>
    assert.rejects(sessions.verify(token), (err) => err instanceof type);

  describe("issue and verify", () => {
    it("round-trips the identity and session id", async () => {
      const issued = await sessions.issue(ALICE);
      const session = await sessions.verify(issued.token);
      assert.deepEqual(session.identity, ALICE);
      assert.match(session.jti, /^[0-9a-f-]{36}$/);
      assert.equal(session.expiresAt.getTime(), T0 + 1800_000);
      assert.equal(issued.expiresAt.getTime(), T0 + 1800_000);
    });

    it("gives every login its own session id", async () => {
      const a = await sessions.verify((await sessions.issue(ALICE)).token);
      const b = await sessions.verify((await sessions.issue(ALICE)).token);
      assert.notEqual(a.jti, b.jti);
    });

    it("sets an HttpOnly, SameSite=Strict, Secure cookie on path / for the token's lifetime", async () => {
      const { token, cookie } = await sessions.issue(ALICE);
      assert.equal(cookie, `${SESSION_COOKIE}=${token}; Path=/; HttpOnly; SameSite=Strict; Max-Age=1800; Secure`);
    });

    it("leaves Secure off for plain-http stacks", async () => {
      const local = new Sessions({ key: KEY, stack: "test", secureCookie: false, store: new RedisRevocationStore(redis, "test") });
      assert.doesNotMatch((await local.issue(ALICE)).cookie, /Secure/);
    });

    it("clears the cookie with the same attributes", () => {
      assert.equal(sessions.clearCookie(), `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0; Secure`);
    });

    it("reads every session token from the request's cookies, at most four", () => {
      const req = { headers: { cookie: `theme=dark; ${SESSION_COOKIE}=abc.def.ghi; other=1; ${SESSION_COOKIE} = planted` } };
      assert.deepEqual(sessions.allFromRequest(req), ["abc.def.ghi", "planted"]);
      assert.deepEqual(sessions.allFromRequest({ headers: { cookie: "theme=dark" } }), []);
      assert.deepEqual(sessions.allFromRequest({ headers: {} }), []);
      const many = Array.from({ length: 9 }, (_, i) => `${SESSION_COOKIE}=t${i}`).join("; ");
      assert.deepEqual(sessions.allFromRequest({ headers: { cookie: many } }), ["t0", "t1", "t2", "t3"]);
    });

    it("issues a host-only cookie: no Domain attribute", async () => {
      assert.doesNotMatch((await sessions.issue(ALICE)).cookie, /domain=/i);
    });

    it("refuses a key shorter than 32 bytes", () => {
      const store = new RedisRevocationStore(redis, "test");
      assert.throws(() => new Sessions({ key: new Uint8Array(16), stack: "test", secureCookie: true, store }), /32 bytes/);
    });
  });

  describe("sliding refresh", () => {
    it("does not refresh while more than 10 minutes remain", async () => {
      const { token } = await sessions.issue(ALICE);
      clock = T0 + (1800 - 601) * 1000;
      assert.equal((await sessions.verify(token)).refreshed, undefined);
    });

    it("re-issues the same session for 30 more minutes once 10 minutes or fewer remain", async () => {
      const { token } = await sessions.issue(ALICE);
      const original = await sessions.verify(token);
      clock = T0 + (1800 - 600) * 1000;
      const { refreshed, jti } = await sessions.verify(token);
      assert.ok(refreshed);
      assert.equal(jti, original.jti);
      assert.equal(refreshed.expiresAt.getTime(), clock + 1800_000);
      assert.match(refreshed.cookie, /Max-Age=1800/);
      const next = await sessions.verify(refreshed.token);
      assert.equal(next.jti, original.jti);
      assert.deepEqual(next.identity, ALICE);
    });

    it("keeps an active session alive past its first 30 minutes", async () => {
      let { token } = await sessions.issue(ALICE);
      for (let minute = 25; minute <= 125; minute += 25) {
        clock = T0 + minute * 60_000;
        const { refreshed } = await sessions.verify(token);
        if (refreshed) token = refreshed.token;
      }
      assert.deepEqual((await sessions.verify(token)).identity, ALICE);
    });
  });

  describe("logout", () => {
    it("revokes the session: verify rejects it afterwards", async () => {
      const { token } = await sessions.issue(ALICE);
      await sessions.revoke((await sessions.verify(token)).jti);
      await rejects(token, RevokedSessionError);
    });

    it("revokes every token of the session, refreshed ones included", async () => {
      const { token } = await sessions.issue(ALICE);
      clock = T0 + 25 * 60_000;
      const { refreshed, jti } = await sessions.verify(token);
      assert.ok(refreshed);
      await sessions.revoke(jti);
      await rejects(token, RevokedSessionError);
      await rejects(refreshed.token, RevokedSessionError);
    });

    it("keeps the revocation for one full session lifetime, under the stack's prefix", async () => {
      const { token } = await sessions.issue(ALICE);
      const { jti } = await sessions.verify(token);
      await sessions.revoke(jti);
      const ttl = await redis.ttl(`dormer:test:revoked:${jti}`);
      assert.ok(ttl > 1790 && ttl <= 1800, `ttl ${ttl}`);
    });

    it("leaves other sessions alone", async () => {
      const a = await sessions.issue(ALICE);
      const b = await sessions.issue(ALICE);
      await sessions.revoke((await sessions.verify(a.token)).jti);
      assert.deepEqual((await sessions.verify(b.token)).identity, ALICE);
    });
  });

  describe("forged and stale tokens", () => {
    it("rejects a token signed with another key", async () => {
      const { token } = await sessions.issue(ALICE);
      const forged = await new SignJWT(claimsOf(token)).setProtectedHeader({ alg: "HS256" }).sign(OTHER_KEY);
      await rejects(forged, InvalidSessionError);
    });

    it("rejects another tenant swapped in and re-signed with another key", async () => {
      const { token } = await sessions.issue(ALICE);
      const forged = await new SignJWT({ ...claimsOf(token), tid: "globex" }).setProtectedHeader({ alg: "HS256" }).sign(OTHER_KEY);
      await rejects(forged, InvalidSessionError);
    });

    it("rejects another tenant swapped in without re-signing", async () => {
      const { token } = await sessions.issue(ALICE);
      const [header, , signature] = token.split(".");
      await rejects(`${header}.${b64({ ...claimsOf(token), tid: "globex" })}.${signature}`, InvalidSessionError);
    });

    it("rejects alg none", async () => {
      const { token } = await sessions.issue(ALICE);
      await rejects(`${b64({ alg: "none", typ: "JWT" })}.${b64(claimsOf(token))}.`, InvalidSessionError);
    });

    it("rejects another HMAC algorithm even with the right key", async () => {
      const { token } = await sessions.issue(ALICE);
      const forged = await new SignJWT(claimsOf(token)).setProtectedHeader({ alg: "HS512" }).sign(new Uint8Array(64).fill(7));
      await rejects(forged, InvalidSessionError);
    });

    it("rejects an expired token", async () => {
      const { token } = await sessions.issue(ALICE);
      clock = T0 + 1801 * 1000;
      await rejects(token, ExpiredSessionError);
    });

    it("rejects a token of another stack that shares the key", async () => {
      const store = new RedisRevocationStore(redis, "prod");
      const prod = new Sessions({ key: KEY, stack: "prod", secureCookie: true, store, now: () => clock });
      await rejects((await prod.issue(ALICE)).token, InvalidSessionError);
    });

    it("rejects a correctly signed token without a string tenant", async () => {
      const { token } = await sessions.issue(ALICE);
      for (const tid of [undefined, 42]) {
        const odd = await new SignJWT({ ...claimsOf(token), tid }).setProtectedHeader({ alg: "HS256" }).sign(KEY);
        await rejects(odd, InvalidSessionError);
      }
    });

    it("rejects garbage", async () => {
      for (const junk of ["", "abc", "a.b.c", "..", `${b64({ alg: "HS256" })}..`, `${b64({ alg: "HS256" })}.${b64("x")}.`]) {
        await rejects(junk, InvalidSessionError);
      }
    });
  });

  it("answers 401 for every rejected session", () => {
    for (const err of [new InvalidSessionError("x"), new ExpiredSessionError(), new RevokedSessionError()]) {
      assert.equal(toHttp(err).status, 401);
    }
  });

  describe("when Redis is down", () => {
    let store: RedisRevocationStore;
    /** Sessions whose revocation store runs on the test clock, so "1 s later" is exact, not a race. */
    beforeEach(async () => {
      if (redis.status !== "ready") await once(redis, "ready");
      store = new RedisRevocationStore(redis, "test", { now: () => clock });
      sessions = new Sessions({ key: KEY, stack: "test", secureCookie: true, store, now: () => clock });
    });
    afterEach(async () => {
      await server.restart();
      if (redis.status !== "ready") await once(redis, "ready");
    });
    /** Stops Redis and waits until the client has seen the connection close. */
    const stopAndNotice = async () => {
      const closed = redis.status === "ready" ? once(redis, "close") : Promise.resolve();
      await server.stop();
      await closed;
    };
    const failsClosed = (token: string) =>
      assert.rejects(sessions.verify(token), (err) => err instanceof StoreUnavailableError && toHttp(err).status === 503);

    it("reuses a 'not revoked' answer for less than 1 s, then asks Redis again", async () => {
      const { token } = await sessions.issue(ALICE);
      const { jti } = await sessions.verify(token);
      await redis.set(`dormer:test:revoked:${jti}`, "1");
      clock += 999;
      assert.deepEqual((await sessions.verify(token)).identity, ALICE, "reused within the second");
      clock += 1;
      await rejects(token, RevokedSessionError);
    });

    it("fails closed 1 s after Redis went away, whether or not the client has noticed", async () => {
      const { token } = await sessions.issue(ALICE);
      await sessions.verify(token);
      await server.stop();
      clock += 1000;
      await failsClosed(token);
    });

    it("never reuses an answer once the client saw the connection drop, even within the second", async () => {
      const { token } = await sessions.issue(ALICE);
      const { jti } = await sessions.verify(token);
      await stopAndNotice();
      await failsClosed(token);
      await assert.rejects(sessions.revoke(jti), StoreUnavailableError);
    });

    it("never reuses an answer from before a reconnect: the Redis that answered may have lost its revocations", async () => {
      const { token } = await sessions.issue(ALICE);
      const { jti } = await sessions.verify(token);
      await stopAndNotice();
      await server.restart();
      if (redis.status !== "ready") await once(redis, "ready");
      await redis.set(`dormer:test:revoked:${jti}`, "1");
      await rejects(token, RevokedSessionError);
    });

    it("recovers once Redis is back, with the same client", async () => {
      const { token } = await sessions.issue(ALICE);
      await sessions.verify(token);
      await stopAndNotice();
      await failsClosed(token);
      await server.restart();
      if (redis.status !== "ready") await once(redis, "ready");
      assert.deepEqual((await sessions.verify(token)).identity, ALICE);
    });

    it("fails closed when Redis is connected but does not answer", async () => {
      const { token } = await sessions.issue(ALICE);
      const slow = new Sessions({ key: KEY, stack: "test", secureCookie: true, store: new RedisRevocationStore(redis, "test", { timeoutMs: 200, now: () => clock }), now: () => clock });
      const admin = new Redis(server.url);
      try {
        await admin.call("CLIENT", "PAUSE", "1000", "ALL");
        await assert.rejects(slow.verify(token), StoreUnavailableError);
      } finally {
        admin.disconnect();
      }
    });

    it("once one command failed, reuses no answer for any session until Redis answers again", async () => {
      const a = await sessions.issue(ALICE);
      await sessions.verify(a.token);
      const shortTimeout = new RedisRevocationStore(redis, "test", { timeoutMs: 200, now: () => clock });
      const admin = new Redis(server.url);
      try {
        await admin.call("CLIENT", "PAUSE", "1500", "ALL");
        // Another session's check times out on the same client, on another store even.
        await assert.rejects(shortTimeout.isRevoked("another-session"), StoreUnavailableError);
        // a's answer is fresh, but the connection is in doubt: ask again (and, still paused, fail).
        await assert.rejects(sessions.verify(a.token), StoreUnavailableError);
      } finally {
        admin.disconnect();
      }
    });
  });
});
