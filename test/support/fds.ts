import * as fs from "fs";
import { docker, inspectContainer } from "./docker";

/** How many descriptors a process holds open right now (it must run on this host; tests run as root). */
export function openFds(pid: number): number {
  return fs.readdirSync(`/proc/${pid}/fd`).length;
}

/** The host pid of a running container's main process. */
export async function containerPid(container: string): Promise<number> {
  const pid = (await inspectContainer(container))?.State.Pid;
  if (!pid) throw new Error(`${container} is not running`);
  return pid;
}

/** Open descriptors of every process in a container (nginx's master and workers, or node alone). */
export async function containerFds(container: string): Promise<number> {
  const top = await docker.getContainer(container).top({ ps_args: "-o pid" });
  return (top.Processes as string[][]).reduce((sum: number, [pid]) => sum + openFds(Number(pid)), 0);
}
