import * as path from "path";
import { policies } from "../policy/rules";
import { repoRoot } from "./paths";
import { PlannedStep, PolicyFinding } from "./plan";
import { PolicyRule } from "./review/comment";

/** The policy pack every preview and up runs (`policyPacks` of the Automation API). */
export const policyPackDir = path.join(repoRoot, "policy");
const PACK = "dormer";

/** Checks of the plan itself, which a policy pack cannot make: it sees each resource, not what happens to it. */
const PLAN_PACK = "dormer-plan";
/** A plan that replaces this many tenants at once is worth a second look (and a quiet hour to apply). */
export const MANY_REPLACED = 5;

export function policyRules(): PolicyRule[] {
  return [
    ...policies.map((p) => ({ pack: PACK, name: p.name, level: p.enforcementLevel === "mandatory" ? ("mandatory" as const) : ("advisory" as const) })),
    { pack: PLAN_PACK, name: "few-tenants-replaced-at-once", level: "advisory" },
  ];
}

/** Advisory findings about the plan as a whole. */
export function planFindings(steps: readonly PlannedStep[]): PolicyFinding[] {
  const replaced = [
    ...new Set(steps.filter((s) => s.tenant && s.op === "replace" && s.type === "docker:index/container:Container").map((s) => s.tenant)),
  ];
  if (replaced.length < MANY_REPLACED) return [];
  return [
    {
      policyPack: PLAN_PACK,
      policy: "few-tenants-replaced-at-once",
      level: "advisory",
      message:
        `${replaced.length} tenants' containers are replaced at once (${replaced.slice(0, 10).join(", ")}${replaced.length > 10 ? ", …" : ""}); ` +
        "every awake one among them is stopped and woken again on its next request: apply at a quiet hour",
    },
  ];
}

/** One line per mandatory violation for the terminal: the policy, then the tenant and property in its message. */
export function violationLines(findings: readonly PolicyFinding[]): string[] {
  return findings
    .filter((f) => f.level === "mandatory")
    .map((f) => `mandatory policy violated: ${f.policy} (${f.policyPack}): ${f.message}`);
}
