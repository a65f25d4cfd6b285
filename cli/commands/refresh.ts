import { Invocation } from "../args";
import { openDormerStack } from "../project";
import { changeLine, seconds } from "../report";
import { runOperation } from "../operation";

export async function refresh(inv: Invocation): Promise<number> {
  const stack = await openDormerStack(inv.stack, { runsProgram: false });
  const started = Date.now();
  const result = await runOperation(stack, { diff: inv.diff }, (s, { signal, onEvent }) => s.refresh({ onEvent, signal }));
  console.log(`\ndormer refresh (${inv.stack}): ${changeLine(result.summary.resourceChanges)} in ${seconds(Date.now() - started)}`);
  return 0;
}
