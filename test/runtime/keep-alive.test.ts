import { strict as assert } from "assert";
import * as crypto from "crypto";
import * as net from "net";
import { GATEWAY_UPSTREAM_IDLE_SECONDS, SUPERVISOR_KEEPALIVE_MS } from "../../runtime/http/keep-alive";
import { renderNginxConf } from "../../components/gateway-config";
import { RedisServer, startRedis } from "../support/redis-server";
import { RunningSupervisor, startSupervisor } from "../support/supervisor";

/** Sends one GET on the socket and resolves with the status line of its answer, or the way the socket ended. */
function get(socket: net.Socket, path: string): Promise<string> {
  return new Promise((resolve) => {
    let got = "";
    const onData = (chunk: Buffer) => {
      got += chunk.toString("latin1");
      if (got.includes("\r\n\r\n")) finish(got.split("\r\n")[0]!);
    };
    const finish = (what: string) => {
      socket.off("data", onData).off("close", onClose).off("error", onError);
      resolve(what);
    };
    const onClose = () => finish("closed by the supervisor");
    const onError = (err: NodeJS.ErrnoException) => finish(err.code ?? String(err));
    socket.on("data", onData).on("close", onClose).on("error", onError);
    socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
  });
}

describe("runtime: an idle kept-alive connection from the gateway is the gateway's to close", function () {
  this.timeout(60_000);
  let redis: RedisServer;
  let sup: RunningSupervisor;

  before(async () => {
    redis = await startRedis();
    sup = await startSupervisor({ stack: `ka${crypto.randomBytes(3).toString("hex")}`, redisUrl: redis.url });
  });
  after(async () => {
    await sup?.stop();
    await redis?.stop();
  });

  it("keeps a connection idle past Node's 5 s default open, so a request nginx sends on it is answered", async () => {
    const socket = net.connect(sup.port, "127.0.0.1");
    assert.match(await get(socket, "/live"), /^HTTP\/1\.1 200/);
    await new Promise((r) => setTimeout(r, 6500));
    assert.match(await get(socket, "/live"), /^HTTP\/1\.1 200/, "the same connection still serves");
    socket.destroy();
  });

  it("has the gateway drop idle upstream connections before the supervisor would", () => {
    assert.ok(GATEWAY_UPSTREAM_IDLE_SECONDS * 1000 < SUPERVISOR_KEEPALIVE_MS);
    const conf = renderNginxConf({
      supervisorHosts: ["s-1", "s-2"],
      supervisorPort: 8080,
      rateLimitPerMinute: 60,
      rateLimitBurst: 10,
      maxBodyMb: 10,
      platformHost: "127.0.0.1",
      tenantBaseDomain: "localhost",
      openFiles: 4096,
      workerConnections: 1024,
    });
    const upstream = /upstream supervisor \{[^}]*\}/.exec(conf)?.[0] ?? "";
    assert.match(upstream, new RegExp(`keepalive_timeout ${GATEWAY_UPSTREAM_IDLE_SECONDS}s;`));
  });
});
