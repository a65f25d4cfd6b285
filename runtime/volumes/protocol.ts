// Docker's legacy volume plugin protocol: JSON POSTs on a unix socket in /run/docker/plugins, each answer
// carrying Err ("" when it worked). https://docs.docker.com/engine/extend/plugins_volume/
import * as http from "node:http";
import { log } from "../observe/log";
import { DiskDriver } from "./driver";

type Body = { Name?: string; ID?: string; Opts?: Record<string, string> | null };
type Handler = (body: Body) => Promise<Record<string, unknown>>;

const CONTENT_TYPE = "application/vnd.docker.plugins.v1.2+json";
const MAX_BODY_BYTES = 64 * 1024;

export function routes(driver: DiskDriver): Record<string, Handler> {
  const name = (b: Body) => {
    if (!b.Name) throw new Error("Name is required");
    return b.Name;
  };
  return {
    "/Plugin.Activate": async () => ({ Implements: ["VolumeDriver"] }),
    "/VolumeDriver.Capabilities": async () => ({ Capabilities: { Scope: "local" } }),
    "/VolumeDriver.Create": async (b) => (await driver.create(name(b), b.Opts), {}),
    "/VolumeDriver.Remove": async (b) => (await driver.remove(name(b)), {}),
    "/VolumeDriver.Mount": async (b) => ({ Mountpoint: await driver.mount(name(b), b.ID ?? "") }),
    "/VolumeDriver.Unmount": async (b) => (await driver.unmount(name(b), b.ID ?? ""), {}),
    "/VolumeDriver.Path": async (b) => ({ Mountpoint: await driver.path(name(b)) }),
    "/VolumeDriver.Get": async (b) => ({ Volume: await driver.get(name(b)) }),
    "/VolumeDriver.List": async () => ({ Volumes: await driver.list() }),
  };
}

export function pluginServer(driver: DiskDriver): http.Server {
  const table = routes(driver);
  return http.createServer((req, res) => {
    const answer = (status: number, body: Record<string, unknown>) => {
      res.writeHead(status, { "Content-Type": CONTENT_TYPE });
      res.end(JSON.stringify(body));
    };
    const handler = req.method === "POST" ? table[req.url ?? ""] : undefined;
    if (!handler) return answer(404, { Err: `${req.method} ${req.url}: not part of the volume plugin protocol` });
    let text = "";
    req.setEncoding("utf8");
    req.on("data", (chunk: string) => {
      text += chunk;
      if (text.length > MAX_BODY_BYTES) req.destroy();
    });
    req.on("end", () => {
      let body: Body;
      try {
        body = text.trim() ? (JSON.parse(text) as Body) : {};
      } catch {
        return answer(400, { Err: "the request body is not JSON" });
      }
      handler(body).then(
        (out) => answer(200, { ...out, Err: "" }),
        (err: unknown) => {
          // Docker shows Err to whoever asked (docker run, the engine's plugin), so it must say what failed.
          log.warn("disk driver request failed", { call: req.url, volume: body.Name, error: String((err as Error)?.message ?? err) });
          answer(200, { Err: String((err as Error)?.message ?? err) });
        },
      );
    });
  });
}
