import { strict as assert } from "assert";
import * as crypto from "crypto";
import * as http from "http";
import * as net from "net";
import { MISBEHAVING_APP } from "../support/misbehaving-app";
import { tryConnect } from "../support/ports";
import { sleep, waitFor } from "../support/poll";
import { RedisServer, startRedis } from "../support/redis-server";
import { login, startSupervisor, siteOf } from "../support/supervisor";
import { declareTenant, removeStack, TestTenant } from "../support/tenants";
import { Frame, RawWebSocket } from "../tenant-app/ws-client";

const TEXT = 0x1, CLOSE = 0x8;
const DRAIN_SECONDS = 10;
/** The split frame's second half comes this long after its first: the drain must wait for it. */
const SPLIT_MS = 1_500;
/** The late tenant listens this long after its container starts: a request for it is held that long. */
const LATE_MS = 2_500;

/**
 * A WebSocket app that, for any frame the client sends, answers one 100-byte text frame in two writes
 * SPLIT_MS apart: a supervisor that closes at a frame boundary has to wait for the second.
 */
const SPLIT_FRAME_APP = `
const http = require('http');
const crypto = require('crypto');
const server = http.createServer((req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}'));
server.on('upgrade', (req, socket) => {
  const accept = crypto.createHash('sha1').update(req.headers['sec-websocket-key'] + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11').digest('base64');
  socket.write('HTTP/1.1 101 Switching Protocols\\r\\nUpgrade: websocket\\r\\nConnection: Upgrade\\r\\nSec-WebSocket-Accept: ' + accept + '\\r\\n\\r\\n');
  socket.on('error', () => undefined);
  socket.once('data', () => {
    const frame = Buffer.concat([Buffer.from([0x81, 100]), Buffer.alloc(100, 0x78)]);
    socket.write(frame.subarray(0, 40));
    setTimeout(() => socket.write(frame.subarray(40)), ${SPLIT_MS});
  });
});
server.listen(8080);
`;

/** The next frame, or "ended" when the connection closes first (a frame cut in two never completes). */
const nextOrEnd = (ws: RawWebSocket): Promise<Frame | "ended"> => Promise.race([ws.next(), ws.ended.then(() => "ended" as const)]);

/** A GET on a kept-alive connection: its status, body, and when the server closed that connection. */
function keptAliveGet(url: string, cookie: string): Promise<{ status: number; body: string; closed: Promise<number> }> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent, headers: { cookie, accept: "application/json" } }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d) => (body += d));
      res.on("end", () => {
        const ended = Date.now();
        const socket = req.socket!;
        const closed = new Promise<number>((done) => (socket.destroyed ? done(0) : socket.once("close", () => done(Date.now() - ended))));
        closed.finally(() => agent.destroy());
        resolve({ status: res.statusCode ?? 0, body, closed });
      });
    });
    req.on("error", reject);
  });
}

