import { ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { createConnection } from "node:net";
import { freePort } from "./ports";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface RedisServer {
  url: string;
  port: number;
  /** Its working directory: where the append-only file is, when it keeps one. */
  dir: string;
  /** Kills the server (SIGKILL, like a crash) and removes its directory. */
  stop(): Promise<void>;
  /**
   * Kills the server if running, even after stop(), and starts a new one on the same port: empty, or with
   * what its append-only file kept when started with `appendOnly`.
   */
  restart(): Promise<void>;
}

const answersPing = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const socket = createConnection({ host: "127.0.0.1", port });
    let reply = "";
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.on("error", () => done(false));
    socket.on("connect", () => socket.write("PING\r\n"));
    socket.on("data", (chunk) => {
      reply += chunk.toString();
      if (reply.includes("\r\n")) done(reply.startsWith("+PONG"));
    });
  });

/** A real, throwaway redis-server on loopback: its own temp dir, no persistence unless appendOnly. */
export async function startRedis(opts: { appendOnly?: boolean } = {}): Promise<RedisServer> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "dormer-redis-"));
  let child: ChildProcess | undefined;
  // mocha --exit ends the process without stop(); do not leave a server behind.
  const killOnExit = () => child?.kill("SIGKILL");

  const kill = async () => {
    const running = child;
    child = undefined;
    process.off("exit", killOnExit);
    if (!running || running.exitCode !== null || running.signalCode !== null) return;
    const exited = once(running, "exit");
    running.kill("SIGKILL");
    await exited;
  };

  const start = async () => {
    mkdirSync(dir, { recursive: true });
    let output = "";
    const proc = spawn(
      "redis-server",
      ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", opts.appendOnly ? "yes" : "no", "--appendfsync", "always", "--dir", dir, "--loglevel", "warning"],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    child = proc;
    process.on("exit", killOnExit);
    proc.stdout?.on("data", (c) => (output += c));
    proc.stderr?.on("data", (c) => (output += c));
    const deadline = Date.now() + 10_000;
    while (!(await answersPing(port))) {
      if (proc.exitCode !== null || Date.now() > deadline) {
        await kill();
        throw new Error(`redis-server did not start on port ${port}:\n${output}`);
      }
      await new Promise((r) => setTimeout(r, 25));
    }
  };

  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    dir,
    stop: async () => {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
    restart: async () => {
      await kill();
      await start();
    },
  };
}
