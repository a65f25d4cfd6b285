import * as fs from "fs";
import { log } from "./log";

export interface DescriptorState {
  open: number;
  /** The process's soft open-files limit (RLIMIT_NOFILE), read anew each time: an operator may raise it live. */
  limit: number;
  /** False when too few descriptors are left to accept connections and reach Docker and Redis. */
  accepting: boolean;
}

// A descriptor error this recent means connections are being refused (accept) or cannot be made (Docker, Redis).
const EMFILE_MEMORY_MS = 10_000;
const isExhaustion = (err: unknown) => ["EMFILE", "ENFILE"].includes((err as NodeJS.ErrnoException)?.code ?? "");

/** What is left of the limit before the supervisor counts itself unable to accept: 2 %, at least 16, at most 256. */
export function reserveOf(limit: number): number {
  return Math.min(256, Math.max(16, Math.ceil(limit / 50)));
}

function softLimit(): number {
  const line = fs.readFileSync("/proc/self/limits", "utf8").split("\n").find((l) => l.startsWith("Max open files"));
  const soft = Number(line?.split(/\s{2,}/)[1]);
  if (!Number.isFinite(soft)) throw new Error(`cannot read the open-files limit from /proc/self/limits: ${line}`);
  return soft;
}

/**
 * This process's descriptors against its limit. Near the limit (or out of it: counting them needs a
 * descriptor too) it cannot accept, nor reach Docker or Redis, for every tenant at once; health says so.
 */
export class Descriptors {
  private lastExhaustion = 0;

  /** Accept errors and failed connects report here; anything but running out of descriptors is not ours. */
  noteError(err: unknown): boolean {
    if (!isExhaustion(err)) return false;
    if (Date.now() - this.lastExhaustion > EMFILE_MEMORY_MS) log.error("out of file descriptors", { error: String(err) });
    this.lastExhaustion = Date.now();
    return true;
  }

  state(): DescriptorState {
    try {
      const open = fs.readdirSync("/proc/self/fd").length;
      const limit = softLimit();
      const recent = Date.now() - this.lastExhaustion < EMFILE_MEMORY_MS;
      return { open, limit, accepting: !recent && open < limit - reserveOf(limit) };
    } catch (err) {
      if (!this.noteError(err)) throw err;
      return { open: -1, limit: -1, accepting: false };
    }
  }

  /**
   * Docker does not restart an unhealthy container, only one that exited: when descriptors stay exhausted
   * this long, exit (non-zero) so the restart policy gives every tenant a working supervisor again.
   */
  exitWhenStuck(afterMs: number, exit: (state: DescriptorState) => void): () => void {
    let since: number | undefined;
    const timer = setInterval(() => {
      const state = this.state();
      if (state.accepting) since = undefined;
      else if (since === undefined) since = Date.now();
      else if (Date.now() - since >= afterMs) exit(state);
    }, Math.min(1000, afterMs));
    timer.unref();
    return () => clearInterval(timer);
  }
}
