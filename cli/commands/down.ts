import { Invocation } from "../args";
import { openDormerStack } from "../project";
import { changeLine, seconds } from "../report";

export async function down(inv: Invocation): Promise<number> {
  const stack = await openDormerStack(inv.stack, { runsProgram: false });
  const started = Date.now();
  const result = await stack.destroy({ onOutput: (s) => process.stdout.write(s) });
  console.log(`\ndormer down (${inv.stack}): ${changeLine(result.summary.resourceChanges)} in ${seconds(Date.now() - started)}`);
  console.log("tenant volumes are retained: list them with `docker volume ls --filter label=dormer.tenant`");
  return 0;
}
