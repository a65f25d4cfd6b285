import * as http from "http";
import { openDormerStack } from "./project";

/** The supervisor's admin API of a stack, reached through its gateway on this host with the admin token. */
export interface AdminClient {
  get<T>(path: string): Promise<T>;
  post<T>(path: string): Promise<T>;
}

/**
 * From the stack's outputs: the gateway's local address, and the platform's host name, which the request
 * carries so the gateway and the supervisor route it to the platform's origin (on prod the public name is
 * behind Cloudflare Access; this host reaches the gateway directly).
 */
export async function adminClientFor(stackName: string): Promise<AdminClient> {
  const outputs = await (await openDormerStack(stackName, { runsProgram: false })).outputs();
  const gateway = outputs.gatewayUrl?.value as string | undefined;
  const publicUrl = outputs.publicUrl?.value as string | undefined;
  const token = outputs.adminToken?.value as string | undefined;
  if (!gateway || !publicUrl || !token) throw new Error(`stack ${stackName} has no gateway, public URL or admin token in its outputs: run dormer up --stack ${stackName} first`);
  return adminClient(gateway, new URL(publicUrl).host, token);
}

export function adminClient(gatewayUrl: string, platformHost: string, token: string): AdminClient {
  const call = <T>(method: string, path: string) =>
    new Promise<T>((resolve, reject) => {
      const url = new URL(`/admin${path}`, gatewayUrl);
      const req = http.request(url, { method, headers: { host: platformHost, authorization: `Bearer ${token}`, accept: "application/json" }, timeout: 60_000 }, (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => (body += c));
        res.on("end", () => {
          let parsed: unknown;
          try {
            parsed = JSON.parse(body);
          } catch {
            return reject(new Error(`${method} ${url.pathname}: ${res.statusCode} and no JSON: ${body.slice(0, 200)}`));
          }
          if (res.statusCode !== 200) return reject(new Error(`${method} ${url.pathname}: ${res.statusCode} ${(parsed as { message?: string }).message ?? body}`));
          resolve(parsed as T);
        });
      });
      req.on("timeout", () => req.destroy(new Error(`${method} ${url.pathname}: no answer from ${gatewayUrl} in 60 s`)));
      req.on("error", (err) => reject(new Error(`the admin API at ${gatewayUrl} is not reachable: ${err.message}`)));
      req.end();
    });
  return { get: (path) => call("GET", path), post: (path) => call("POST", path) };
}
