// What a swarm stack needs of the engine it is declared on, checked before the engine or any plugin runs.
import type Dockerode from "dockerode";

interface EngineInfo {
  Name?: string;
  Swarm?: { LocalNodeState?: string; ControlAvailable?: boolean };
}

/**
 * The problems of the engine a swarm stack is declared on: it must be a manager, and it must give every
 * container no-new-privileges. A docker stack sets that on each tenant's container; a service cannot ask for
 * it (Docker 20.10's service API has no such field), so on a swarm the node's engine has to, and its info does
 * not say whether it does: `noNewPrivileges` is what a container it ran found in its own status.
 */
export function managerProblems(info: EngineInfo, noNewPrivileges: boolean): string[] {
  const problems: string[] = [];
  const name = info.Name ? ` (${info.Name})` : "";
  if (info.Swarm?.LocalNodeState !== "active" || !info.Swarm.ControlAvailable) {
    problems.push(`the engine${name} is not a swarm manager (its swarm state: ${info.Swarm?.LocalNodeState ?? "unknown"}); make it one with \`bash scripts/swarm.sh init\` or point DOCKER_HOST at a manager`);
  }
  if (!noNewPrivileges) {
    problems.push(`the engine${name} does not give its containers no-new-privileges, which a swarm service cannot ask for: set "no-new-privileges": true in /etc/docker/daemon.json on every node and restart dockerd`);
  }
  return problems;
}

/** Whether a container the engine runs from `image` has no-new-privileges without asking for it. */
async function givesNoNewPrivileges(docker: Dockerode, image: string): Promise<boolean> {
  const probe = await docker.createContainer({
    Image: image,
    Entrypoint: ["grep", "^NoNewPrivs:", "/proc/self/status"],
    Cmd: [],
    Labels: { "dormer.probe": "no-new-privileges" },
    HostConfig: { NetworkMode: "none" },
  });
  try {
    await probe.start();
    await probe.wait();
    return /NoNewPrivs:\s*1/.test((await probe.logs({ stdout: true })).toString());
  } finally {
    await probe.remove({ force: true });
  }
}

/** Refuses a swarm stack's run on an engine that lacks what it needs, naming each problem. `image` is local. */
export async function checkSwarmManager(stack: string, image: string): Promise<void> {
  // Loaded here, for swarm stacks only: dockerode's gRPC and SSH code is a fifth of a large `validate`'s CPU.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const Docker = require("dockerode") as typeof Dockerode;
  const docker = new Docker();
  let info: EngineInfo;
  try {
    info = (await docker.info()) as EngineInfo;
  } catch (err) {
    throw new Error(`swarm stack "${stack}": no swarm manager answers at ${process.env.DOCKER_HOST ?? "the default socket"} (${(err as Error).message})`);
  }
  const problems = managerProblems(info, await givesNoNewPrivileges(docker, image));
  if (problems.length > 0) throw new Error(`swarm stack "${stack}":\n${problems.map((p) => `  - ${p}`).join("\n")}`);
}
