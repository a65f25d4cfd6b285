import { EngineEvent } from "@pulumi/pulumi/automation";

/** What an engine operation run under `untilEngineStops` is given: its stop signal and where it reports. */
export interface EngineRun {
  signal: AbortSignal;
  /** The engine's events, which say what it does (cli/engine-display.ts). */
  onEvent: (event: EngineEvent) => void;
}

/** How long a SIGINT is left to reach the engine by itself (a terminal's ^C goes to the whole process group). */
const OWN_SIGINT_MS = 1000;

/**
 * Runs one state-changing engine operation so that a stop request never costs the stack's record of it.
 *
 * The engine records the stack's state once, when the operation ends (PULUMI_SKIP_CHECKPOINTS, cli/stack.ts):
 * a SIGINT or SIGTERM makes it finish the steps under way and write that record, but only if it outlives the
 * request. If the CLI exited first, the engine would lose the inline program and the pipe it reports on, and
 * die before writing. So the CLI passes the request on once (unless the engine already has it: a second one
 * would make it terminate its plugins mid-step) and waits for it to end; every later request only says so.
 */
export async function untilEngineStops<T>(run: (engine: EngineRun) => Promise<T>, listen: (event: EngineEvent) => void): Promise<T> {
  const stop = new AbortController();
  let engineStopping = false;
  let asked = false;
  const onEvent = (event: EngineEvent) => {
    if (/received; (cancelling|terminating)/.test(event.stdoutEvent?.message ?? "")) engineStopping = true;
    listen(event);
  };
  const onSignal = (name: NodeJS.Signals) => {
    if (asked) {
      console.error(`\ndormer: ${name}: still waiting for the engine to record the stack's state (killing it now would lose that record)`);
      return;
    }
    asked = true;
    console.error(`\ndormer: ${name}: stopping; the engine finishes the steps under way and records the stack's state`);
    const pass = () => {
      if (!engineStopping) stop.abort();
    };
    if (name === "SIGINT") setTimeout(pass, OWN_SIGINT_MS).unref();
    else pass();
  };
  const signals: NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP"];
  for (const s of signals) process.on(s, onSignal);
  try {
    return await run({ signal: stop.signal, onEvent });
  } finally {
    for (const s of signals) process.off(s, onSignal);
  }
}
