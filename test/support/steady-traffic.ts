/** What a steady client saw: every request that failed, and how long it went without an answer. */
export interface TrafficReport {
  sent: number;
  ok: number;
  /** Each failure: an HTTP status other than 2xx, or the fetch error's code. */
  failures: string[];
  /** The longest time between two successful answers, in ms: what a user would notice. */
  longestGapMs: number;
  /** The slowest single request, in ms. */
  slowestMs: number;
}

export interface SteadyTraffic {
  /** The report so far, without stopping. */
  report(): TrafficReport;
  /** Stops sending, waits for the requests in flight, and reports. */
  stop(): Promise<TrafficReport>;
}

/**
 * Sends one GET every intervalMs (each on its own, never waiting for the one before), as a polling client
 * does, and records every failure and the longest time without an answer.
 */
export function steadyTraffic(url: string, headers: Record<string, string>, intervalMs = 20): SteadyTraffic {
  const r: TrafficReport = { sent: 0, ok: 0, failures: [], longestGapMs: 0, slowestMs: 0 };
  let lastOk = Date.now();
  const inflight = new Set<Promise<void>>();
  const one = async () => {
    const started = Date.now();
    r.sent++;
    try {
      const res = await fetch(url, { headers, signal: AbortSignal.timeout(120_000) });
      const body = await res.text();
      if (!res.ok) {
        r.failures.push(`${res.status} ${body.slice(0, 200)}`);
        return;
      }
      r.ok++;
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause;
      r.failures.push(cause?.code ?? String(err));
      return;
    }
    const now = Date.now();
    r.slowestMs = Math.max(r.slowestMs, now - started);
    r.longestGapMs = Math.max(r.longestGapMs, now - lastOk);
    lastOk = Math.max(lastOk, now);
  };
  const timer = setInterval(() => {
    const p = one().finally(() => inflight.delete(p));
    inflight.add(p);
  }, intervalMs);
  return {
    report: () => ({ ...r, failures: [...r.failures] }),
    async stop() {
      clearInterval(timer);
      await Promise.all(inflight);
      return { ...r, failures: [...r.failures] };
    },
  };
}
