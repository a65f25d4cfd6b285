// A stop request to the bench (^C, `timeout`'s SIGTERM, a closed terminal) still ends with its stack taken
// down: the request is passed to the dormer CLI running at that moment (which has the engine finish its steps
// and record the state), the part under way fails at its next step, and its cleanup runs to the end.
import { ChildProcess } from "child_process";

const running = new Set<ChildProcess>();
let stopping: NodeJS.Signals | undefined;

function onSignal(name: NodeJS.Signals): void {
  if (stopping) {
    console.error(`bench: ${name}: still cleaning up after ${stopping}; the stack is being taken down`);
    return;
  }
  stopping = name;
  console.error(`bench: ${name}: stopping; the stack will be taken down`);
  for (const child of running) child.kill("SIGTERM");
}

/** Runs one part of the bench with stop requests handled as above; outside it they end the bench as usual. */
export async function stoppable<T>(part: () => Promise<T>): Promise<T> {
  const signals = ["SIGINT", "SIGTERM", "SIGHUP"] as const;
  for (const s of signals) process.on(s, onSignal);
  try {
    return await part();
  } finally {
    for (const s of signals) process.off(s, onSignal);
    // A stop request ends the bench once its cleanup has run.
    if (stopping) process.exitCode = 130;
  }
}

/** A CLI started for a measured step: a stop request is passed on to it. Cleanup steps are not tracked. */
export function track(child: ChildProcess): void {
  running.add(child);
  child.on("close", () => running.delete(child));
}

/** Throws once a stop was asked for, so the part under way goes straight to its cleanup. */
export function unlessStopped(): void {
  if (stopping) throw new Error(`bench stopped by ${stopping}`);
}
