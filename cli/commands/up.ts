import { Invocation } from "../args";
import { backUpRemovedTenants } from "../backup/before-removal";
import { backupContext, BackupResult } from "../backup/operations";
import { backupOnRemoveOf, upBatchOf } from "../stack-config";
import { backupLine } from "./backup";
import { PlanCollector } from "../plan";
import { policyPackDir, violationLines } from "../policy";
import { recordMessage } from "../applied-record";
import { openScopedStack } from "../project";
import { scopeLine } from "../run-scope";
import { currentRecord } from "../record-source";
import { changeLine, outputLines, seconds } from "../report";
import { runOperation } from "../operation";

export interface UpOptions {
  /** URNs the engine replaces even without a change (rotate-key: a tenant's key). */
  replace?: string[];
  /** Tenants the up declares even when unchanged: those whose resources `replace` names. */
  forced?: string[];
}

export async function up(inv: Invocation, note = "dormer up", opts: UpOptions = {}): Promise<number> {
  const message = recordMessage(currentRecord(inv.stack), note);
  const opened = await openScopedStack(inv.stack, { full: inv.full, forced: opts.forced });
  console.log(scopeLine(opened.scope, opened.tenantIds.length));
  const started = Date.now();
  const ids = opened.tenantIds;
  const kept = new Set(ids);
  const removal = backupOnRemoveOf(inv.stack)
    ? await backUpRemovedTenants(await backupContext(inv.stack, opened.stack), kept)
    : { backups: new Map<string, BackupResult>(), release: async () => undefined };
  const backups = removal.backups;
  for (const [tenant, r] of backups) console.log(backupLine(tenant, r));
  const batches = batchesOf(opened.scope.kind === "full" ? ids : [...opened.scope.declared], upBatchOf(inv.stack), opts.forced ?? []);
  const changes: Record<string, number>[] = [];
  let result;
  try {
    for (const [i, batch] of batches.entries()) {
      // One batch: the tenants of the first scope, chosen again from what the last batch left.
      const run = batches.length === 1 ? opened : await opened.rescope({ full: false, only: batch });
      if (batches.length > 1) console.log(`batch ${i + 1} of ${batches.length}: ${batch.length} tenants (${batch[0]} … ${batch[batch.length - 1]})`);
      const plan = new PlanCollector();
      try {
        result = await runOperation(opened.stack, { diff: inv.diff, also: plan.onEvent }, (s, { signal, onEvent }) =>
          s.up({
            message,
            signal,
            onEvent,
            policyPacks: [policyPackDir],
            // The replaced resources are the forced tenants', all in the first batch.
            replace: i === 0 ? opts.replace : undefined,
            exclude: run.exclude,
          }),
        );
      } catch (err) {
        const violations = violationLines(plan.findings());
        if (violations.length === 0) throw err;
        // The engine stops at the first resource a mandatory policy refuses; say which, in one line each.
        for (const line of violations) console.error(line);
        return 1;
      }
      changes.push(result.summary.resourceChanges ?? {});
    }
  } finally {
    await removal.release();
  }
  const batched = batches.length > 1 ? ` in ${batches.length} batches of at most ${batches[0]!.length} tenants,` : "";
  console.log(`\ndormer up (${inv.stack}):${batched} ${changeLine(totalChanges(changes))} in ${seconds(Date.now() - started)}`);
  for (const [tenant, r] of backups) console.log(`removed tenant ${tenant}: its volumes are kept, and backed up in ${r.file} (dormer purge ${tenant} deletes them)`);
  const lines = outputLines(result!.outputs, false);
  if (lines.length) console.log(["outputs:", ...lines].join("\n"));
  console.log(`secrets: dormer outputs --stack ${inv.stack} --show-secrets`);
  return 0;
}

/**
 * The tenants of an up in batches of at most `size`, the forced ones first: each batch is one engine run, so
 * the CLI and the engine hold one batch's resources (an up of a thousand new tenants would otherwise hold
 * them all: docs/BENCHMARKS.md). One batch, possibly empty, when they fit.
 */
export function batchesOf(tenants: string[], size: number, forced: string[]): string[][] {
  const ordered = [...forced.filter((id) => tenants.includes(id)), ...tenants.filter((id) => !forced.includes(id))];
  if (ordered.length <= size) return [ordered];
  const batches: string[][] = [];
  for (let i = 0; i < ordered.length; i += size) batches.push(ordered.slice(i, i + size));
  return batches;
}

/**
 * The batches' changes together, without "unchanged": every batch counts the resources earlier ones created
 * as unchanged, so only the changes add up. One batch's are its own.
 */
function totalChanges(changes: Record<string, number>[]): Record<string, number> {
  if (changes.length === 1) return changes[0]!;
  const total: Record<string, number> = {};
  for (const c of changes) for (const [op, n] of Object.entries(c)) if (op !== "same") total[op] = (total[op] ?? 0) + n;
  return total;
}
