import { Invocation } from "../args";
import { openDormerStack } from "../project";
import { up } from "./up";

const KEY_TYPE = "random:index/randomPassword:RandomPassword";
const TENANT_TYPE = "dormer:index:Tenant";

/**
 * Issues a tenant a new deploy-time key: an up that replaces the tenant's generated key, so its hash on the
 * tenant's container changes (the container is replaced, asleep, its volumes kept). The supervisor then
 * refuses the old key and every session it opened (runtime/http/gate.ts). Anything else tenants.yaml
 * changes is applied too, as by up: run preview first when the file has unapplied edits.
 */
export async function rotateKey(inv: Invocation): Promise<number> {
  const tenant = inv.positional[0];
  if (!tenant || inv.positional.length > 1) throw new Error("rotate-key needs exactly one TENANT (its id in tenants.yaml)");
  const stack = await openDormerStack(inv.stack, { runsProgram: false });
  const { deployment } = await stack.exportStack();
  const resources = (deployment?.resources ?? []) as Array<{ urn: string; type: string; parent?: string }>;
  const key = resources.find((r) => r.type === KEY_TYPE && r.urn.endsWith(`::${tenant}-key`) && r.parent?.endsWith(`${TENANT_TYPE}::${tenant}`));
  if (!key) {
    throw new Error(`stack ${inv.stack} has no key for tenant "${tenant}": is it in tenants.yaml and applied (dormer up --stack ${inv.stack})?`);
  }
  const code = await up({ ...inv, command: "up" }, `dormer rotate-key ${tenant}`, { replace: [key.urn], forced: [tenant] });
  if (code === 0) console.log(`tenant ${tenant} has a new key; the old one and its sessions no longer work`);
  return code;
}
