import { DeclaredTenant } from "../engine/engine";
import { LiveDirectory } from "../engine/directory";
import { ReplacementTimeoutError, TenantGoneError } from "../errors";
import { Ready, Waker } from "./waker";

/** Between two looks at a container that is still being removed. */
const RELOOK_MS = 50;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The tenant's address once it answers, holding the request while `dormer up` replaces its container
 * (deletes it, then creates the new one asleep): the new container is woken as any sleeping tenant is. The
 * hold is bounded by the tenant's wake timeout; past it the answer is a 503 naming the replacement.
 * Resolves with the declaration that answered, which may be the new container's.
 */
export async function readyThroughReplacement(
  waker: Waker,
  directory: LiveDirectory,
  declared: DeclaredTenant,
): Promise<{ tenant: DeclaredTenant; ready: Ready }> {
  const deadline = Date.now() + declared.wakeTimeoutSeconds * 1000;
  let tenant = declared;
  for (let attempt = 0; ; attempt++) {
    try {
      return { tenant, ready: await waker.ready(tenant) };
    } catch (err) {
      if (!(err instanceof TenantGoneError)) throw err;
      // The old container may still be listed while Docker removes it: look again, not in a tight loop.
      if (attempt > 0) await sleep(RELOOK_MS);
      const next = Date.now() < deadline ? await directory.replacement(tenant.id, deadline) : undefined;
      if (!next) throw new ReplacementTimeoutError(tenant.id, declared.wakeTimeoutSeconds);
      tenant = next;
    }
  }
}
