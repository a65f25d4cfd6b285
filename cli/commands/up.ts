import { Invocation } from "../args";
import { openDormerStack } from "../project";
import { changeLine, outputLines, seconds } from "../report";

export async function up(inv: Invocation): Promise<number> {
  const stack = await openDormerStack(inv.stack, { runsProgram: true });
  const started = Date.now();
  const result = await stack.up({ onOutput: (s) => process.stdout.write(s), diff: inv.diff });
  console.log(`\ndormer up (${inv.stack}): ${changeLine(result.summary.resourceChanges)} in ${seconds(Date.now() - started)}`);
  const lines = outputLines(result.outputs, false);
  if (lines.length) console.log(["outputs:", ...lines].join("\n"));
  console.log(`secrets: dormer outputs --stack ${inv.stack} --show-secrets`);
  return 0;
}
