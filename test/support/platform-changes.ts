import * as fs from "fs";
import YAML from "yaml";
import { StackFile } from "./stack-file";

/** The kinds of change `dormer up` applies to a live stack, in the order the e2e test and the bench apply them. */
export const PLATFORM_CHANGES = ["gateway rate limit", "supervisor idle cap", "tenant memory", "tenant cpus", "tenant egress"] as const;
export type PlatformChange = (typeof PLATFORM_CHANGES)[number];

export interface ChangeContext {
  stackFile: StackFile;
  tenantsFile: string;
  /** The awake tenant whose own settings change. */
  tenant: string;
  /** The new values of the two platform settings. */
  rateLimitPerMinute: number;
  maxIdleTimeoutSeconds: number;
  /** The tenant's new memory (MiB) and cpus. */
  memoryMb: number;
  cpus: number;
}

/** Edits the stack file or tenants.yaml as an operator would for that change; `dormer up` then applies it. */
export function editFor(change: PlatformChange, ctx: ChangeContext): void {
  switch (change) {
    case "gateway rate limit":
      return ctx.stackFile.set({ "dormer:rateLimitPerMinute": ctx.rateLimitPerMinute });
    case "supervisor idle cap":
      return ctx.stackFile.set({ "dormer:maxIdleTimeoutSeconds": ctx.maxIdleTimeoutSeconds });
    case "tenant memory":
      return editLimits(ctx, { memoryMb: ctx.memoryMb });
    case "tenant cpus":
      return editLimits(ctx, { cpus: ctx.cpus });
    case "tenant egress":
      return editLimits(ctx, { egress: true });
  }
}

function editLimits(ctx: ChangeContext, limits: Record<string, unknown>): void {
  const doc = YAML.parse(fs.readFileSync(ctx.tenantsFile, "utf8")) as { tenants: { id: string; limits?: Record<string, unknown> }[] };
  const tenant = doc.tenants.find((t) => t.id === ctx.tenant);
  if (!tenant) throw new Error(`${ctx.tenantsFile} declares no tenant ${ctx.tenant}`);
  tenant.limits = { ...tenant.limits, ...limits };
  fs.writeFileSync(ctx.tenantsFile, YAML.stringify(doc));
}
