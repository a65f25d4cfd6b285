import { Invocation } from "../args";
import { backUpRemovedTenants } from "../backup/before-removal";
import { backupContext, BackupResult } from "../backup/operations";
import { loadTenantsFile } from "../../components/tenants-file";
import { backupOnRemoveOf, tenantsFileOf } from "../stack-config";
import { backupLine } from "./backup";
import { PlanCollector } from "../plan";
import { policyPackDir, violationLines } from "../policy";
import { recordMessage } from "../applied-record";
import { openScopedStack } from "../project";
import { scopeLine } from "../run-scope";
import { currentRecord } from "../record-source";
import { changeLine, outputLines, seconds } from "../report";
import { untilEngineStops } from "../engine-signals";

export interface UpOptions {
  /** URNs the engine replaces even without a change (rotate-key: a tenant's key). */
  replace?: string[];
  /** Tenants the up declares even when unchanged: those whose resources `replace` names. */
  forced?: string[];
}

export async function up(inv: Invocation, note = "dormer up", opts: UpOptions = {}): Promise<number> {
  const message = recordMessage(currentRecord(inv.stack), note);
  const { stack, scope, exclude, tenants } = await openScopedStack(inv.stack, { full: inv.full, forced: opts.forced });
  console.log(scopeLine(scope, tenants));
  const started = Date.now();
  const kept = new Set(loadTenantsFile(tenantsFileOf(inv.stack)).tenants.map((t) => t.id));
  const removal = backupOnRemoveOf(inv.stack)
    ? await backUpRemovedTenants(await backupContext(inv.stack, stack), kept)
    : { backups: new Map<string, BackupResult>(), release: async () => undefined };
  const backups = removal.backups;
  for (const [tenant, r] of backups) console.log(backupLine(tenant, r));
  const plan = new PlanCollector();
  let result;
  try {
    result = await untilEngineStops(({ signal, onOutput }) =>
      stack.up({ message, onOutput, signal, onEvent: plan.onEvent, diff: inv.diff, policyPacks: [policyPackDir], replace: opts.replace, exclude }),
    );
  } catch (err) {
    const violations = violationLines(plan.findings());
    if (violations.length === 0) throw err;
    // The engine stops at the first resource a mandatory policy refuses; say which, in one line each.
    for (const line of violations) console.error(line);
    return 1;
  } finally {
    await removal.release();
  }
  console.log(`\ndormer up (${inv.stack}): ${changeLine(result.summary.resourceChanges)} in ${seconds(Date.now() - started)}`);
  for (const [tenant, r] of backups) console.log(`removed tenant ${tenant}: its volumes are kept, and backed up in ${r.file} (dormer purge ${tenant} deletes them)`);
  const lines = outputLines(result.outputs, false);
  if (lines.length) console.log(["outputs:", ...lines].join("\n"));
  console.log(`secrets: dormer outputs --stack ${inv.stack} --show-secrets`);
  return 0;
}
