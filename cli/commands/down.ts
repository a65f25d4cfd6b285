import { Invocation } from "../args";
import { openDormerStack } from "../project";
import { changeLine, seconds } from "../report";
import { runOperation } from "../operation";

export async function down(inv: Invocation): Promise<number> {
  const stack = await openDormerStack(inv.stack, { runsProgram: false });
  const started = Date.now();
  const result = await runOperation(stack, { diff: false }, (s, { signal, onEvent }) => s.destroy({ onEvent, signal }));
  console.log(`\ndormer down (${inv.stack}): ${changeLine(result.summary.resourceChanges)} in ${seconds(Date.now() - started)}`);
  console.log("tenant volumes are retained: list them with `docker volume ls --filter label=dormer.tenant`");
  return 0;
}
