import { PlannedStep, PolicyFinding } from "../plan";
import { changeLine } from "../report";
import { code, fromTo } from "./cells";
import { groupSteps, isAddition, isRemoval, resourceLabel, resourceSteps, StepGroup } from "./groups";
import { warningLines } from "./warnings";

/** GitHub refuses comments over 65 536 characters; the rest is headroom for the workflow's own words. */
export const COMMENT_LIMIT = 60_000;

/** A policy the run enforced, so the table can say it passed when nothing was found. */
export interface PolicyRule {
  pack: string;
  name: string;
  level: "advisory" | "mandatory";
}

export interface CommentInput {
  stack: string;
  counts: Record<string, number>;
  steps: readonly PlannedStep[];
  rules: readonly PolicyRule[];
  findings: readonly PolicyFinding[];
  /** Where a reader finds what was left out, e.g. "the job summary of this workflow run". */
  fullOutput: string;
  /** Characters at most; tenant sections go first, last one first, never the counts or warnings. */
  limit?: number;
  /** Which tenants the preview looked at (cli/run-scope.ts scopeLine), shown under the counts. */
  scope?: string;
}

/** The hidden line a workflow looks for to update its own earlier comment instead of adding one. */
export function marker(stack: string): string {
  return `<!-- dormer-preview stack=${stack} -->`;
}

function opsOf(steps: readonly PlannedStep[]): string {
  const counts: Record<string, number> = {};
  for (const s of steps) counts[s.op] = (counts[s.op] ?? 0) + 1;
  return changeLine(counts, true);
}

function row(cells: string[]): string {
  return `| ${cells.join(" | ")} |`;
}

/** What a new tenant's container gets, so its section says more than "create". */
const CREATED_FACTS = new Set(["image", "memory", "cpus"]);

function created(step: PlannedStep): string {
  const facts = step.type === "docker:index/container:Container" ? step.changes.filter((c) => CREATED_FACTS.has(c.property)) : [];
  return facts.map((c) => `${c.property} ${fromTo(undefined, c.to)[1]}`).join(", ");
}

function stepRows(step: PlannedStep): string[] {
  const label = resourceLabel(step);
  if (step.op === "update" || step.op === "replace") {
    if (step.changes.length === 0) return [row([label, step.op, "", "", ""])];
    return step.changes.map((c) => {
      const [from, to] = fromTo(c.from, c.to);
      return row([label, c.replaces ? "**replace**" : step.op, code(c.property), from, to]);
    });
  }
  return [row([label, step.op === "delete" && step.retainOnDelete ? "delete from state, kept in Docker" : step.op, "", "", created(step)])];
}

function section(title: string, group: StepGroup): string {
  const steps = resourceSteps(group);
  const what = group.tenant === undefined ? "" : isAddition(group) ? " (new tenant)" : isRemoval(group) ? " (removed)" : "";
  return [
    `<details><summary><b>${title}</b>${what}: ${opsOf(steps)}</summary>`,
    "",
    row(["resource", "change", "property", "from", "to"]),
    row(["---", "---", "---", "---", "---"]),
    ...steps.flatMap(stepRows),
    "",
    "</details>",
  ].join("\n");
}

function policyTable(rules: readonly PolicyRule[], findings: readonly PolicyFinding[]): string {
  const lines = [row(["result", "policy", "level", "where", "message"]), row(["---", "---", "---", "---", "---"])];
  const known = new Set(rules.map((r) => `${r.pack}/${r.name}`));
  const unlisted = findings.filter((f) => !known.has(`${f.policyPack}/${f.policy}`));
  for (const rule of [...rules, ...unlisted.map((f) => ({ pack: f.policyPack, name: f.policy, level: f.level }))]) {
    const found = findings.filter((f) => f.policyPack === rule.pack && f.policy === rule.name);
    if (found.length === 0) {
      if (known.has(`${rule.pack}/${rule.name}`)) lines.push(row(["✅ passed", code(rule.name), rule.level, "", ""]));
      continue;
    }
    for (const f of found) {
      const result = f.level === "mandatory" ? "❌ **violated**" : "⚠️ advisory";
      const where = f.tenant !== undefined ? `tenant **${f.tenant}**` : f.urn !== undefined ? code(f.urn.split("::").pop() ?? f.urn) : "stack";
      lines.push(row([result, code(f.policy), f.level, where, f.message.replace(/\|/g, "&#124;").replace(/\n+/g, " ")]));
    }
  }
  return lines.join("\n");
}

/** The pull-request comment: counts, warnings, one section per tenant and one for the platform, policy results. */
export function renderComment(input: CommentInput): string {
  const limit = input.limit ?? COMMENT_LIMIT;
  const { tenants, platform } = groupSteps(input.steps);
  const warnings = warningLines(tenants, platform);
  const violated = input.findings.some((f) => f.level === "mandatory");
  const head = [
    marker(input.stack),
    `## dormer preview: stack \`${input.stack}\``,
    "",
    `**${changeLine(input.counts, true)}**`,
    ...(input.scope ? ["", `<sub>${input.scope}</sub>`] : []),
    ...(violated ? ["", "> [!CAUTION]", "> A mandatory policy is violated: this change cannot be applied as it is (see **Policy** below)."] : []),
    ...(warnings.length > 0
      ? ["", "> [!WARNING]", "> **Replacements and deletions**", ...warnings.map((w) => `> - ${w}`)]
      : []),
  ].join("\n");
  const changedTenants = tenants.filter((g) => resourceSteps(g).length > 0);
  const tenantSections = changedTenants.map((g) => section(g.tenant ?? "", g));
  const tail = [
    ...(platform.steps.length > 0 ? ["### Platform", section("platform (gateway, supervisor, Redis, tunnel)", platform)] : []),
    "### Policy",
    policyTable(input.rules, input.findings),
  ].join("\n\n");
  const assemble = (kept: string[], left: number) =>
    [
      head,
      ...(changedTenants.length > 0 ? [`### Tenants (${changedTenants.length} changed)`] : []),
      ...kept,
      ...(left > 0
        ? [`_${left} of ${changedTenants.length} tenant sections are left out to keep this comment under ${limit} characters; the full preview is in ${input.fullOutput}._`]
        : []),
      tail,
    ].join("\n\n") + "\n";
  const kept = [...tenantSections];
  let text = assemble(kept, 0);
  while (text.length > limit && kept.length > 0) {
    kept.pop();
    text = assemble(kept, tenantSections.length - kept.length);
  }
  return text;
}
