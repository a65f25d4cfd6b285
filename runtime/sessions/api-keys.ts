import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { Redis } from "ioredis";
import { ApiKeyLimitError, ApiKeyRejectedError, StoreUnavailableError } from "../errors";
import type { Identity } from "../identity/identity";

/**
 * `dormer_<id>_<secret>`: a fixed prefix (secret scanners and people recognise it), a public id (12 hex, what
 * lists and revocations name) and 256 random bits (64 hex). Hex keeps `_` a separator only.
 */
export const API_KEY_PREFIX = "dormer_";
const KEY_FORMAT = /^dormer_([0-9a-f]{12})_([0-9a-f]{64})$/;
const ID_FORMAT = /^[0-9a-f]{12}$/;

/** How long a revoked or expired key's record is kept, so its holder is told why, not just "unknown". */
const TOMBSTONE_SECONDS = 30 * 86_400;
/** The last-use time is written at most this often per key and supervisor: not a Redis write per request. */
const LAST_USE_EVERY_MS = 10_000;

export interface ApiKeyInfo {
  id: string;
  name: string;
  createdAt: string;
  /** Who created it (the member's user id). */
  createdBy: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
  /** Set on a key listed after its expiry; an expired key no longer counts against the cap. */
  expired: boolean;
}

export interface CreatedApiKey extends ApiKeyInfo {
  /** The whole key: shown once, never stored. */
  key: string;
}

export interface ApiKeysOptions {
  /** Keys a tenant may hold at once (expired ones not counted). */
  maxPerTenant: number;
  /** Clock in milliseconds, for tests. */
  now?: () => number;
}

export type RefusalReason = "malformed" | "unknown" | "expired" | "revoked";

// Counts the tenant's live keys (forgetting ids whose record is gone, not counting expired ones) and adds the
// new one only under the cap, in one step: parallel creations cannot pass it together.
const CREATE = `
local live = 0
for _, id in ipairs(redis.call("SMEMBERS", KEYS[1])) do
  local expires = redis.call("HGET", ARGV[4] .. id, "expiresAt")
  if not expires then redis.call("SREM", KEYS[1], id)
  elseif expires == "" or tonumber(expires) > tonumber(ARGV[3]) then live = live + 1 end
end
if live >= tonumber(ARGV[2]) then return 0 end
if redis.call("EXISTS", KEYS[2]) == 1 then return -1 end
redis.call("HSET", KEYS[2], unpack(cjson.decode(ARGV[5])))
if ARGV[6] ~= "" then redis.call("PEXPIREAT", KEYS[2], ARGV[6]) end
redis.call("SADD", KEYS[1], ARGV[1])
return 1
`;

// A revoked key keeps its hash for a while (tombstone) and leaves the tenant's list; only the tenant's own.
const REVOKE = `
if redis.call("HGET", KEYS[2], "tenant") ~= ARGV[2] or redis.call("HEXISTS", KEYS[2], "revokedAt") == 1 then return 0 end
redis.call("HSET", KEYS[2], "revokedAt", ARGV[3])
redis.call("EXPIRE", KEYS[2], ARGV[4])
redis.call("SREM", KEYS[1], ARGV[1])
return 1
`;

// Only an existing record gets its last use: a write after a revocation's expiry must not bring it back.
const TOUCH = `
if redis.call("EXISTS", KEYS[1]) == 1 then redis.call("HSET", KEYS[1], "lastUsedAt", ARGV[1]) end
return 0
`;

const sha256 = (s: string) => createHash("sha256").update(s, "utf8").digest();

/**
 * A tenant's API keys in Redis: one hash per key (its sha256, never the key, with name, creation, expiry,
 * last use) and one set of live ids per tenant. Every check reads Redis, so a revocation holds on every
 * supervisor from its next request; when Redis cannot be asked, no key is accepted (503).
 */
