import { Invocation } from "../args";
import { openDormerStack } from "../project";
import { changeLine, seconds } from "../report";
import { untilEngineStops } from "../engine-signals";

export async function refresh(inv: Invocation): Promise<number> {
  const stack = await openDormerStack(inv.stack, { runsProgram: false });
  const started = Date.now();
  const result = await untilEngineStops(({ signal, onOutput }) => stack.refresh({ onOutput, signal }));
  console.log(`\ndormer refresh (${inv.stack}): ${changeLine(result.summary.resourceChanges)} in ${seconds(Date.now() - started)}`);
  return 0;
}
