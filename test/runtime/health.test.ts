import { strict as assert } from "assert";
import { execFileSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { openFds } from "../support/fds";
import { waitFor } from "../support/poll";
import { RedisServer, startRedis } from "../support/redis-server";
import { RunningSupervisor, startSupervisor } from "../support/supervisor";
import { removeStack } from "../support/tenants";

interface Health {
  status: number;
  body: { live?: boolean; ready?: boolean; accepting?: boolean; redis_ok?: boolean; docker_ok?: boolean; fds?: { open: number; limit: number } };
}

// What a connection refused at accept looks like to the client: reset or closed before any answer.
const ask = (sup: RunningSupervisor, route: "/live" | "/ready"): Promise<Health | "refused"> =>
  fetch(`${sup.url}${route}`, { signal: AbortSignal.timeout(5000) }).then(
    async (r) => ({ status: r.status, body: (await r.json()) as Health["body"] }),
    () => "refused" as const,
  );

/** Raw TCP connections to the supervisor that send nothing: each holds one of its descriptors. */
async function hold(port: number, n: number, into: net.Socket[]): Promise<void> {
  for (let i = 0; i < n; i++) {
    const s = net.connect(port, "127.0.0.1");
    s.on("error", () => undefined);
    into.push(s);
    await new Promise<void>((resolve) => {
      s.once("connect", () => resolve());
      s.once("close", () => resolve());
    });
  }
}

/** A unix socket relaying to the Docker daemon, which the test can take away and give back. */
class DockerRelay {
  readonly path = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "dormer-docker-relay-")), "docker.sock");
  private server?: net.Server;
  private readonly open = new Set<net.Socket>();

  async up(): Promise<void> {
    this.server = net.createServer((client) => {
      const daemon = net.connect("/var/run/docker.sock");
      for (const s of [client, daemon]) {
        this.open.add(s);
        s.on("close", () => this.open.delete(s));
        s.on("error", () => undefined);
      }
      client.pipe(daemon).pipe(client);
    });
    await new Promise<void>((resolve) => this.server!.listen(this.path, resolve));
  }

  async down(): Promise<void> {
    for (const s of this.open) s.destroy();
    await new Promise((resolve) => this.server?.close(resolve));
  }
}

