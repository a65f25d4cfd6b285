import { Invocation } from "../args";
import { EngineDisplay } from "../engine-display";
import { openDormerStack } from "../project";
import { changeLine, seconds } from "../report";
import { untilEngineStops } from "../engine-signals";
import { withoutEngineDisplay } from "../stack";

export async function refresh(inv: Invocation): Promise<number> {
  const stack = await openDormerStack(inv.stack, { runsProgram: false });
  const started = Date.now();
  const display = new EngineDisplay({ preview: false, diff: inv.diff, out: console.log, err: console.error });
  const result = await untilEngineStops(({ signal, onEvent }) => withoutEngineDisplay(stack).refresh({ onEvent, signal }), display.onEvent);
  console.log(`\ndormer refresh (${inv.stack}): ${changeLine(result.summary.resourceChanges)} in ${seconds(Date.now() - started)}`);
  return 0;
}
