import assert from "node:assert/strict";
import { once } from "node:events";
import { Redis } from "ioredis";
import { SignJWT } from "jose";
import { StoreUnavailableError, toHttp } from "../../runtime/errors";
import { RedisRevocationStore } from "../../runtime/revocations";
import { SESSION_COOKIE } from "../../runtime/session-cookie";
import {
  ExpiredSessionError,
  InvalidSessionError,
  RevokedSessionError,
  SessionRejectedError,
  Sessions,
} from "../../runtime/sessions";
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

    it("reads the token from the request's cookies", () => {
      const req = { headers: { cookie: `theme=dark; ${SESSION_COOKIE}=abc.def.ghi; other=1` } };
      assert.equal(sessions.fromRequest(req), "abc.def.ghi");
      assert.equal(sessions.fromRequest({ headers: { cookie: "theme=dark" } }), undefined);
      assert.equal(sessions.fromRequest({ headers: {} }), undefined);
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
    it("fails closed, and recovers once Redis is back, with the same client", async () => {
      const { token } = await sessions.issue(ALICE);
      const { jti } = await sessions.verify(token);

      await server.stop();
      await assert.rejects(sessions.verify(token), (err) => err instanceof StoreUnavailableError && toHttp(err).status === 503);
      await assert.rejects(sessions.revoke(jti), StoreUnavailableError);
      // Still closed after the client has noticed and started reconnecting.
      if (redis.status === "ready") await once(redis, "close");
      await assert.rejects(sessions.verify(token), StoreUnavailableError);

      await server.restart();
      if (redis.status !== "ready") await once(redis, "ready");
      assert.deepEqual((await sessions.verify(token)).identity, ALICE);
    });

    it("fails closed when Redis is connected but does not answer", async () => {
      const { token } = await sessions.issue(ALICE);
      const slow = new Sessions({ key: KEY, stack: "test", secureCookie: true, store: new RedisRevocationStore(redis, "test", 200), now: () => clock });
      const admin = new Redis(server.url);
      try {
        await admin.call("CLIENT", "PAUSE", "1000", "ALL");
        await assert.rejects(slow.verify(token), StoreUnavailableError);
      } finally {
        admin.disconnect();
      }
    });
  });
});
