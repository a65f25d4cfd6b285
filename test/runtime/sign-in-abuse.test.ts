import { strict as assert } from "assert";
import * as crypto from "crypto";
import * as http from "http";
import { RunningGateway, startGateway } from "../support/gateway";
import { waitFor } from "../support/poll";
import { RedisServer, startRedis } from "../support/redis-server";
import { login, RunningSupervisor, siteOf, startSupervisor } from "../support/supervisor";
import { declareTenant, removeStack, TestTenant } from "../support/tenants";

type LogLine = Record<string, unknown> & { msg: string };

/** The supervisor's JSON log lines with message `msg`. */
const linesOf = (sup: RunningSupervisor, msg: string): LogLine[] =>
  sup
    .logs()
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as LogLine)
    .filter((l) => l.msg === msg);

/**
 * Runs `act` and returns its result with the next line `msg` the supervisor logs from then on. Waited for:
 * the log reaches this process through a pipe, maybe after the HTTP answer.
 */
async function withLine<T>(sup: RunningSupervisor, msg: string, act: () => Promise<T>): Promise<{ result: T; line: LogLine }> {
  const seen = linesOf(sup, msg).length;
  const result = await act();
  const line = await waitFor(`the supervisor to log "${msg}"`, async () => linesOf(sup, msg)[seen], 10_000, 20);
  return { result, line };
}

