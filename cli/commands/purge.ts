import { Invocation } from "../args";
import { backupContext, currentBackupOf } from "../backup/operations";
import { removeVolumes, tenantOnDocker } from "../backup/tenant-docker";
import { loadTenantsFile } from "../../components/tenants-file";
import { openDormerStack } from "../project";
import { tenantsFileOf } from "../stack-config";

/**
 * dormer purge TENANT [--without-backup]: deletes the volumes a removed tenant left, only when a backup holds
 * exactly what they hold (or when told to go without one). A declared tenant is refused.
 */
export async function purge(inv: Invocation): Promise<number> {
  const [tenant] = inv.positional;
  if (!tenant || inv.positional.length > 1) throw new Error("purge needs one TENANT");
  const ctx = await backupContext(inv.stack, await openDormerStack(inv.stack, { runsProgram: false }));
  const file = tenantsFileOf(inv.stack);
  const declaredNow = loadTenantsFile(file).tenants.some((t) => t.id === tenant);
  const found = await tenantOnDocker(ctx.stack, tenant);
  if (declaredNow || ctx.declared.includes(tenant) || found.plan !== undefined) {
    const where = declaredNow ? `is declared in ${file}` : "is still on the stack: run dormer up first";
    console.error(`dormer purge: refused, tenant ${tenant} ${where}; only a removed tenant's volumes are purged`);
    return 1;
  }
  const names = Object.values(found.volumes);
  if (names.length === 0) {
    console.log(`tenant ${tenant} has no volumes on stack ${inv.stack}: nothing to purge`);
    return 0;
  }
  if (!inv.withoutBackup) {
    const backup = await currentBackupOf(ctx, tenant, found.volumes);
    if (!backup.file) {
      console.error(`dormer purge: refused, ${backup.why}. Run dormer backup ${tenant} --stack ${inv.stack} first, or purge with --without-backup to lose them`);
      return 1;
    }
    console.log(`tenant ${tenant}'s volumes are all in ${backup.file}`);
  }
  await removeVolumes(found.volumes);
  console.log(`purged tenant ${tenant}: removed volumes ${names.join(", ")}`);
  return 0;
}
