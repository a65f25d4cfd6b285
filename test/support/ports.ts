import { once } from "node:events";
import { connect, createServer } from "node:net";

/** A loopback port nobody listens on right now. */
export const freePort = async (): Promise<number> => {
  const server = createServer().listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, "close");
  return port;
};

/** Opens a TCP connection to a loopback port and says how it went: "open" or the error's code. */
export function tryConnect(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port }, () => {
      socket.destroy();
      resolve("open");
    });
    socket.on("error", (err: NodeJS.ErrnoException) => resolve(err.code ?? String(err)));
  });
}
