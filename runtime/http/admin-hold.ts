import type { Request, Response } from "express";
import { DeclaredTenant, Engine } from "../engine/engine";
import { log } from "../observe/log";
import { Metrics } from "../observe/metrics";
import { TenantEvents } from "../observe/tenant-events";
import { Holds } from "../wake/hold";
import { Waker } from "../wake/waker";

export interface HoldDeps {
  engine: Engine;
  waker: Waker;
  holds: Holds;
  metrics: Metrics;
  events: TenantEvents;
}

const TOKEN = /^[A-Za-z0-9_-]{16,64}$/;
const MAX_HOLD_SECONDS = 3600;
/** How long a new hold waits for a wake or a sleep in progress to finish before answering busy. */
const TAKE_WAIT_MS = 30_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function holdArgs(req: Request, res: Response): { token: string; seconds: number } | undefined {
  const token = String(req.query.token ?? "");
  if (!TOKEN.test(token)) {
    res.status(400).json({ error: "bad_token", message: "a hold needs a token of 16 to 64 letters, digits, - or _" });
    return undefined;
  }
  const seconds = req.query.seconds === undefined ? 60 : Number(req.query.seconds);
  if (!Number.isInteger(seconds) || seconds < 5 || seconds > MAX_HOLD_SECONDS) {
    res.status(400).json({ error: "bad_seconds", message: `seconds must be a whole number from 5 to ${MAX_HOLD_SECONDS}` });
    return undefined;
  }
  return { token, seconds };
}

/**
 * POST /tenants/:id/hold?token=&seconds=: stops the tenant and keeps it asleep for `seconds`, renewed by
 * posting again with the same token. Requests that arrive meanwhile are held until the hold ends.
 */
export async function takeHold(deps: HoldDeps, t: DeclaredTenant, req: Request, res: Response): Promise<void> {
  const args = holdArgs(req, res);
  if (!args) return;
  const until = Date.now() + TAKE_WAIT_MS;
  let taken = await deps.holds.take(t.id, args.token, args.seconds * 1000);
  // A wake or an idle stop holds the lock for seconds at most: wait it out rather than fail the job.
  while (taken === "busy" && Date.now() < until) {
    await sleep(200);
    taken = await deps.holds.take(t.id, args.token, args.seconds * 1000);
  }
  if (taken === "busy") {
    res.status(409).json({ error: "busy", message: `tenant ${t.id} is being woken or put to sleep right now` });
    return;
  }
  if (taken === "taken") {
    try {
      deps.waker.forget(t.id);
      await deps.engine.stop(t);
      deps.metrics.sleeps.inc({ tenant: t.id, reason: "hold" });
      deps.events.record(t.id, { type: "sleep", reason: "hold" });
    } catch (err) {
      await deps.holds.release(t.id, args.token);
      throw err;
    }
    log.info("tenant held", { tenant: t.id, seconds: args.seconds });
  }
  res.json({ id: t.id, state: "held", seconds: args.seconds });
}

/** DELETE /tenants/:id/hold?token=: ends the hold; the requests it held wake the tenant. */
export async function releaseHold(deps: HoldDeps, t: DeclaredTenant, req: Request, res: Response): Promise<void> {
  const token = String(req.query.token ?? "");
  if (!TOKEN.test(token)) {
    res.status(400).json({ error: "bad_token", message: "a hold needs a token of 16 to 64 letters, digits, - or _" });
    return;
  }
  const released = await deps.holds.release(t.id, token);
  if (released) log.info("tenant hold released", { tenant: t.id });
  res.json({ id: t.id, released });
}
