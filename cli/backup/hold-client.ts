import * as crypto from "crypto";
import { AdminClient } from "../admin-client";

const HOLD_SECONDS = 60;
/** Renewed well before it lapses, so a slow copy never loses its hold. */
const RENEW_MS = 15_000;

/** A tenant held asleep until released; renewed meanwhile. */
export interface Hold {
  /** Why a renewal failed, if one did: the tenant may have woken since. */
  lost(): string | undefined;
  release(): Promise<void>;
}

/**
 * Holds a tenant asleep through the supervisor's admin API, renewing the hold until it is released. A tenant
 * the supervisor does not know has no container, so nothing can wake it: its hold is a no-op.
 */
export async function holdAsleep(api: AdminClient, tenant: string): Promise<Hold> {
  const token = crypto.randomBytes(16).toString("hex");
  const path = `/tenants/${encodeURIComponent(tenant)}/hold`;
  const call = (method: string, query: string) => api.send(method, `${path}?${query}`);
  const hold = () => call("POST", `token=${token}&seconds=${HOLD_SECONDS}`);
  const first = await hold();
  if (first.status === 404 && first.body.error === "unknown_tenant") return { lost: () => undefined, release: async () => undefined };
  if (first.status !== 200) throw new Error(`could not hold tenant ${tenant} asleep: ${first.status} ${first.body.message ?? ""}`.trim());
  let lost: string | undefined;
  const renew = setInterval(() => {
    void hold().then(
      (r) => (r.status === 200 ? undefined : (lost = `${r.status} ${r.body.message ?? ""}`)),
      (err: Error) => (lost = err.message),
    );
  }, RENEW_MS);
  return {
    lost: () => lost,
    release: async () => {
      clearInterval(renew);
      await call("DELETE", `token=${token}`).catch(() => undefined);
    },
  };
}

/** Runs `job` with the tenant held asleep, and ends the hold afterwards whatever happened. */
export async function whileHeld<T>(api: AdminClient, tenant: string, job: () => Promise<T>): Promise<T> {
  const hold = await holdAsleep(api, tenant);
  try {
    const result = await job();
    const lost = hold.lost();
    if (lost) throw new Error(`the hold on tenant ${tenant} could not be renewed (${lost}); the tenant may have woken during the copy`);
    return result;
  } finally {
    await hold.release();
  }
}
