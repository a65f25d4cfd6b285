import * as path from "path";
import { Invocation } from "../args";
import { tenantsFileOf } from "../project";
import { loadTenantsFile } from "../../components/tenants-file";

export async function validate(inv: Invocation): Promise<number> {
  const file = inv.positional[0] ? path.resolve(inv.positional[0]) : tenantsFileOf(inv.stack);
  const { plans, tenants } = loadTenantsFile(file);
  const count = (n: number, noun: string) => `${n} ${noun}${n === 1 ? "" : "s"}`;
  console.log(`${path.relative(process.cwd(), file) || file}: valid, ${count(tenants.length, "tenant")} on ${count(Object.keys(plans).length, "plan")}`);
  return 0;
}
