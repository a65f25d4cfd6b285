import { execFileSync } from "node:child_process";
import * as path from "node:path";
import Docker from "dockerode";
import { PrivateDockerd, privateSocketPath, startPrivateDockerd } from "./private-dockerd";

const script = path.resolve(__dirname, "..", "..", "scripts", "swarm.sh");

/**
 * The swarm the tests use: a manager on a dockerd of the test process's own, never the host's engine. Taking
 * the host's engine out of swarm mode again (`docker swarm leave`) breaks name resolution for every container
 * it runs on a user-defined network (Docker 20.10), a running local stack's included.
 */
export const SWARM_SOCKET = privateSocketPath();
export const swarmDocker = new Docker({ socketPath: SWARM_SOCKET });

/** The container a task runs in, once the node has made it. */
export const taskContainer = (task: Docker.Task | undefined): string | undefined =>
  (task as { Status?: { ContainerStatus?: { ContainerID?: string } } } | undefined)?.Status?.ContainerStatus?.ContainerID;

// One per test run, shared by the files that need it: starting it and copying images in takes seconds.
let daemon: Promise<PrivateDockerd> | undefined;

function shared(): Promise<PrivateDockerd> {
  daemon ??= startPrivateDockerd().then((d) => {
    process.once("exit", () => d.stop());
    try {
      execFileSync("bash", [script, "init"], { env: { ...process.env, DOCKER_HOST: d.host }, stdio: ["ignore", "ignore", "inherit"] });
    } catch (err) {
      d.stop();
      throw err;
    }
    return d;
  });
  return daemon;
}

// Registered on the root suite (this module is first loaded while mocha reads the test files): after the last file.
after(async function () {
  this.timeout(60_000);
  if (daemon) (await daemon.catch(() => undefined))?.stop();
});

export interface SwarmUse {
  /** Images the file's tests run; each is made on the host's engine here (before DOCKER_HOST moves) and copied in. */
  images: () => string[];
  /** The file's own cleanup, with DOCKER_HOST still at the swarm. */
  cleanup?: () => Promise<void>;
}

/**
 * Mocha hooks for a file whose tests need a swarm manager: the private one, and while the file's tests run,
 * DOCKER_HOST points at it, so the docker CLI and the docker stand-in (in this process or under the engine) talk
 * to it as a user's would to theirs. Clients in the tests use swarmDocker.
 */
export function useSwarm({ images, cleanup }: SwarmUse): void {
  const hostEnv = process.env.DOCKER_HOST;
  before(async function () {
    this.timeout(10 * 60_000);
    const wanted = images();
    const d = await shared();
    await d.load(wanted);
    process.env.DOCKER_HOST = d.host;
  });
  after(async function () {
    this.timeout(90_000);
    try {
      await cleanup?.();
    } finally {
      if (hostEnv === undefined) delete process.env.DOCKER_HOST;
      else process.env.DOCKER_HOST = hostEnv;
    }
  });
}
