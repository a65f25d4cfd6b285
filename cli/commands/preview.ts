import * as fs from "fs";
import { Invocation } from "../args";
import { EngineDisplay } from "../engine-display";
import { PlanCollector } from "../plan";
import { planFindings, policyPackDir, policyRules, violationLines } from "../policy";
import { openScopedStack } from "../project";
import { Scope, scopeLine } from "../run-scope";
import { changeLine, seconds } from "../report";
import { renderComment } from "../review/comment";
import { withoutEngineDisplay } from "../stack";

export async function preview(inv: Invocation): Promise<number> {
  const { stack, scope, exclude, tenantIds } = await openScopedStack(inv.stack, { full: inv.full });
  const plan = new PlanCollector();
  const started = Date.now();
  let engineText = "";
  // With --json or --markdown, stdout carries only that document, so CI can use it as it is.
  const quietStdout = inv.json || inv.markdown;
  const scoped = scopeLine(scope, tenantIds.length);
  (quietStdout ? process.stderr : process.stdout).write(`${scoped}\n`);
  const show = (line: string, to: NodeJS.WriteStream) => {
    engineText += `${line}\n`;
    to.write(`${line}\n`);
  };
  const display = new EngineDisplay({
    preview: true,
    diff: inv.diff,
    out: (line) => show(line, quietStdout ? process.stderr : process.stdout),
    err: (line) => show(line, process.stderr),
  });
  let failure: unknown;
  try {
    await withoutEngineDisplay(stack).preview({
      onEvent: (event) => {
        plan.onEvent(event);
        display.onEvent(event);
      },
      policyPacks: [policyPackDir],
      exclude,
    });
  } catch (err) {
    failure = err;
  }
  const findings = [...plan.findings(), ...planFindings(plan.steps)];
  const violations = violationLines(findings);
  // A failed preview is only answered here when a mandatory policy stopped it; anything else is an error.
  if (failure !== undefined && violations.length === 0) throw failure;

  const counts = plan.counts();
  const comment = (limit?: number) =>
    renderComment({
      stack: inv.stack,
      counts,
      steps: plan.steps,
      rules: policyRules(),
      findings,
      scope: scoped,
      fullOutput: inv.summaryFile ? "the job summary of this workflow run" : `the output of \`dormer preview --stack ${inv.stack} --markdown\``,
      limit,
    });
  if (inv.json) {
    console.log(JSON.stringify({ stack: inv.stack, changeSummary: counts, steps: plan.steps, policy: findings, scope: scopeJson(scope) }, null, 2));
  } else if (inv.markdown) {
    process.stdout.write(comment());
  } else {
    console.log(`\ndormer preview (${inv.stack}): ${changeLine(counts, true)} (${seconds(Date.now() - started)})`);
  }
  if (inv.summaryFile) {
    const full = `${comment(Infinity)}\n<details><summary>engine output</summary>\n\n\`\`\`\n${engineText.replace(/```/g, "ʼʼʼ")}\n\`\`\`\n\n</details>\n`;
    fs.appendFileSync(inv.summaryFile, full);
  }
  for (const line of violations) console.error(line);
  return violations.length > 0 ? 1 : 0;
}

/** The scope in --json: which tenants the preview left out, unchanged, and why a full one was full. */
function scopeJson(scope: Scope): Record<string, unknown> {
  return scope.kind === "full" ? { full: true, reason: scope.reason } : { full: false, declared: [...scope.declared], unchanged: scope.unchanged, removed: scope.removed };
}
