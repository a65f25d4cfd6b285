import { strict as assert } from "assert";
import * as http from "http";
import * as net from "net";
import { listenOn } from "../../runtime/http/listen";
import { freePort } from "../support/ports";

const rethrow = (err: Error) => {
  throw err;
};

/** Opens a TCP connection and reports how it went: "open" or the error code. */
function connect(host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port, timeout: 2000 }, () => {
      socket.destroy();
      resolve("open");
    });
    socket.on("timeout", () => {
      socket.destroy();
      resolve("timeout");
    });
    socket.on("error", (err: NodeJS.ErrnoException) => resolve(err.code ?? String(err)));
  });
}

// 127.0.0.0/8 is all loopback on Linux: three of its addresses stand in for "core network", "loopback" and
// "a tenant network the supervisor joined".
describe("runtime: the supervisor listens only where it is told", function () {
  let server: http.Server;
  let port: number;
  let stopAccepting: (done: () => void) => void;

  beforeEach(async () => {
    server = http.createServer((_req, res) => res.end("ok"));
    server.on("upgrade", (_req, socket) => socket.end("HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\nConnection: Upgrade\r\n\r\n"));
    port = await freePort();
    stopAccepting = await listenOn(server, port, ["127.0.0.2", "127.0.0.1"], rethrow);
  });
  afterEach(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it("answers on each given address, requests and upgrades alike", async () => {
    for (const host of ["127.0.0.2", "127.0.0.1"]) {
      const res = await fetch(`http://${host}:${port}/`);
      assert.equal(await res.text(), "ok");
      const status = await new Promise<number>((resolve, reject) => {
        http.get({ host, port, headers: { connection: "upgrade", upgrade: "x" } }).on("upgrade", (r, socket) => {
          socket.destroy();
          resolve(r.statusCode ?? 0);
        }).on("error", reject);
      });
      assert.equal(status, 101);
    }
  });

  it("refuses connections on any other address of the machine", async () => {
    assert.equal(await connect("127.0.0.3", port), "ECONNREFUSED");
  });

  it("stops accepting on every address at once while an open connection lasts, and says when it ended", async () => {
    // A request under way (its head half sent): close() leaves it alone, as it would an answer in flight.
    const open = net.connect({ host: "127.0.0.2", port });
    await new Promise((resolve) => open.once("connect", resolve));
    open.write("GET / HTTP/1.1\r\nHost: x\r\n");
    await new Promise((resolve) => setTimeout(resolve, 100));
    let ended = false;
    stopAccepting(() => (ended = true));
    assert.equal(await connect("127.0.0.1", port), "ECONNREFUSED");
    assert.equal(await connect("127.0.0.2", port), "ECONNREFUSED");
    assert.equal(ended, false, "a connection is still open");
    open.destroy();
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(ended, true);
    server = http.createServer();
    await listenOn(server, await freePort(), ["127.0.0.1"], rethrow);
  });

  it("stops listening on every address when the server closes", async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    assert.equal(await connect("127.0.0.1", port), "ECONNREFUSED");
    assert.equal(await connect("127.0.0.2", port), "ECONNREFUSED");
    server = http.createServer();
    await listenOn(server, await freePort(), ["127.0.0.1"], rethrow);
  });
});
