import { Invocation } from "../args";
import { AdminClient, adminClientFor } from "../admin-client";
import type { UsageReport as Report } from "../../runtime/http/usage-report";

const CONCURRENCY = 16;

/** `dormer usage`: today's usage of every tenant, or one tenant's last --days days, from the admin API. */
export async function usage(inv: Invocation): Promise<number> {
  const client = await adminClientFor(inv.stack);
  const [tenant] = inv.positional;
  if (tenant) {
    const report = await client.get<Report>(`/tenants/${encodeURIComponent(tenant)}/usage?days=${inv.days ?? 7}`);
    console.log(inv.json ? JSON.stringify(report, null, 2) : tenantTable(report));
  } else {
    const reports = await allToday(client);
    console.log(inv.json ? JSON.stringify(reports, null, 2) : todayTable(reports));
  }
  return 0;
}

async function allToday(client: AdminClient): Promise<(Report & { state: string })[]> {
  const { tenants } = await client.get<{ tenants: { id: string; state: string }[] }>("/tenants");
  const out: (Report & { state: string })[] = [];
  const queue = [...tenants];
  await Promise.all(
    Array.from({ length: Math.min(CONCURRENCY, queue.length) }, async () => {
      for (let t = queue.shift(); t; t = queue.shift()) out.push({ ...(await client.get<Report>(`/tenants/${encodeURIComponent(t.id)}/usage?days=1`)), state: t.state });
    }),
  );
  return out.sort((a, b) => a.tenant.localeCompare(b.tenant));
}

export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toFixed(1)} ${units[u]}`;
}

export function duration(seconds: number): string {
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}

const quotaCell = (q: Report["quota"]) => (q.limit === "unlimited" ? "unlimited" : `${q.used ?? 0}/${q.limit}`);

function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ").trimEnd();
  return [line(head), ...rows.map(line)].join("\n");
}

export function todayTable(reports: (Report & { state: string })[]): string {
  const rows = reports.map((r) => {
    const d = r.days[r.days.length - 1];
    return [r.tenant, r.state, String(d.requests), quotaCell(r.quota), String(d.wakes), duration(d.awakeSeconds), bytes(d.bytesIn), bytes(d.bytesOut)];
  });
  return table(["TENANT", "STATE", "REQUESTS", "QUOTA TODAY", "WAKES", "AWAKE", "IN", "OUT"], rows);
}

export function tenantTable(report: Report): string {
  const rows = report.days.map((d) => [d.day, String(d.requests), String(d.wakes), duration(d.awakeSeconds), bytes(d.bytesIn), bytes(d.bytesOut)]);
  return `${report.tenant}: quota today ${quotaCell(report.quota)}\n${table(["DAY (UTC)", "REQUESTS", "WAKES", "AWAKE", "IN", "OUT"], rows)}`;
}
