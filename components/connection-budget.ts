// The stack's connection budget and the descriptor limits sized from it. Shared by the Pulumi program and
// `dormer validate`, so it must not import @pulumi/*.
import type { TenantSpec } from "./tenants-file";

// Sized so the limits below (19 024) fit under a Docker daemon that itself may open 20 000 files, a common
// host limit: a container can never get more than its daemon has, and its create fails if it asks.
export const DEFAULT_CONNECTION_BUDGET = 9_000;
// Twice this plus the headroom stays under Linux's default fs.nr_open (1 048 576), the most a ulimit can be.
const MAX_BUDGET = 500_000;
/** The supervisor and the gateway each hold both ends of every connection they relay: client side and upstream. */
const FDS_PER_CONNECTION = 2;
/** Descriptors that are nobody's tenant connection: Docker API, Redis, health checks, listeners, logs, the runtime's own files. */
const HEADROOM = 1024;

export class ConnectionBudgetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConnectionBudgetError";
  }
}

/** dormer:maxConnections as a stack's config holds it (a number, or a string in YAML); absent means the default. */
export function connectionBudgetFrom(value: unknown): number {
  if (value === undefined || value === null) return DEFAULT_CONNECTION_BUDGET;
  const n = typeof value === "string" && value.trim() !== "" ? Number(value) : value;
  if (typeof n !== "number" || !Number.isInteger(n) || n < 1 || n > MAX_BUDGET) {
    throw new ConnectionBudgetError(`dormer:maxConnections: must be a whole number from 1 to ${MAX_BUDGET}, got ${JSON.stringify(value)}`);
  }
  return n;
}

/** The open-files limit (soft = hard) of the supervisor's and the gateway's containers for a budget. */
export function descriptorLimit(budget: number): number {
  return FDS_PER_CONNECTION * budget + HEADROOM;
}

/**
 * nginx's worker_connections: one worker may take every connection (accepts are not balanced), and each
 * relayed one counts twice (client and upstream); a quarter of the headroom is for the platform's origin.
 */
export function workerConnections(budget: number): number {
  return FDS_PER_CONNECTION * budget + HEADROOM / 4;
}

const grouped = (n: number) => n.toLocaleString("en-US").replace(/,/g, " ");

/**
 * Every tenant may hold its whole cap at once, so the caps must add up to no more than the budget the
 * descriptor limits are sized for: then no tenant can take the platform's last descriptor.
 */
export function checkConnectionBudget(tenants: readonly TenantSpec[], budget: number): void {
  const total = tenants.reduce((sum, t) => sum + t.limits.maxConnections, 0);
  if (total <= budget) return;
  const largest = [...tenants].sort((a, b) => b.limits.maxConnections - a.limits.maxConnections).slice(0, 5);
  const named = largest.map((t) => `${t.id} ${grouped(t.limits.maxConnections)}`).join(", ");
  const more = tenants.length > largest.length ? `, and ${tenants.length - largest.length} more` : "";
  throw new ConnectionBudgetError(
    `dormer:maxConnections: the ${tenants.length} tenants' maxConnections add up to ${grouped(total)} (${named}${more}), ` +
      `more than the stack's budget of ${grouped(budget)}: raise dormer:maxConnections in the stack's config or lower tenants' maxConnections`,
  );
}
