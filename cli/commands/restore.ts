import { Invocation } from "../args";
import { ArchiveError } from "../backup/archive";
import { backupContext, RestoreRefused, restoreTenant } from "../backup/operations";
import { openDormerStack } from "../project";
import { seconds } from "../report";

/** dormer restore TENANT ARCHIVE [--force-tenant]: verified first, then unpacked with the tenant held asleep. */
export async function restore(inv: Invocation): Promise<number> {
  const [tenant, archive] = inv.positional;
  if (!tenant || !archive || inv.positional.length > 2) throw new Error("restore needs a TENANT and an ARCHIVE");
  const ctx = await backupContext(inv.stack, await openDormerStack(inv.stack, { runsProgram: false }));
  try {
    const { manifest, ms } = await restoreTenant(ctx, tenant, archive, inv.forceTenant);
    const from = manifest.tenant === tenant ? "" : ` (an archive of tenant ${manifest.tenant})`;
    console.log(`restored tenant ${tenant} from ${archive}${from}, taken ${manifest.createdAt}: ${manifest.files} files, ${(manifest.bytes / 1e6).toFixed(1)} MB, checked, in ${seconds(ms)}`);
    return 0;
  } catch (err) {
    if (!(err instanceof ArchiveError || err instanceof RestoreRefused)) throw err;
    console.error(`dormer restore: ${err.message}`);
    return 1;
  }
}
