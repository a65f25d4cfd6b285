import * as path from "path";
import { Invocation } from "../args";
import { backupContext, backupTenant, BackupResult } from "../backup/operations";
import { openDormerStack } from "../project";
import { repoRoot } from "../paths";
import { seconds } from "../report";

/** One line naming the archive, its size and how fast it was written. */
export function backupLine(tenant: string, r: BackupResult): string {
  const mb = r.manifest.bytes / 1e6;
  return `backed up tenant ${tenant}: ${path.relative(process.cwd(), r.file) || r.file} (${r.manifest.files} files, ${mb.toFixed(1)} MB, ${seconds(r.ms)}, ${(mb / Math.max(r.ms / 1000, 0.001)).toFixed(1)} MB/s)`;
}

/** dormer backup TENANT | --all: an archive of each tenant's volumes, taken while it is held asleep. */
export async function backup(inv: Invocation): Promise<number> {
  if (inv.all === (inv.positional.length > 0)) throw new Error("backup needs one TENANT or --all");
  const ctx = await backupContext(inv.stack, await openDormerStack(inv.stack, { runsProgram: false }));
  const tenants = inv.all ? ctx.declared : inv.positional;
  if (tenants.length === 0) {
    console.log(`stack ${inv.stack} declares no tenants`);
    return 0;
  }
  let failed = 0;
  for (const tenant of tenants) {
    try {
      console.log(backupLine(tenant, await backupTenant(ctx, tenant)));
    } catch (err) {
      failed++;
      console.error(`dormer backup: tenant ${tenant}: ${(err as Error).message}`);
    }
  }
  if (inv.all) console.log(`${tenants.length - failed} of ${tenants.length} tenants backed up to ${path.relative(repoRoot, ctx.dir) || ctx.dir}`);
  return failed > 0 ? 1 : 0;
}
