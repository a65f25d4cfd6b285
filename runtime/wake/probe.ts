import * as http from "http";

/**
 * One readiness probe: GET /health on the tenant's app answers 200. Active probing, not Docker's health
 * check interval, is what makes a wake take as long as the app needs and no longer.
 */
export function probeHealthy(address: string, timeoutMs = 500): Promise<boolean> {
  const [host, port] = address.split(":");
  return new Promise((resolve) => {
    const req = http.get({ host, port: Number(port), path: "/health", timeout: timeoutMs, agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on("timeout", () => req.destroy());
    req.on("error", () => resolve(false));
  });
}
