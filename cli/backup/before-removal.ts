import { Hold, holdAsleep } from "./hold-client";
import { BackupContext, backupTenant, BackupResult } from "./operations";

export interface RemovalBackups {
  backups: Map<string, BackupResult>;
  /** Ends the holds: call once the update that removes the tenants is over. */
  release(): Promise<void>;
}

/**
 * Backs up every tenant the stack declares that `kept` no longer does, before `up` removes it, so a removal
 * always leaves an archive. Each stays held asleep until release(), so nothing it writes after its backup
 * is lost with the container. A failed backup is an error naming the tenant, with every hold released.
 */
export async function backUpRemovedTenants(ctx: BackupContext, kept: Set<string>): Promise<RemovalBackups> {
  const backups = new Map<string, BackupResult>();
  const holds: Hold[] = [];
  const release = async () => {
    for (const h of holds) await h.release();
  };
  try {
    for (const tenant of ctx.declared.filter((id) => !kept.has(id))) {
      try {
        holds.push(await holdAsleep(ctx.api, tenant));
        backups.set(tenant, await backupTenant(ctx, tenant, { held: true }));
      } catch (err) {
        throw new Error(`tenant ${tenant} would be removed, but backing it up first failed: ${(err as Error).message}\n` +
          "nothing was changed; set dormer:backupOnRemove to false in the stack's config to remove it without a backup");
      }
    }
  } catch (err) {
    await release();
    throw err;
  }
  return { backups, release };
}
