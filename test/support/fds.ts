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

/** The parent pid of a process, from /proc/<pid>/stat (its fourth field, after the parenthesised name). */
function parentOf(pid: number): number | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
  } catch {
    return undefined; // it exited since it was listed
  }
}

/**
 * Open descriptors of a container's main process and its descendants (nginx's master and workers, or node
 * alone). Processes Docker execs beside them, its health checks above all, come and go with their own
 * descriptors, so they are not counted: a check running at the wrong moment would look like a leak.
 */
export async function containerFds(container: string): Promise<number> {
  const main = await containerPid(container);
  const top = await docker.getContainer(container).top({ ps_args: "-o pid" });
  const pids = (top.Processes as string[][]).map(([pid]) => Number(pid));
  const parents = new Map(pids.map((pid) => [pid, parentOf(pid)] as const));
  const ofMain = (pid: number): boolean => {
    for (let p: number | undefined = pid; p !== undefined && parents.has(p); p = parents.get(p)) if (p === main) return true;
    return false;
  };
  return pids.filter(ofMain).reduce((sum, pid) => {
    try {
      return sum + openFds(pid);
    } catch {
      return sum; // a worker that exited after the listing holds nothing
    }
  }, 0);
}
