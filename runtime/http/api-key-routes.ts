import { Router } from "express";
import express from "express";
import type { NextFunction, Request, Response } from "express";
import { z } from "zod";
import { log } from "../observe/log";
import { ApiKeys } from "../sessions/api-keys";
import { ClientAddresses } from "./client-address";
import { GateDeps, identify } from "./gate";
import { PLATFORM_PREFIX } from "./origins";

/** Where a tenant's members manage its API keys: on the tenant's origin, under the platform's reserved prefix. */
export const API_KEYS_PATH = `${PLATFORM_PREFIX}api/keys`;

export interface ApiKeyRouteDeps extends GateDeps {
  apiKeys: ApiKeys;
  clients: ClientAddresses;
}

type Handler = (req: Request, res: Response) => Promise<void>;
type Wrap = (fn: Handler) => (req: Request, res: Response) => void;

/** The longest a key may live, and the longest name: a key is a credential, not an archive. */
const MAX_DAYS = 3650;
const NewKey = z.strictObject({
  name: z.string().trim().min(1, "must not be empty").max(100, "must be at most 100 characters"),
  expiresInDays: z.number().int("must be a whole number of days").min(1, "must be at least 1").max(MAX_DAYS, `must be at most ${MAX_DAYS}`).optional(),
});

/**
 * `/_dormer/api/keys` on a tenant's origin: a signed-in member (session cookie or Cloudflare Access) creates,
 * lists and revokes the tenant's keys. An API key itself manages no keys: a leaked key cannot mint more.
 * The origin decides the tenant, so no route names one and no member reaches another tenant's keys.
 */
export function apiKeyRouter(deps: ApiKeyRouteDeps, wrap: Wrap): Router {
  const router = Router();
  router.use(API_KEYS_PATH, express.json({ limit: "4kb" }), (err: Error & { status?: number }, _req: Request, res: Response, next: NextFunction) => {
    // The body parser's own refusals (not JSON, too large) are the client's to fix, not a 500.
    if (err.status === undefined || err.status >= 500) return next(err);
    res.status(err.status).json({ error: "invalid_body", message: `the request body was refused: ${err.message}` });
  });

  /** The member asking, or an answer already sent. */
  const member = async (req: Request, res: Response): Promise<{ tenant: string; user: string } | undefined> => {
    const tenant = res.locals.tenant as string;
    const who = await identify(req, deps, tenant);
    for (const cookie of who.setCookies) res.append("Set-Cookie", cookie);
    res.set("Cache-Control", "no-store");
    if (!who.identity) {
      res.status(401).json({ error: "unauthenticated", message: "sign in to the tenant first" });
      return undefined;
    }
    if (who.apiKey) {
      res.status(403).json({ error: "api_key_not_allowed", message: "API keys are managed by signed-in members, not with an API key" });
      return undefined;
    }
    return { tenant, user: who.identity.user };
  };
  const audit = (req: Request, action: string, tenant: string, user: string, key?: string) =>
    log.info("api key", { action, tenant, user, key, from: deps.clients.of(req).ip });

  router.post(API_KEYS_PATH, wrap(async (req, res) => {
    const who = await member(req, res);
    if (!who) return;
    if (!req.is("application/json")) {
      res.status(415).json({ error: "json_required", message: "send the new key as application/json: {\"name\": …, \"expiresInDays\": …}" });
      return;
    }
    const parsed = NewKey.safeParse(req.body);
    if (!parsed.success) {
      const problems = parsed.error.issues.map((i) => `${i.path.join(".") || "body"}: ${i.message}`);
      res.status(400).json({ error: "invalid_api_key_request", message: problems.join("; "), problems });
      return;
    }
    const created = await deps.apiKeys.create(who.tenant, who.user, parsed.data.name, parsed.data.expiresInDays);
    audit(req, "create", who.tenant, who.user, created.id);
    res.status(201).json(created);
  }));
  router.get(API_KEYS_PATH, wrap(async (req, res) => {
    const who = await member(req, res);
    if (!who) return;
    res.json({ keys: await deps.apiKeys.list(who.tenant) });
  }));
  router.delete(`${API_KEYS_PATH}/:id`, wrap(async (req, res) => {
    const who = await member(req, res);
    if (!who) return;
    const id = String(req.params.id);
    if (!(await deps.apiKeys.revoke(who.tenant, id))) {
      res.status(404).json({ error: "unknown_api_key", message: `this tenant has no API key ${id.slice(0, 64)}` });
      return;
    }
    audit(req, "revoke", who.tenant, who.user, id);
    res.json({ id, revoked: true });
  }));
  return router;
}
