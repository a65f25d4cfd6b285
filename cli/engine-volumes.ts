// The Docker volume reads validate, preview and up make before the engine runs (components/disk-quota.ts).
// On the local socket they go straight to the engine's HTTP API: dockerode loads gRPC and SSH code when it
// is required, about a fifth of `dormer validate`'s CPU on a 1 000-tenant file (docs/BENCHMARKS.md).
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { socketVolumes } from "./socket-volumes";

export interface EngineVolumes {
  /** Does an engine answer? */
  reachable(): Promise<boolean>;
  /** The volume's `Status` (what its driver reports); undefined when there is no such volume. */
  status(name: string): Promise<Record<string, unknown> | undefined>;
  /** Names of the volumes whose name contains `part` (the engine's `name` filter). */
  names(part: string): Promise<string[]>;
}

/**
 * The engine DOCKER_HOST names, found as dockerode finds it. Anything but a local socket (tcp://, ssh://, TLS)
 * goes through dockerode, which speaks all of them.
 */
export function engineVolumes(env: NodeJS.ProcessEnv = process.env): EngineVolumes {
  const host = env.DOCKER_HOST;
  if (!host) return socketVolumes(defaultSocket());
  if (host.startsWith("unix://")) return socketVolumes(host.slice("unix://".length) || defaultSocket());
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require("./dockerode-volumes") as typeof import("./dockerode-volumes")).dockerodeVolumes();
}

/** Docker Desktop's per-user socket when there is one, else the system's. */
function defaultSocket(): string {
  const user = path.join(os.homedir(), ".docker", "run", "docker.sock");
  try {
    fs.accessSync(user);
    return user;
  } catch {
    return "/var/run/docker.sock";
  }
}
