import * as http from "http";

export interface Timed {
  status: number;
  /** Milliseconds from sending the request to the response's first byte (status line and headers). */
  firstByteMs: number;
  /** The answer's Server-Timing header, when it had one (a wake it waited for). */
  serverTiming?: string;
}

/** One GET, timed to its first byte; the body is read and dropped. */
export function timedGet(url: string, headers: Record<string, string> = {}, agent?: http.Agent): Promise<Timed> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const req = http.get(url, { headers, agent: agent ?? false }, (res) => {
      const firstByteMs = Number(process.hrtime.bigint() - started) / 1e6;
      res.resume();
      const timing = res.headers["server-timing"];
      res.on("end", () => resolve({ status: res.statusCode ?? 0, firstByteMs, ...(timing ? { serverTiming: String(timing) } : {}) }));
    });
    req.on("error", reject);
  });
}

export interface LoadResult {
  requests: number;
  errors: number;
  seconds: number;
  latenciesMs: number[];
}

/** Keeps `concurrency` GETs in flight on keep-alive connections for `seconds`. */
export async function load(url: string, headers: Record<string, string>, concurrency: number, seconds: number): Promise<LoadResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const latenciesMs: number[] = [];
  let errors = 0;
  const deadline = Date.now() + seconds * 1000;
  const started = Date.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (Date.now() < deadline) {
        try {
          const t = await timedGet(url, headers, agent);
          if (t.status === 200) latenciesMs.push(t.firstByteMs);
          else errors++;
        } catch {
          errors++;
        }
      }
    }),
  );
  agent.destroy();
  return { requests: latenciesMs.length, errors, seconds: (Date.now() - started) / 1000, latenciesMs };
}
