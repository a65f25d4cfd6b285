import * as http from "http";
import { openDormerStack } from "./project";

/** An answer of the admin API, whatever its status: its JSON body ({} when it had none). */
export interface AdminAnswer {
  status: number;
  body: { error?: string; message?: string } & Record<string, unknown>;
}

/** The supervisor's admin API of a stack, reached through its gateway on this host with the admin token. */
export interface AdminClient {
  /** GET; anything but 200 is an error naming the status and the API's message. */
  get<T>(path: string): Promise<T>;
  /** POST; anything but 200 is an error naming the status and the API's message. */
  post<T>(path: string): Promise<T>;
  /** Any method, for callers that act on the status themselves; only an unreachable API is an error. */
  send(method: string, path: string): Promise<AdminAnswer>;
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
  const send = (method: string, path: string) =>
    new Promise<AdminAnswer & { text: string }>((resolve, reject) => {
      const url = new URL(`/admin${path}`, gatewayUrl);
      const req = http.request(url, { method, headers: { host: platformHost, authorization: `Bearer ${token}`, accept: "application/json" }, timeout: 60_000 }, (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => (text += c));
        res.on("end", () => {
          let body: AdminAnswer["body"] = {};
          try {
            body = text === "" ? {} : (JSON.parse(text) as AdminAnswer["body"]);
          } catch {
            return reject(new Error(`${method} ${url.pathname}: ${res.statusCode} and no JSON: ${text.slice(0, 200)}`));
          }
          resolve({ status: res.statusCode ?? 0, body, text });
        });
      });
      req.on("timeout", () => req.destroy(new Error(`${method} ${url.pathname}: no answer from ${gatewayUrl} in 60 s`)));
      req.on("error", (err) => reject(new Error(`the admin API at ${gatewayUrl} is not reachable (${err.message}): is the stack up?`)));
      req.end();
    });
  const strict = async <T>(method: string, path: string): Promise<T> => {
    const answer = await send(method, path);
    if (answer.status !== 200) throw new Error(`${method} /admin${path.split("?")[0]}: ${answer.status} ${answer.body.message ?? answer.text}`);
    return answer.body as T;
  };
  return {
    get: (path) => strict("GET", path),
    post: (path) => strict("POST", path),
    send: async (method, path) => {
      const { status, body } = await send(method, path);
      return { status, body };
    },
  };
}
