import { Invocation } from "../args";
import { PlanCollector } from "../plan";
import { openDormerStack } from "../project";
import { changeLine, seconds } from "../report";

export async function preview(inv: Invocation): Promise<number> {
  const stack = await openDormerStack(inv.stack, { runsProgram: true });
  const plan = new PlanCollector();
  const started = Date.now();
  const result = await stack.preview({
    diff: inv.diff,
    onEvent: plan.onEvent,
    // With --json, stdout carries only the JSON document, so CI can parse it.
    onOutput: (s) => (inv.json ? process.stderr : process.stdout).write(s),
  });
  if (inv.json) {
    console.log(JSON.stringify({ stack: inv.stack, changeSummary: result.changeSummary, steps: plan.steps }, null, 2));
  } else {
    console.log(`\ndormer preview (${inv.stack}): ${changeLine(result.changeSummary, true)} (${seconds(Date.now() - started)})`);
  }
  return 0;
}
