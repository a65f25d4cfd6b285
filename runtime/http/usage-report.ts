import { DeclaredTenant } from "../engine/engine";
import { TenantEvents } from "../observe/tenant-events";
import { DayUsage, UsageLedger, withOngoingAwake } from "../observe/usage";
import { DailyQuota } from "../wake/quota";

export interface UsageSources {
  usage: UsageLedger;
  events: TenantEvents;
  quota: DailyQuota;
  usageRetentionDays: number;
}

export interface UsageReport {
  tenant: string;
  /** Oldest first, today last. */
  days: DayUsage[];
  /** Today's requests against the plan's daily quota. */
  quota: { limit: number; used: number; remaining: number } | { limit: "unlimited" };
}

/** `?days=N`: 7 unless asked, at most what the store keeps. */
export function daysAsked(raw: unknown, retentionDays: number): number {
  const n = Number(raw ?? 7);
  return Number.isInteger(n) && n >= 1 ? Math.min(n, retentionDays) : 7;
}

/** What a tenant used, day by day, with today's quota: for the admin API and for the tenant's own members. */
export async function usageReport(src: UsageSources, tenant: DeclaredTenant, days: number): Promise<UsageReport> {
  const [history, since, quota] = await Promise.all([src.usage.days(tenant.id, days), src.events.awakeSince(tenant.id), src.quota.today(tenant)]);
  return { tenant: tenant.id, days: withOngoingAwake(history, since), quota: quota ?? { limit: "unlimited" } };
}
