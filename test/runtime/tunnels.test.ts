import { strict as assert } from "assert";
import * as crypto from "crypto";
import { HALF_CLOSE_GRACE_MS } from "../../runtime/http/proxy";
import { containerPid, openFds } from "../support/fds";
import { MISBEHAVING_APP } from "../support/misbehaving-app";
import { waitFor } from "../support/poll";
import { RedisServer, startRedis } from "../support/redis-server";
import { login, RunningSupervisor, startSupervisor } from "../support/supervisor";
import { declareTenant, removeStack, TestTenant } from "../support/tenants";
import { RawWebSocket } from "../tenant-app/ws-client";

const TEXT = 0x1, CLOSE = 0x8;
const N = 50;
const IDLE_SECONDS = 3;
// Descriptors a supervisor opens and closes on its own (Docker API calls of the reaper, Redis commands);
// a leak of N tunnels is 2N, far above this.
const SLACK = 4;
const BOUND_MS = HALF_CLOSE_GRACE_MS + 5_000;

describe("runtime: tunnels always close (real supervisor, Redis, Docker; descriptors counted in /proc)", function () {
  this.timeout(180_000);
  const stack = `rt${crypto.randomBytes(3).toString("hex")}`;
  let redis: RedisServer;
  let sup: RunningSupervisor;
  let polite: TestTenant;
  let deaf: TestTenant;
  const cookies: Record<string, string> = {};
  const pids: Record<string, number> = {};
  const baseline: Record<string, number> = {};

  const open = async (tenant: TestTenant): Promise<RawWebSocket> => RawWebSocket.connect(sup.port, { cookie: cookies[tenant.id] }, `${tenant.id}.localhost:${sup.port}`);
  const openMany = (tenant: TestTenant): Promise<RawWebSocket[]> => Promise.all(Array.from({ length: N }, () => open(tenant)));
  const fds = () => ({ supervisor: openFds(sup.pid), polite: openFds(pids.polite), deaf: openFds(pids.deaf) });
  /** Waits until every process is back within SLACK of its baseline; returns how long that took. */
  const backToBaseline = async (what: string): Promise<number> => {
    const started = Date.now();
    let last = fds();
    await waitFor(`${what}: descriptors back to baseline ${JSON.stringify(baseline)}`, async () => {
      last = fds();
      return Object.entries(last).every(([k, v]) => v <= baseline[k] + SLACK);
    }, BOUND_MS).catch((err: Error) => {
      throw new Error(`${err.message}; still open: ${JSON.stringify(last)}`);
    });
    return Date.now() - started;
  };
  /**
   * The tunnels are really open: one descriptor each in the app they reach, and at least one each in the
   * supervisor (its client side can already be gone while the tenant side waits out the grace).
   */
  const grew = (perApp: Partial<Record<"polite" | "deaf", number>>) => {
    const now = fds();
    const tunnels = Object.values(perApp).reduce((a, b) => a + (b ?? 0), 0);
    const short = Object.entries(perApp).filter(([app, n]) => now[app as "polite" | "deaf"] < baseline[app] + (n ?? 0) - SLACK);
    assert.ok(short.length === 0 && now.supervisor >= baseline.supervisor + tunnels - SLACK, `expected ${JSON.stringify(perApp)} tunnels open: ${JSON.stringify(now)} vs ${JSON.stringify(baseline)}`);
  };

  before(async () => {
    redis = await startRedis();
    polite = await declareTenant(stack, "polite");
    deaf = await declareTenant(stack, "deaf", { command: ["node", "-e", MISBEHAVING_APP] });
    sup = await startSupervisor({ stack, redisUrl: redis.url, extra: { DORMER_TUNNEL_IDLE_SECONDS: String(IDLE_SECONDS) } });
    for (const t of [polite, deaf]) {
      cookies[t.id] = await login(sup.url, t.id, t.key);
      // Wake it and let one tunnel come and go, so the baseline includes the network join and pools.
      const ws = await open(t);
      ws.socket.destroy();
      pids[t.id] = await containerPid(t.container);
    }
    Object.assign(baseline, await waitFor("a settled baseline", async () => {
      const a = fds();
      await new Promise((r) => setTimeout(r, 500));
      const b = fds();
      return JSON.stringify(a) === JSON.stringify(b) ? b : undefined;
    }, 20_000));
  });

  after(async () => {
    await sup?.stop().catch(() => undefined);
    await removeStack(stack);
    await redis?.stop();
  });

  it("drops the tenant's Set-Cookie for the platform's session from its upgrade answer, and keeps its own", async () => {
    const ws = await open(deaf);
    ws.socket.destroy();
    const setCookies = ws.handshake.split("\r\n").filter((line) => /^set-cookie:/i.test(line));
    assert.deepEqual(setCookies, ["Set-Cookie: deaf_pref=1; Path=/"]);
  });

  it(`frees both ends when ${N} clients leave without a close frame (FIN only), default tenant app`, async () => {
    const sockets = await openMany(polite);
    grew({ polite: N });
    for (const ws of sockets) ws.socket.end();
    await backToBaseline("polite app, client FIN");
  });

  it(`frees both ends when ${N} clients leave without a close frame, tenant app that ignores FIN`, async () => {
    const sockets = await openMany(deaf);
    grew({ deaf: N });
    for (const ws of sockets) ws.socket.end();
    const took = await backToBaseline("deaf app, client FIN");
    assert.ok(took >= HALF_CLOSE_GRACE_MS - 500, `closed in ${took} ms, before the grace a closing handshake gets`);
  });

  it(`frees both ends when ${N} clients are killed at the TCP level (reset), either app`, async () => {
    const sockets = [...(await openMany(polite)), ...(await openMany(deaf))];
    grew({ polite: N, deaf: N });
    for (const ws of sockets) ws.socket.resetAndDestroy();
    await backToBaseline("clients reset");
  });

  it(`frees both ends when the tenant app leaves (FIN) and the client does not answer`, async () => {
    const sockets = await openMany(polite);
    grew({ polite: N });
    // A close handshake the client never completes: the app sends its close frame and FIN, the client
    // (allowHalfOpen off, but never reading) stays; the supervisor must not wait for it.
    for (const ws of sockets) {
      ws.socket.pause();
      ws.send(CLOSE, Buffer.from([0x03, 0xe8]));
    }
    await backToBaseline("app closed first");
  });

  it(`closes a tunnel silent for the idle limit (${IDLE_SECONDS} s), and not one that carries bytes`, async () => {
    const silent = await open(deaf);
    const chatty = await open(polite);
    const started = Date.now();
    let chattyOpen = true;
    chatty.ended.then(() => (chattyOpen = false));
    const chat = setInterval(() => chatty.send(TEXT, "still here"), 500);
    try {
      await waitFor("the silent tunnel to close", async () => silent.socket.destroyed || silent.socket.readableEnded, (IDLE_SECONDS + 5) * 1000);
      const took = Date.now() - started;
      assert.ok(took >= IDLE_SECONDS * 1000 - 200, `closed after ${took} ms, before the idle limit`);
      assert.ok(chattyOpen, "a tunnel carrying bytes was closed");
    } finally {
      clearInterval(chat);
      chatty.socket.destroy();
    }
    await backToBaseline("idle");
  });
});