describe("runtime: health tells the truth (real supervisor, Redis, Docker; descriptors limited with prlimit)", function () {
  this.timeout(180_000);
  const stack = `rt${crypto.randomBytes(3).toString("hex")}`;
  const relay = new DockerRelay();
  let redis: RedisServer;
  let sup: RunningSupervisor;
  const held: net.Socket[] = [];
  const release = () => held.splice(0).forEach((s) => s.destroy());
  const healthy = (what: string) =>
    waitFor(what, async () => {
      const [live, ready] = [await ask(sup, "/live"), await ask(sup, "/ready")];
      return live !== "refused" && ready !== "refused" && live.status === 200 && ready.status === 200;
    }, 30_000, 250);

  before(async () => {
    redis = await startRedis();
    await relay.up();
    sup = await startSupervisor({ stack, redisUrl: redis.url, extra: { DOCKER_SOCKET: relay.path, DORMER_EXHAUSTED_EXIT_SECONDS: "300" } });
    await healthy("a healthy start");
  });

  afterEach(release);
  after(async () => {
    release();
    await sup?.stop().catch(() => undefined);
    await relay.down();
    fs.rmSync(path.dirname(relay.path), { recursive: true, force: true });
    await removeStack(stack);
    await redis?.stop();
  });

  it("reports its descriptors in /live, /ready and /metrics", async () => {
    const ready = await ask(sup, "/ready");
    assert.ok(ready !== "refused");
    assert.deepEqual({ ready: ready.body.ready, accepting: ready.body.accepting }, { ready: true, accepting: true });
    assert.ok(ready.body.fds!.open > 0 && ready.body.fds!.limit > ready.body.fds!.open, JSON.stringify(ready.body));
    const metrics = await (await fetch(`${sup.url}/metrics`, { headers: { authorization: `Bearer ${sup.adminToken}` } })).text();
    const open = Number(/^process_open_fds (\d+)$/m.exec(metrics)?.[1]);
    assert.ok(Math.abs(open - openFds(sup.pid)) < 10, `process_open_fds ${open} vs /proc ${openFds(sup.pid)}`);
    assert.match(metrics, /^process_max_fds \d+$/m);
  });

  it("fails /live and /ready near its open-files limit, refuses past it without dying, and recovers when sockets go", async () => {
    const limit = openFds(sup.pid) + 80;
    execFileSync("prlimit", ["--pid", String(sup.pid), `--nofile=${limit}:${limit}`]);
    // Within the reserve (16 of this limit) but with room to answer: a 503 that says why.
    await hold(sup.port, limit - 10 - openFds(sup.pid), held);
    // A client's connect completes in the kernel's backlog before the supervisor accepts it, and fetch may ask
    // on a kept-alive connection that is served first: count what the supervisor really holds before asking.
    await waitFor("the supervisor to accept the held sockets", async () => openFds(sup.pid) >= limit - 10, 10_000, 50);
    for (const route of ["/live", "/ready"] as const) {
      const answer = await ask(sup, route);
      assert.ok(answer !== "refused", `${route} answered`);
      assert.equal(answer.status, 503, JSON.stringify(answer.body));
      assert.equal(answer.body.accepting, false);
      assert.equal(answer.body.fds!.limit, limit);
    }
    // Past the limit: every new connection is refused, health checks included, and the process lives on.
    await hold(sup.port, 30, held);
    await waitFor(`the supervisor at its limit of ${limit}`, async () => openFds(sup.pid) >= limit - 1, 10_000, 50);
    for (const route of ["/live", "/ready"] as const) {
      const answer = await ask(sup, route);
      assert.ok(answer === "refused" || answer.status === 503, `${route}: ${JSON.stringify(answer)}`);
    }
    assert.equal(sup.exitCode(), null, "still running");
    release();
    await healthy("health back once the sockets are gone");
    assert.match(sup.logs(), /"msg":"out of file descriptors"/);
  });

  it("fails /live and /ready while Redis is down, and passes again once it is back", async () => {
    await redis.stop();
    const down = await waitFor("/ready to fail without Redis", async () => {
      const r = await ask(sup, "/ready");
      return r !== "refused" && r.status === 503 && r;
    }, 15_000, 250);
    assert.deepEqual({ redis: down.body.redis_ok, docker: down.body.docker_ok, accepting: down.body.accepting }, { redis: false, docker: true, accepting: true });
    const live = await ask(sup, "/live");
    assert.ok(live !== "refused" && live.status === 503 && live.body.live === false);
    await redis.restart();
    await healthy("health back with Redis");
  });

  it("fails /live and /ready while the Docker socket is unreachable, and passes again once it is back", async () => {
    await relay.down();
    const down = await waitFor("/ready to fail without Docker", async () => {
      const r = await ask(sup, "/ready");
      return r !== "refused" && r.status === 503 && r;
    }, 15_000, 250);
    assert.deepEqual({ redis: down.body.redis_ok, docker: down.body.docker_ok }, { redis: true, docker: false });
    const live = await ask(sup, "/live");
    assert.ok(live !== "refused" && live.status === 503 && live.body.live === false);
    await relay.up();
    await healthy("health back with Docker");
  });
});

describe("runtime: a supervisor out of descriptors for too long exits, so its restart policy restarts it", function () {
  this.timeout(120_000);
  const stack = `rt${crypto.randomBytes(3).toString("hex")}`;
  let redis: RedisServer;
  let sup: RunningSupervisor;
  const held: net.Socket[] = [];

  before(async () => {
    redis = await startRedis();
    sup = await startSupervisor({ stack, redisUrl: redis.url, extra: { DORMER_EXHAUSTED_EXIT_SECONDS: "3" } });
  });
  after(async () => {
    held.forEach((s) => s.destroy());
    await sup?.kill().catch(() => undefined);
    await removeStack(stack);
    await redis?.stop();
  });

  it("exits non-zero after DORMER_EXHAUSTED_EXIT_SECONDS at its limit, saying why", async () => {
    const limit = openFds(sup.pid) + 40;
    execFileSync("prlimit", ["--pid", String(sup.pid), `--nofile=${limit}:${limit}`]);
    await hold(sup.port, 60, held);
    const code = await waitFor("the supervisor to exit", async () => sup.exitCode() ?? undefined, 20_000, 200);
    assert.equal(code, 1);
    assert.match(sup.logs(), /"msg":"file descriptors exhausted; exiting so the container restarts"/);
  });
});
