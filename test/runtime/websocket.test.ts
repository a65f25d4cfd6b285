import { strict as assert } from "assert";
import * as crypto from "crypto";
import { inspectContainer } from "../support/docker";
import { isRunning, sleep, waitStopped } from "../support/poll";
import { RedisServer, startRedis } from "../support/redis-server";
import { login, RunningSupervisor, startSupervisor } from "../support/supervisor";
import { declareTenant, removeStack, TestTenant } from "../support/tenants";
import { RawWebSocket } from "../tenant-app/ws-client";

const TEXT = 0x1, BINARY = 0x2, CLOSE = 0x8, PING = 0x9, PONG = 0xa;

describe("runtime: WebSockets through the supervisor (real Redis, real Docker, the real tenant app)", function () {
  this.timeout(120_000);
  const stack = `rt${crypto.randomBytes(3).toString("hex")}`;
  let redis: RedisServer;
  let sup: RunningSupervisor;
  let echo: TestTenant;
  let sleeper: TestTenant;
  let awake: TestTenant;
  let echoCookie: string;
  const open: RawWebSocket[] = [];

  /** A WebSocket to the supervisor's /ws, as the tenant's browser would open it. */
  const connect = async (tenant: TestTenant, cookie: string): Promise<RawWebSocket> => {
    const ws = await RawWebSocket.connect(sup.port, { cookie }, `${tenant.id}.localhost:${sup.port}`);
    open.push(ws);
    return ws;
  };

  before(async () => {
    redis = await startRedis();
    echo = await declareTenant(stack, "echo");
    sleeper = await declareTenant(stack, "sleeper");
    awake = await declareTenant(stack, "awake", { idleTimeoutSeconds: 2 });
    sup = await startSupervisor({ stack, redisUrl: redis.url });
    echoCookie = await login(sup.url, echo.id, echo.key);
  });

  after(async () => {
    for (const ws of open) ws.socket.destroy();
    await sup?.stop().catch(() => undefined);
    await removeStack(stack);
    await redis?.stop();
  });

  it("echoes a text message", async () => {
    const ws = await connect(echo, echoCookie);
    ws.send(TEXT, "héllo through the supervisor");
    const frame = await ws.next();
    assert.equal(frame.opcode, TEXT);
    assert.equal(frame.payload.toString(), "héllo through the supervisor");
  });

  it("echoes a 100 KB binary message", async () => {
    const ws = await connect(echo, echoCookie);
    const data = crypto.randomBytes(100 * 1024);
    ws.send(BINARY, data);
    const frame = await ws.next();
    assert.equal(frame.opcode, BINARY);
    assert.ok(frame.payload.equals(data));
  });

  it("answers a ping with a pong carrying the same payload", async () => {
    const ws = await connect(echo, echoCookie);
    ws.send(PING, "still there?");
    const frame = await ws.next();
    assert.equal(frame.opcode, PONG);
    assert.equal(frame.payload.toString(), "still there?");
  });

  it("completes the closing handshake and closes the connection", async () => {
    const ws = await connect(echo, echoCookie);
    ws.send(CLOSE, Buffer.from([0x03, 0xe8])); // 1000
    const frame = await ws.next();
    assert.equal(frame.opcode, CLOSE);
    assert.equal(frame.payload.readUInt16BE(0), 1000);
    await ws.ended;
  });

  it("wakes a sleeping tenant before switching protocols", async () => {
    assert.equal(await isRunning(sleeper.container), false);
    const ws = await connect(sleeper, await login(sup.url, sleeper.id, sleeper.key));
    assert.equal(await isRunning(sleeper.container), true);
    ws.send(TEXT, "good morning");
    assert.equal((await ws.next()).payload.toString(), "good morning");
  });

  it("keeps a tenant with an open WebSocket awake past its idle timeout, and lets it sleep once closed", async () => {
    const ws = await connect(awake, await login(sup.url, awake.id, awake.key));
    const startedAt = (await inspectContainer(awake.container))?.State.StartedAt;
    // Time is the subject: three idle timeouts with the socket open and silent.
    await sleep(6_000);
    const state = (await inspectContainer(awake.container))?.State;
    assert.equal(state?.Running, true, "stopped with a WebSocket open");
    assert.equal(state?.StartedAt, startedAt, "restarted with a WebSocket open");
    ws.send(TEXT, "six seconds later");
    assert.equal((await ws.next()).payload.toString(), "six seconds later");

    ws.send(CLOSE, Buffer.from([0x03, 0xe8]));
    await ws.ended;
    await waitStopped(awake.container, 10_000);
    assert.match(sup.logs(), /putting idle tenant to sleep.*"tenant":"awake"/);
  });

  it("refuses a WebSocket without a session with 401", async () => {
    await assert.rejects(RawWebSocket.connect(sup.port, {}, `${echo.id}.localhost:${sup.port}`), /^Error: HTTP\/1.1 401/);
  });

  it("refuses a WebSocket carrying a session for another tenant's origin with 401", async () => {
    await assert.rejects(RawWebSocket.connect(sup.port, { cookie: echoCookie }, `${sleeper.id}.localhost:${sup.port}`), /^Error: HTTP\/1.1 401/);
  });

  it("serves no WebSocket on the platform's origin", async () => {
    await assert.rejects(RawWebSocket.connect(sup.port, { cookie: echoCookie }), /^Error: HTTP\/1.1 404/);
  });
});