/** A JSON sign-in on the platform's origin, sent as the gateway would forward a client at `from`. */
const signIn = (sup: RunningSupervisor, tenant: string, key: string, headers: Record<string, string> = {}) =>
  fetch(`${sup.url}/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify({ tenant, key }),
  });
const via = (from: string) => ({ "x-real-ip": from, "x-forwarded-for": from });
/** A request from a chosen loopback address (any of 127.0.0.0/8 is this machine's), answered with its status. */
const fromAddress = (localAddress: string, url: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}) =>
  new Promise<number>((resolve, reject) => {
    const req = http.request(url, { localAddress, method: init.method ?? "GET", headers: init.headers }, (res) => {
      res.resume().on("end", () => resolve(res.statusCode ?? 0));
    });
    req.on("error", reject);
    req.end(init.body);
  });
const wrongKey = () => `wrong-${crypto.randomBytes(8).toString("hex")}`;

describe("runtime: client addresses, sign-in audit and throttling (real supervisors, Redis, Docker)", function () {
  this.timeout(180_000);
  const stack = `rt${crypto.randomBytes(3).toString("hex")}`;
  const THROTTLE = { DORMER_LOGIN_FAILURES_PER_CLIENT: "3", DORMER_LOGIN_FAILURES_PER_TENANT: "6", DORMER_LOGIN_WINDOW_SECONDS: "600" };
  let redis: RedisServer;
  /** Two supervisors behind "the gateway" (loopback is the trusted proxy here), sharing one Redis. */
  let behind: RunningSupervisor[];
  /** A supervisor whose trusted proxies do not include loopback: every test request is from an untrusted peer. */
  let direct: RunningSupervisor;
  const t: Record<string, TestTenant> = {};

  before(async () => {
    redis = await startRedis();
    for (const id of ["audited", "guessed", "typo", "crowd", "bystander", "burst", "spoofed"]) t[id] = await declareTenant(stack, id);
    const trusted = { ...THROTTLE, DORMER_TRUSTED_PROXIES: "127.0.0.1" };
    behind = [await startSupervisor({ stack, redisUrl: redis.url, extra: trusted })];
    behind.push(await startSupervisor({ stack, redisUrl: redis.url, sessionKey: behind[0].sessionKey, adminToken: behind[0].adminToken, extra: trusted }));
    direct = await startSupervisor({ stack, redisUrl: redis.url, extra: { ...THROTTLE, DORMER_TRUSTED_PROXIES: "10.255.255.0/24, fd00::/8" } });
  });

  after(async () => {
    for (const sup of [...(behind ?? []), direct]) await sup?.stop().catch(() => undefined);
    await removeStack(stack);
    await redis?.stop();
  });

  describe("the audit log's client address", () => {
    const adminList = (sup: RunningSupervisor, headers: Record<string, string>) =>
      fetch(`${sup.url}/admin/tenants`, { headers: { authorization: `Bearer ${sup.adminToken}`, ...headers } });
    /** The client address the admin audit line of one listing names. */
    const auditedFrom = async (sup: RunningSupervisor, headers: Record<string, string>) => {
      const { result, line } = await withLine(sup, "admin action", () => adminList(sup, headers));
      assert.equal(result.status, 200);
      return line.from;
    };

    it("is the gateway's forwarded address when the socket peer is a trusted proxy", async () => {
      assert.equal(await auditedFrom(behind[0], via("198.51.100.10")), "198.51.100.10");
      // Another proxy in front appends; the entry the nearest one added counts, never the client's own claim.
      assert.equal(await auditedFrom(behind[0], { "x-forwarded-for": "203.0.113.66, 198.51.100.11" }), "198.51.100.11");
      assert.equal(await auditedFrom(behind[0], { "x-real-ip": "not-an-address" }), "127.0.0.1");
    });

    it("ignores X-Real-IP and X-Forwarded-For from any other peer", async () => {
      assert.equal(await auditedFrom(direct, via("198.51.100.12")), "127.0.0.1");
      assert.ok(!direct.logs().includes("198.51.100.12"), "the spoofed address appears nowhere in the logs");
    });
  });

  describe("through the real gateway (nginx, as the program configures it)", () => {
    let gateway: RunningGateway;
    const spoofed = { "x-real-ip": "6.6.6.6", "x-forwarded-for": "6.6.6.6" };

    before(async () => {
      gateway = await startGateway(`dormer-${stack}-gateway`, behind[0].port);
    });

    after(async () => {
      await gateway?.stop();
    });

    it("the audit names the address the gateway saw, and what the client claimed is overwritten, not appended to", async () => {
      const { result, line } = await withLine(behind[0], "admin action", () =>
        fromAddress("127.0.0.2", `${gateway.url}/admin/tenants`, { headers: { authorization: `Bearer ${behind[0].adminToken}`, ...spoofed } }),
      );
      assert.equal(result, 200);
      assert.equal(line.from, "127.0.0.2");
      const failed = await withLine(behind[0], "login failed", () =>
        fromAddress("127.0.0.3", `${gateway.url}/auth/login`, {
          method: "POST",
          headers: { "content-type": "application/json", ...spoofed },
          body: JSON.stringify({ tenant: t.audited.id, key: wrongKey() }),
        }),
      );
      assert.equal(failed.result, 401);
      assert.equal(failed.line.from, "127.0.0.3");
      assert.ok(!behind[0].logs().includes("6.6.6.6"), "the client's claimed address appears nowhere in the logs");
    });
  });

  describe("through the real gateway behind a Cloudflare tunnel", () => {
    // cloudflared's fixed address, as the program gives it on the edge network; here a loopback address.
    const CLOUDFLARED = "127.0.0.2";
    let gateway: RunningGateway;

    before(async () => {
      gateway = await startGateway(`dormer-${stack}-gateway-cf`, behind[0].port, "localhost", [], CLOUDFLARED);
    });

    after(async () => {
      await gateway?.stop();
    });

    const failedLoginFrom = (localAddress: string, claimed: string) =>
      withLine(behind[0], "login failed", () =>
        fromAddress(localAddress, `${gateway.url}/auth/login`, {
          method: "POST",
          headers: { "content-type": "application/json", "cf-connecting-ip": claimed },
          body: JSON.stringify({ tenant: t.audited.id, key: wrongKey() }),
        }),
      );

    it("takes the client's address from CF-Connecting-IP when cloudflared sent it, and from nobody else", async () => {
      const viaTunnel = await failedLoginFrom(CLOUDFLARED, "203.0.113.7");
      assert.equal(viaTunnel.result, 401);
      assert.equal(viaTunnel.line.from, "203.0.113.7");
      // Someone reaching the gateway's published port directly cannot pick an address to be throttled as.
      const direct = await failedLoginFrom("127.0.0.3", "203.0.113.8");
      assert.equal(direct.result, 401);
      assert.equal(direct.line.from, "127.0.0.3");
      assert.ok(!behind[0].logs().includes("203.0.113.8"), "the direct client's claimed address appears nowhere in the logs");
    });
  });

  describe("sign-in and sign-out are audited", () => {
    it("a failed login: tenant, reason and client address, never the key tried nor the right one", async () => {
      const tried = wrongKey();
      const fields = ({ tenant, from, reason }: LogLine) => ({ tenant, from, reason });
      const wrong = await withLine(behind[0], "login failed", () => signIn(behind[0], t.audited.id, tried, via("198.51.100.20")));
      assert.equal(wrong.result.status, 401);
      assert.deepEqual(fields(wrong.line), { tenant: t.audited.id, from: "198.51.100.20", reason: "wrong key" });
      const unknown = await withLine(behind[0], "login failed", () => signIn(behind[0], "nosuchtenant", t.audited.key, via("198.51.100.20")));
      assert.equal(unknown.result.status, 401);
      assert.deepEqual(fields(unknown.line), { tenant: "nosuchtenant", from: "198.51.100.20", reason: "unknown tenant" });
      assert.ok(!behind[0].logs().includes(tried), "the key tried is not logged");
      assert.ok(!behind[0].logs().includes(t.audited.key), "the tenant's key is not logged");
    });

    it("a successful login and a logout: tenant, user and client address; the session itself is not logged", async () => {
      const signedIn = await withLine(behind[0], "login", () => login(behind[0].url, t.audited.id, t.audited.key));
      const cookie = signedIn.result;
      assert.deepEqual([signedIn.line.tenant, signedIn.line.user, signedIn.line.from], [t.audited.id, `key:${t.audited.id}`, "127.0.0.1"]);
      const { result: res, line } = await withLine(behind[0], "logout", () =>
        fetch(`${siteOf(behind[0].url, t.audited.id)}/_dormer/auth/logout`, { method: "POST", headers: { cookie, ...via("198.51.100.21") } }),
      );
      assert.equal(res.status, 200);
      const { tenant, from, reason, users, revoked } = line;
      assert.deepEqual({ tenant, from, reason, users, revoked }, { tenant: t.audited.id, from: "198.51.100.21", reason: "signed out", users: [`key:${t.audited.id}`], revoked: 1 });
      assert.ok(!behind[0].logs().includes(cookie.split("=")[1]), "the session token is not logged");
    });

    it("a logout without a session says so", async () => {
      const { result: res, line } = await withLine(behind[1], "logout", () =>
        fetch(`${siteOf(behind[1].url, t.audited.id)}/_dormer/auth/logout`, { method: "POST", headers: via("198.51.100.22") }),
      );
      assert.equal(res.status, 200);
      const { from, reason, revoked } = line;
      assert.deepEqual({ from, reason, revoked }, { from: "198.51.100.22", reason: "no session to revoke", revoked: 0 });
    });
  });

  describe("repeated failed logins are slowed", () => {
    it("per (tenant, client): the 4th attempt, even with the right key and on another supervisor, gets 429 naming the wait", async () => {
      for (let i = 0; i < 3; i++) assert.equal((await signIn(behind[i % 2], t.guessed.id, wrongKey(), via("198.51.100.30"))).status, 401);
      const { result: res, line: throttled } = await withLine(behind[1], "login throttled", () => signIn(behind[1], t.guessed.id, t.guessed.key, via("198.51.100.30")));
      assert.equal(res.status, 429);
      const retryAfter = Number(res.headers.get("retry-after"));
      assert.ok(Number.isInteger(retryAfter) && retryAfter > 0 && retryAfter <= 600, `Retry-After: ${res.headers.get("retry-after")}`);
      const body = (await res.json()) as { error: string; message: string; retryAfterSeconds: number };
      assert.equal(body.error, "too_many_login_failures");
      assert.equal(body.retryAfterSeconds, retryAfter);
      assert.match(body.message, new RegExp(`from your address; try again in ${retryAfter} s`));
      assert.deepEqual(res.headers.getSetCookie(), []);
      assert.deepEqual([throttled.tenant, throttled.from, throttled.bound], [t.guessed.id, "198.51.100.30", "client"]);
    });

    it("the sign-in form gets the same 429 as a page saying how long to wait", async () => {
      const res = await fetch(`${behind[0].url}/auth/login`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", ...via("198.51.100.30") },
        body: new URLSearchParams({ tenant: t.guessed.id, key: t.guessed.key }).toString(),
        redirect: "manual",
      });
      assert.equal(res.status, 429);
      const retryAfter = Number(res.headers.get("retry-after"));
      assert.ok(retryAfter > 0);
      assert.match(await res.text(), new RegExp(`Too many failed sign-ins; try again in ${retryAfter} s\\.`));
    });

    it("another client signs in to that tenant as usual", async () => {
      assert.equal((await signIn(behind[0], t.guessed.id, t.guessed.key, via("198.51.100.31"))).status, 200);
    });

    it("holds across a supervisor restart: the count lives in Redis", async () => {
      await behind[1].stop();
      behind[1] = await startSupervisor({ stack, redisUrl: redis.url, sessionKey: behind[0].sessionKey, adminToken: behind[0].adminToken, extra: { ...THROTTLE, DORMER_TRUSTED_PROXIES: "127.0.0.1" } });
      assert.equal((await signIn(behind[1], t.guessed.id, t.guessed.key, via("198.51.100.30"))).status, 429);
    });

    it("a good key clears that client's count: a typo or two never adds up to a lockout", async () => {
      const from = via("198.51.100.40");
      for (let i = 0; i < 2; i++) assert.equal((await signIn(behind[0], t.typo.id, wrongKey(), from)).status, 401);
      assert.equal((await signIn(behind[0], t.typo.id, t.typo.key, from)).status, 200);
      for (let i = 0; i < 3; i++) assert.equal((await signIn(behind[0], t.typo.id, wrongKey(), from)).status, 401);
      assert.equal((await signIn(behind[0], t.typo.id, t.typo.key, from)).status, 429);
    });

    it("parallel guesses cannot slip in under the bound: of 10 at once, exactly 3 are checked", async () => {
      const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => signIn(behind[i % 2], t.burst.id, wrongKey(), via("198.51.100.60"))));
      const statuses = answers.map((r) => r.status).sort();
      assert.deepEqual(statuses, [401, 401, 401, 429, 429, 429, 429, 429, 429, 429]);
    });

    it("per tenant, the looser bound: failures from many addresses together stop every new attempt, other tenants unaffected", async () => {
      for (let i = 0; i < 6; i++) assert.equal((await signIn(behind[i % 2], t.crowd.id, wrongKey(), via(`198.51.100.${50 + i}`))).status, 401);
      const res = await signIn(behind[0], t.crowd.id, t.crowd.key, via("198.51.100.59"));
      assert.equal(res.status, 429);
      const body = (await res.json()) as { message: string };
      assert.match(body.message, /^too many failed sign-ins for this tenant; try again in \d+ s$/);
      assert.equal((await signIn(behind[0], t.bystander.id, t.bystander.key, via("198.51.100.59"))).status, 200);
    });

    it("a client that is not behind a trusted proxy cannot dodge its bound with a made-up X-Forwarded-For", async () => {
      for (let i = 0; i < 3; i++) assert.equal((await signIn(direct, t.spoofed.id, wrongKey(), via(`203.0.113.${i + 1}`))).status, 401);
      const { result: res, line } = await withLine(direct, "login throttled", () => signIn(direct, t.spoofed.id, t.spoofed.key, via("203.0.113.99")));
      assert.equal(res.status, 429);
      assert.equal(line.from, "127.0.0.1");
    });
  });

  describe("the window", () => {
    let short: RunningSupervisor;
    let tenant: TestTenant;

    before(async () => {
      tenant = await declareTenant(stack, "window");
      short = await startSupervisor({
        stack,
        redisUrl: redis.url,
        extra: { DORMER_TRUSTED_PROXIES: "127.0.0.1", DORMER_LOGIN_FAILURES_PER_CLIENT: "1", DORMER_LOGIN_FAILURES_PER_TENANT: "1", DORMER_LOGIN_WINDOW_SECONDS: "2" },
      });
    });

    after(async () => {
      await short?.stop().catch(() => undefined);
    });

    it("opens again once the window ends, however often the refused client retries meanwhile", async () => {
      assert.equal((await signIn(short, tenant.id, wrongKey(), via("198.51.100.70"))).status, 401);
      const refused = await signIn(short, tenant.id, tenant.key, via("198.51.100.70"));
      assert.equal(refused.status, 429);
      const retryAfter = Number(refused.headers.get("retry-after"));
      assert.ok(retryAfter >= 1 && retryAfter <= 2, `Retry-After: ${retryAfter}`);
      // Refused attempts are not counted and do not extend the window, so polling does not keep it shut.
      await waitFor("the window to end", async () => (await signIn(short, tenant.id, tenant.key, via("198.51.100.70"))).status === 200, (retryAfter + 10) * 1000, 200);
    });
  });
});
