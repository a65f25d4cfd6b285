import { inspectContainer } from "./docker";

/**
 * Polls check() every intervalMs until it returns something other than undefined or false, and returns
 * that; fails after timeoutMs naming what it waited for. Tests wait on state this way, never on fixed sleeps.
 */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs: number, intervalMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Is the container running right now? */
export const isRunning = async (container: string): Promise<boolean> => (await inspectContainer(container))?.State.Running === true;

/** Waits until the container is stopped; returns how many ms that took. */
export async function waitStopped(container: string, timeoutMs: number): Promise<number> {
  const started = Date.now();
  await waitFor(`${container} to stop`, async () => !(await isRunning(container)), timeoutMs);
  return Date.now() - started;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
