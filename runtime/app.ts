import express from "express";
import type { Redis } from "ioredis";
import { Engine } from "./engine/engine";
import { checkHealth } from "./health";

export interface AppDeps {
  redis: Redis;
  engine: Engine;
}

/** The supervisor's HTTP routes; the logic lives in the modules they call. */
export function createApp(deps: AppDeps): express.Express {
  const app = express();
  app.disable("x-powered-by");

  app.get("/live", (_req, res) => {
    res.json({ status: "ok" });
  });
  app.get("/health", async (_req, res) => {
    const report = await checkHealth(deps.redis, deps.engine);
    res.status(report.status === "ok" ? 200 : 503).json(report);
  });
  return app;
}
