import { Invocation } from "../args";
import { EngineDisplay } from "../engine-display";
import { openDormerStack } from "../project";
import { changeLine, seconds } from "../report";
import { untilEngineStops } from "../engine-signals";
import { withoutEngineDisplay } from "../stack";

export async function down(inv: Invocation): Promise<number> {
  const stack = await openDormerStack(inv.stack, { runsProgram: false });
  const started = Date.now();
  const display = new EngineDisplay({ preview: false, diff: false, out: console.log, err: console.error });
  const result = await untilEngineStops(({ signal, onEvent }) => withoutEngineDisplay(stack).destroy({ onEvent, signal }), display.onEvent);
  console.log(`\ndormer down (${inv.stack}): ${changeLine(result.summary.resourceChanges)} in ${seconds(Date.now() - started)}`);
  console.log("tenant volumes are retained: list them with `docker volume ls --filter label=dormer.tenant`");
  return 0;
}
