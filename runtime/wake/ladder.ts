import { DeclaredTenant, UpState } from "../engine/engine";

/** What the reaper does next to an idle tenant: freeze it (light sleep) or stop it (deep sleep). */
export type Rung = "pause" | "stop";

/**
 * The sleep ladder, awake → paused → stopped, for a tenant nobody is using. idleMs is the time since its
 * last activity; maxIdleTimeoutSeconds caps the plan's idle timeout (a stack setting). A light sleep that
 * would not come before the deep one is skipped: the tenant goes straight to a stop.
 */
export function nextRung(tenant: DeclaredTenant, state: UpState, idleMs: number, maxIdleTimeoutSeconds?: number): Rung | undefined {
  const deepMs = Math.min(tenant.idleTimeoutSeconds, maxIdleTimeoutSeconds ?? Infinity) * 1000;
  if (idleMs > deepMs) return "stop";
  const lightMs = tenant.lightSleepSeconds === undefined ? Infinity : tenant.lightSleepSeconds * 1000;
  if (state === "running" && lightMs < deepMs && idleMs > lightMs) return "pause";
  return undefined;
}

/**
 * The paused tenants to stop so the memory paused tenants hold (the sum of their limits) fits capMb: least
 * recently used first. `paused` maps each paused tenant to its last activity and its memory in MiB.
 */
export function overCap(paused: Map<string, { last: number; memoryMb: number }>, capMb: number): string[] {
  let held = [...paused.values()].reduce((sum, p) => sum + p.memoryMb, 0);
  const out: string[] = [];
  for (const [id, p] of [...paused].sort((a, b) => a[1].last - b[1].last)) {
    if (held <= capMb) break;
    out.push(id);
    held -= p.memoryMb;
  }
  return out;
}