describe("runtime: a supervisor told to stop drains (real supervisor, Redis, Docker)", function () {
  this.timeout(180_000);
  const stack = `rt${crypto.randomBytes(3).toString("hex")}`;
  let redis: RedisServer;
  let slow: TestTenant;
  let splitter: TestTenant;
  let late: TestTenant;
  const open: RawWebSocket[] = [];

  before(async () => {
    redis = await startRedis();
    slow = await declareTenant(stack, "slow", { requestTimeoutSeconds: 30, command: ["node", "-e", MISBEHAVING_APP] });
    splitter = await declareTenant(stack, "splitter", { command: ["node", "-e", SPLIT_FRAME_APP] });
    late = await declareTenant(stack, "late", { wakeTimeoutSeconds: 30, command: ["node", "-e", `setTimeout(() => { ${MISBEHAVING_APP} }, ${LATE_MS})`] });
  });

  after(async () => {
    for (const ws of open) ws.socket.destroy();
    await removeStack(stack);
    await redis?.stop();
  });

  it("answers what it holds (a slow response, a held wake, a request begun), closes WebSockets with 1012 at a frame boundary, refuses new connections, and exits 0", async () => {
    const sup = await startSupervisor({ stack, redisUrl: redis.url, extra: { DORMER_DRAIN_SECONDS: String(DRAIN_SECONDS) } });
    try {
      const cookies: Record<string, string> = {};
      for (const t of [slow, splitter, late]) cookies[t.id] = await login(sup.url, t.id, t.key);
      const site = (t: TestTenant) => siteOf(sup.url, t.id);
      assert.equal((await fetch(`${site(slow)}/health`, { headers: { cookie: cookies[slow.id], accept: "application/json" } })).status, 200);

      // A WebSocket idle at a frame boundary, and one whose tenant is half-way through a frame.
      const idle = await RawWebSocket.connect(sup.port, { cookie: cookies[splitter.id] }, `${splitter.id}.localhost:${sup.port}`);
      const midFrame = await RawWebSocket.connect(sup.port, { cookie: cookies[splitter.id] }, `${splitter.id}.localhost:${sup.port}`);
      open.push(idle, midFrame);
      midFrame.send(TEXT, "start a frame");
      await sleep(300);

      // 3 s of drip on a kept-alive connection, a request held while its tenant wakes, and a platform
      // request whose head is half sent.
      const drip = keptAliveGet(`${site(slow)}/drip?ms=500&n=6`, cookies[slow.id]);
      const held = fetch(`${site(late)}/whoami`, { headers: { cookie: cookies[late.id], accept: "application/json" } });
      const begun = net.connect(sup.port, "127.0.0.1");
      await new Promise((resolve) => begun.once("connect", resolve));
      let begunAnswer = "";
      begun.on("data", (d) => (begunAnswer += d));
      const begunClosed = new Promise((resolve) => begun.once("close", resolve));
      begun.write(`GET /ready HTTP/1.1\r\nHost: 127.0.0.1:${sup.port}\r\n`);
      await sleep(500);

      const signalled = Date.now();
      const stopped = sup.stop();
      await waitFor("new connections to be refused", async () => (await tryConnect(sup.port)) === "ECONNREFUSED", 5_000, 20);
      assert.equal(sup.exitCode(), null, "still draining what it holds");

      // A request begun before the drain is answered, draining, on a connection that then closes.
      begun.write("\r\n");
      await begunClosed;
      assert.match(begunAnswer, /^HTTP\/1\.1 503 /);
      assert.match(begunAnswer, /\r\nConnection: close\r\n/i);
      assert.match(begunAnswer, /"ready":false/);
      assert.match(begunAnswer, /"draining":true/);

      // The idle WebSocket is told at once to come back; the other only once its frame is complete.
      const idleClose = await nextOrEnd(idle);
      assert.notEqual(idleClose, "ended", "the idle WebSocket got a close frame");
      assert.equal((idleClose as Frame).opcode, CLOSE);
      assert.equal((idleClose as Frame).payload.readUInt16BE(0), 1012);
      const whole = await nextOrEnd(midFrame);
      assert.notEqual(whole, "ended", "the frame under way arrived whole");
      assert.equal((whole as Frame).opcode, TEXT);
      assert.ok((whole as Frame).payload.equals(Buffer.alloc(100, 0x78)), "the frame under way arrived as the tenant sent it");
      const midClose = await nextOrEnd(midFrame);
      assert.notEqual(midClose, "ended", "a close frame followed the frame under way");
      assert.equal((midClose as Frame).opcode, CLOSE);
      assert.equal((midClose as Frame).payload.readUInt16BE(0), 1012);
      await Promise.all([idle.ended, midFrame.ended]);

      const dripped = await drip;
      assert.equal(dripped.status, 200);
      assert.equal(dripped.body, [1, 2, 3, 4, 5, 6].map((n) => `drip ${n}\n`).join(""));
      assert.ok((await dripped.closed) < 1_000, "the kept-alive connection is closed once its answer is done");

      const woke = await held;
      assert.equal(woke.status, 200, "the request held for a wake is answered");

      await stopped;
      const took = Date.now() - signalled;
      assert.equal(sup.exitCode(), 0);
      assert.ok(took < DRAIN_SECONDS * 1000, `drained in ${took} ms, within the bound`);
      assert.match(sup.logs(), /"msg":"drained; exiting"/);
    } finally {
      await sup.kill().catch(() => undefined);
    }
  });

  it("exits 0 at the drain bound with a request that never ends", async () => {
    const bound = 2;
    const sup = await startSupervisor({ stack, redisUrl: redis.url, extra: { DORMER_DRAIN_SECONDS: String(bound) } });
    try {
      const cookie = await login(sup.url, slow.id, slow.key);
      const headers = { cookie, accept: "application/json" };
      assert.equal((await fetch(`${siteOf(sup.url, slow.id)}/health`, { headers })).status, 200);
      const hung = fetch(`${siteOf(sup.url, slow.id)}/hang`, { headers }).then((r) => r.status, (err: Error) => err.name);
      await sleep(300);
      const signalled = Date.now();
      await sup.stop();
      const took = Date.now() - signalled;
      assert.equal(sup.exitCode(), 0);
      assert.ok(took >= bound * 1000 - 100 && took < bound * 1000 + 2_500, `exited after ${took} ms, at the ${bound} s bound`);
      assert.match(sup.logs(), /"msg":"drain bound reached; exiting with requests still open"/);
      assert.equal(await hung, "TypeError", "the request still open at the bound is cut");
    } finally {
      await sup.kill().catch(() => undefined);
    }
  });
});
