import { Invocation } from "../args";
import { openDormerStack } from "../project";
import { changeLine, seconds } from "../report";

export async function refresh(inv: Invocation): Promise<number> {
  const stack = await openDormerStack(inv.stack, { runsProgram: false });
  const started = Date.now();
  const result = await stack.refresh({ onOutput: (s) => process.stdout.write(s) });
  console.log(`\ndormer refresh (${inv.stack}): ${changeLine(result.summary.resourceChanges)} in ${seconds(Date.now() - started)}`);
  return 0;
}
