import { EngineEvent, Stack } from "@pulumi/pulumi/automation";
import { EngineDisplay } from "./engine-display";
import { EngineRun, untilEngineStops } from "./engine-signals";
import { withoutEngineDisplay } from "./stack";

/**
 * Runs one state-changing operation of the stack (up, destroy, refresh) as the CLI shows it: the engine's own
 * display off and each resource printed as it is done (cli/engine-display.ts), and a stop request passed on
 * so that the engine still records the stack's state (cli/engine-signals.ts). `also` sees every event too.
 */
export function runOperation<T>(
  stack: Stack,
  opts: { diff: boolean; also?: (event: EngineEvent) => void },
  operation: (stack: Stack, engine: EngineRun) => Promise<T>,
): Promise<T> {
  const display = new EngineDisplay({ preview: false, diff: opts.diff, out: console.log, err: console.error });
  return untilEngineStops(
    (engine) => operation(withoutEngineDisplay(stack), engine),
    (event) => {
      opts.also?.(event);
      display.onEvent(event);
    },
  );
}