export class ApiKeys {
  private readonly now: () => number;
  private readonly lastTouched = new Map<string, number>();
  // Compared against when the id is unknown, so an unknown key costs the work a wrong one does.
  private readonly dummy = sha256(randomBytes(32).toString("hex")).toString("hex");

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly opts: ApiKeysOptions,
  ) {
    this.now = opts.now ?? Date.now;
  }

  async create(tenant: string, createdBy: string, name: string, expiresInDays?: number): Promise<CreatedApiKey> {
    const createdAt = this.now();
    const expiresAt = expiresInDays === undefined ? undefined : createdAt + expiresInDays * 86_400_000;
    for (;;) {
      const id = randomBytes(6).toString("hex");
      const key = `${API_KEY_PREFIX}${id}_${randomBytes(32).toString("hex")}`;
      const fields = ["tenant", tenant, "name", name, "sha256", sha256(key).toString("hex"), "createdAt", String(createdAt), "createdBy", createdBy, "expiresAt", expiresAt === undefined ? "" : String(expiresAt)];
      const expireRecordAt = expiresAt === undefined ? "" : String(expiresAt + TOMBSTONE_SECONDS * 1000);
      const done = await this.store(() =>
        this.redis.eval(CREATE, 2, this.tenantSet(tenant), this.record(id), id, this.opts.maxPerTenant, createdAt, this.record(""), JSON.stringify(fields), expireRecordAt),
      );
      if (done === 0) throw new ApiKeyLimitError(tenant, this.opts.maxPerTenant);
      // 48 random bits collide about never; when they do, draw again rather than overwrite a key.
      if (done === -1) continue;
      return { key, ...this.info(id, { name, createdAt: String(createdAt), createdBy, expiresAt: expiresAt === undefined ? "" : String(expiresAt) }) };
    }
  }

  /** The tenant's keys, oldest first, without secrets or hashes. */
  async list(tenant: string): Promise<ApiKeyInfo[]> {
    const ids = await this.store(() => this.redis.smembers(this.tenantSet(tenant)));
    const pipeline = this.redis.pipeline();
    for (const id of ids) pipeline.hgetall(this.record(id));
    const records = await this.store(() => pipeline.exec());
    const keys: ApiKeyInfo[] = [];
    ids.forEach((id, i) => {
      const fields = records?.[i]?.[1] as Record<string, string> | undefined;
      if (fields?.tenant === tenant && !fields.revokedAt) keys.push(this.info(id, fields));
    });
    return keys.sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
  }

  /** True when the tenant had this key and it is revoked now; false for an id it never had (or gone). */
  async revoke(tenant: string, id: string): Promise<boolean> {
    if (!ID_FORMAT.test(id)) return false;
    const done = await this.store(() => this.redis.eval(REVOKE, 2, this.tenantSet(tenant), this.record(id), id, tenant, this.now(), TOMBSTONE_SECONDS));
    this.lastTouched.delete(id);
    return done === 1;
  }

  /**
   * The identity a key presented on tenant `tenant`'s origin carries. Throws ApiKeyRejectedError naming why,
   * and says "expired" or "revoked" only to whoever holds that very key: a key of another tenant, a wrong
   * secret and an id never issued are all "unknown", after the same work.
   */
  async verify(presented: string, tenant: string): Promise<{ identity: Identity; apiKey: string }> {
    const parsed = KEY_FORMAT.exec(presented);
    if (!parsed) throw new ApiKeyRejectedError("malformed");
    const id = parsed[1];
    // The same four fields whether or not the id exists: answers of one size, so one cost.
    const [sha, owner, revokedAt, expiresAt] = await this.store(() => this.redis.hmget(this.record(id), "sha256", "tenant", "revokedAt", "expiresAt"));
    const fields = { sha256: sha, tenant: owner, revokedAt, expiresAt };
    const stored = fields.sha256 !== null && /^[0-9a-f]{64}$/.test(fields.sha256);
    const matches = timingSafeEqual(sha256(presented), Buffer.from(stored ? fields.sha256! : this.dummy, "hex"));
    if (!stored || !matches || fields.tenant !== tenant) throw new ApiKeyRejectedError("unknown");
    if (fields.revokedAt) throw new ApiKeyRejectedError("revoked");
    const now = this.now();
    if (fields.expiresAt && Number(fields.expiresAt) <= now) throw new ApiKeyRejectedError("expired");
    if (now - (this.lastTouched.get(id) ?? 0) >= LAST_USE_EVERY_MS) {
      if (this.lastTouched.size >= 100_000) this.lastTouched.clear();
      this.lastTouched.set(id, now);
      // Last use is a note for people, not a gate: a lost write must not fail the request.
      this.redis.eval(TOUCH, 1, this.record(id), now).catch(() => undefined);
    }
    return { identity: { tenant, user: `api-key:${id}` }, apiKey: id };
  }

  /**
   * Which of these keys can no longer be used (revoked, expired or gone): what an open WebSocket opened with
   * one of them is checked against.
   */
  async unusable(ids: string[]): Promise<Set<string>> {
    const pipeline = this.redis.pipeline();
    for (const id of ids) pipeline.hmget(this.record(id), "sha256", "revokedAt", "expiresAt");
    const answers = await this.store(() => pipeline.exec());
    const now = this.now();
    const dead = new Set<string>();
    ids.forEach((id, i) => {
      const [error, fields] = answers?.[i] ?? [new Error("no answer")];
      if (error) throw new StoreUnavailableError("the API key store (Redis)");
      const [sha, revokedAt, expiresAt] = fields as Array<string | null>;
      if (!sha || revokedAt || (expiresAt && Number(expiresAt) <= now)) dead.add(id);
    });
    return dead;
  }

  private info(id: string, f: Record<string, string>): ApiKeyInfo {
    const at = (ms: string | undefined) => (ms ? new Date(Number(ms)).toISOString() : null);
    return {
      id,
      name: f.name ?? "",
      createdAt: at(f.createdAt) ?? "",
      createdBy: f.createdBy ?? "",
      expiresAt: at(f.expiresAt),
      lastUsedAt: at(f.lastUsedAt),
      expired: Boolean(f.expiresAt) && Number(f.expiresAt) <= this.now(),
    };
  }

  private record(id: string): string {
    return `${this.prefix}api-key:${id}`;
  }

  private tenantSet(tenant: string): string {
    return `${this.prefix}api-keys:${tenant}`;
  }

  private async store<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch {
      throw new StoreUnavailableError("the API key store (Redis)");
    }
  }
}
