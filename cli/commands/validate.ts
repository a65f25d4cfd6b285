import * as path from "path";
import { Invocation } from "../args";
import { connectionBudgetOf, namesOf, orchestratorOf, subnetPoolOf, tenantSecretNamesOf, tenantsFileOf } from "../stack-config";
import { checkDisks } from "../disk-usage";
import { checkHostnames } from "../../components/hostnames";
import { plainCredentialWarnings } from "../env-values";
import { checkSecretsSet } from "../../components/tenant-secrets";
import { checkConnectionBudget } from "../../components/connection-budget";
import { checkOrchestrator } from "../../components/orchestrator";
import { loadTenantsFile } from "../../components/tenants-file";

export async function validate(inv: Invocation): Promise<number> {
  const file = inv.positional[0] ? path.resolve(inv.positional[0]) : tenantsFileOf(inv.stack);
  const validated = loadTenantsFile(file);
  const { plans, tenants } = validated;
  const { orchestrator, swarmNode } = orchestratorOf(inv.stack);
  checkOrchestrator(validated, orchestrator, swarmNode);
  const pool = subnetPoolOf(inv.stack);
  pool.checkCapacity(tenants.length);
  const budget = connectionBudgetOf(inv.stack);
  checkConnectionBudget(tenants, budget);
  checkSecretsSet(tenants, tenantSecretNamesOf(inv.stack), inv.stack);
  const names = namesOf(inv.stack);
  checkHostnames(tenants, names.platformHost, names.tenantBaseDomain);
  await checkDisks(inv.stack, file, validated);
  for (const warning of plainCredentialWarnings(tenants)) console.error(`warning: ${warning}`);
  const caps = tenants.reduce((sum, t) => sum + t.limits.maxConnections, 0);
  const count = (n: number, noun: string) => `${n} ${noun}${n === 1 ? "" : "s"}`;
  console.log(`${path.relative(process.cwd(), file) || file}: valid, ${count(tenants.length, "tenant")} on ${count(Object.keys(plans).length, "plan")}, room for ${pool.tenantCapacity} in ${pool.cidr} (stack ${inv.stack}), maxConnections ${caps} of the budget ${budget}`);
  return 0;
}
