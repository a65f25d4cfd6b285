// EngineVolumes over the Docker engine's HTTP API on a unix socket, with nothing but node:http.
import * as http from "http";
import type { EngineVolumes } from "./engine-volumes";

interface Answer {
  status: number;
  body: unknown;
}

function get(socketPath: string, apiPath: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.get({ socketPath, path: apiPath, headers: { host: "docker" } }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (text += chunk));
      res.on("end", () => {
        try {
          resolve({ status: res.statusCode ?? 0, body: text === "" ? undefined : JSON.parse(text) });
        } catch {
          resolve({ status: res.statusCode ?? 0, body: text });
        }
      });
      res.on("error", reject);
    });
    req.on("error", reject);
  });
}

/** The engine's refusal, worded as dockerode words it, so a failure reads the same whichever client asked. */
function refused(answer: Answer, reason: string): Error {
  const message = (answer.body as { message?: string } | undefined)?.message ?? String(answer.body);
  return Object.assign(new Error(`(HTTP code ${answer.status}) ${answer.status === 500 ? "server error" : reason} - ${message} `), { statusCode: answer.status });
}

export function socketVolumes(socketPath: string): EngineVolumes {
  return {
    async reachable() {
      return get(socketPath, "/_ping").then(
        (a) => a.status === 200,
        () => false,
      );
    },
    async status(name) {
      const answer = await get(socketPath, `/volumes/${encodeURIComponent(name)}`);
      if (answer.status === 404) return undefined;
      if (answer.status !== 200) throw refused(answer, "unexpected");
      return (answer.body as { Status?: Record<string, unknown> }).Status ?? {};
    },
    async names(part) {
      const answer = await get(socketPath, `/volumes?filters=${encodeURIComponent(JSON.stringify({ name: [part] }))}`);
      if (answer.status !== 200) throw refused(answer, "unexpected");
      return ((answer.body as { Volumes?: { Name: string }[] | null }).Volumes ?? []).map((v) => v.Name);
    },
  };
}
