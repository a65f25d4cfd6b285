import * as http from "http";
import * as net from "net";

/**
 * Listens on exactly these addresses, never on every address: a tenant whose network the supervisor has
 * joined must find nothing listening there. The first address is the HTTP server's own (so close() drains
 * it as before); each other one is a plain listener handing its connections to the same server, closed with it.
 * The function returned stops accepting on every address at once (a draining supervisor refuses new
 * connections while it finishes the ones it has) and calls done once the last connection has ended.
 */
export async function listenOn(server: http.Server, port: number, hosts: readonly string[], onError: (err: Error) => void): Promise<(done: () => void) => void> {
  const [first, ...rest] = hosts;
  if (first === undefined) throw new Error("listenOn: no address to listen on");
  await bind(server, port, first);
  // Accept errors (EMFILE among them) arrive here once listening; unhandled, one would end the process.
  server.on("error", onError);
  const extra: net.Server[] = [];
  const closeExtra = () => extra.forEach((s) => s.listening && s.close());
  server.once("close", closeExtra);
  for (const host of rest) {
    const forward = net.createServer((socket) => server.emit("connection", socket));
    await bind(forward, port, host);
    forward.on("error", onError);
    extra.push(forward);
  }
  return (done) => {
    closeExtra();
    server.close(() => done());
  };
}

function bind(server: net.Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
}
