// API keys: generation, and the resolver on the hot path (every event carries a key).
// A key is stored only as its SHA-256. Resolution = one cache lookup (Redis GET, or a Map without Redis); a miss
// reads PostgreSQL and fills the cache. Revocation overwrites the cache entry with a tombstone, and fills use
// SET NX, so a fill racing a revoke can never put a live entry back over the tombstone: the very next request on
// any instance sees the revocation.
//
// The money routes (events, reservations, the gateway) resolve from the instance's own memory instead
// (resolveForDecision): no Redis command at the door. Their revocation check moves into the atomic decision — a
// revocation writes a marker beside the customer's spend state (SpendStore.revokeKey), and every decision with the
// key refuses it from then on, on every instance; a rebuild of that state writes the markers of keys revoked within
// REVOKED_MARKERS_LOOKBACK_MS again (spend/rebuild.ts), far longer than a memory entry lives. What such a route does
// before its decision must change nothing for a revoked key: creating an agent re-checks the key in PostgreSQL
// (agents/directory.ts).
import type { FastifyBaseLogger } from 'fastify';
import type { Redis } from 'ioredis';
import { StoreUnavailableError } from '../db/errors.js';
import type { Db } from '../db/types.js';
import { randomBase62 } from '../ids.js';
import { sha256Hex } from './secrets.js';
import type { Principal } from './types.js';

export type KeyKind = 'ingest' | 'admin';
export type ApiKeyPrincipal = Extract<Principal, { type: 'api_key' }>;

const KEY_RANDOM_CHARS = 40;
/** What a presented key must look like before we spend a lookup on it (docs/api.md: >= 32 base62 chars). */
const KEY_PATTERN = /^sg_(ingest|admin)_[0-9A-Za-z]{32,128}$/;
const CACHE_TTL_SECONDS = 300;
/** How long an instance trusts its own memory of a live key (resolveForDecision). */
const LOCAL_TTL_MS = 60_000;
/** Revocation markers are written again by a rebuild for keys revoked this recently: far above LOCAL_TTL_MS. */
export const REVOKED_MARKERS_LOOKBACK_MS = 60 * LOCAL_TTL_MS;
const LAST_USED_EVERY_MS = 60_000;
const MAX_MEMORY_ENTRIES = 50_000;

export interface NewKey {
  key: string;
  prefix: string;
  hash: string;
}

/** `sg_<kind>_` + 40 base62 chars (~238 bits); prefix = that plus the first 4 random chars, shown in lists. */
export function generateApiKey(kind: KeyKind): NewKey {
  const random = randomBase62(KEY_RANDOM_CHARS);
  const key = `sg_${kind}_${random}`;
  return { key, prefix: `sg_${kind}_${random.slice(0, 4)}`, hash: sha256Hex(key) };
}

export function looksLikeApiKey(token: string): boolean {
  return KEY_PATTERN.test(token);
}

type CacheEntry = { revoked: true } | { revoked: false; principal: ApiKeyPrincipal };

/** Where resolved keys are remembered. `fill` must never overwrite (NX); `tombstone` always does. */
interface KeyCache {
  get(hash: string): Promise<CacheEntry | undefined>;
  fill(hash: string, entry: CacheEntry): Promise<void>;
  tombstone(hash: string): Promise<void>;
}

function redisKeyCache(redis: Redis, prefix: string): KeyCache {
  const k = (hash: string) => `${prefix}:key:${hash}`;
  return {
    async get(hash) {
      const raw = await redis.get(k(hash));
      return raw === null ? undefined : (JSON.parse(raw) as CacheEntry);
    },
    async fill(hash, entry) {
      await redis.set(k(hash), JSON.stringify(entry), 'EX', CACHE_TTL_SECONDS, 'NX');
    },
    async tombstone(hash) {
      await redis.set(k(hash), JSON.stringify({ revoked: true }), 'EX', CACHE_TTL_SECONDS);
    },
  };
}

function memoryKeyCache(now: () => number = Date.now): KeyCache {
  const entries = new Map<string, { entry: CacheEntry; expiresAt: number }>();
  return {
    async get(hash) {
      const hit = entries.get(hash);
      if (!hit) return undefined;
      if (hit.expiresAt <= now()) {
        entries.delete(hash);
        return undefined;
      }
      return hit.entry;
    },
    async fill(hash, entry) {
      const existing = entries.get(hash);
      if (existing && existing.expiresAt > now()) return;
      if (entries.size >= MAX_MEMORY_ENTRIES) {
        const oldest = entries.keys().next().value;
        if (oldest !== undefined) entries.delete(oldest);
      }
      entries.set(hash, { entry, expiresAt: now() + CACHE_TTL_SECONDS * 1000 });
    },
    async tombstone(hash) {
      entries.delete(hash);
      entries.set(hash, { entry: { revoked: true }, expiresAt: now() + CACHE_TTL_SECONDS * 1000 });
    },
  };
}

export interface ApiKeyResolver {
  /** The principal for a presented key, or null when it is unknown, malformed or revoked. */
  resolve(token: string): Promise<ApiKeyPrincipal | null>;
  /**
   * As resolve, from this instance's memory when it knows the key (no Redis command): only for a request whose
   * atomic decision checks the key's revocation (SpendRequest.apiKeyId) before anything else it changes.
   */
  resolveForDecision(token: string): Promise<ApiKeyPrincipal | null>;
  /**
   * Call after the revocation committed in PostgreSQL: the shared cache's tombstone and the decisions' marker. Throws
   * StoreUnavailableError if either could not be written (the caller answers 503: retry).
   */
  invalidate(key: { hash: string; customerId: string; id: string }): Promise<void>;
}

/** Where a revoked key's marker goes: the spend store's, checked by every decision (SpendStore.revokeKey). */
export interface RevocationMarkers {
  revokeKey(customerId: string, keyId: string): Promise<void>;
}

interface KeyRow {
  id: string;
  customer_id: string;
  kind: KeyKind;
  agent_id: string | null;
  revoked_at: Date | string | null;
}

export function createApiKeyResolver(deps: {
  db: Db;
  redis: Redis | undefined;
  redisPrefix: string;
  markers: RevocationMarkers;
  log: FastifyBaseLogger;
}): ApiKeyResolver {
  const { db, log } = deps;
  const cache = deps.redis ? redisKeyCache(deps.redis, deps.redisPrefix) : memoryKeyCache();
  const lastUsedWritten = new Map<string, number>();
  /** Live keys this instance resolved lately, by hash (resolveForDecision). */
  const local = new Map<string, { principal: ApiKeyPrincipal; expiresAt: number }>();

  async function fromDatabase(hash: string): Promise<CacheEntry | undefined> {
    const { rows } = await db.query<KeyRow>(
      'SELECT id, customer_id, kind, agent_id, revoked_at FROM api_keys WHERE key_hash = $1',
      [hash],
    );
    const row = rows[0];
    if (!row) return undefined;
    if (row.revoked_at !== null) return { revoked: true };
    return {
      revoked: false,
      principal: {
        type: 'api_key',
        customerId: row.customer_id,
        keyId: row.id,
        kind: row.kind,
        agentId: row.agent_id,
      },
    };
  }

  /** last_used_at is informational: written at most once a minute per key, never awaited, errors ignored. */
  function touch(keyId: string): void {
    const t = Date.now();
    if (t - (lastUsedWritten.get(keyId) ?? 0) < LAST_USED_EVERY_MS) return;
    if (lastUsedWritten.size >= MAX_MEMORY_ENTRIES) lastUsedWritten.clear();
    lastUsedWritten.set(keyId, t);
    const claim = deps.redis
      ? // Across instances: only the instance that claims this minute writes.
        deps.redis
          .set(`${deps.redisPrefix}:keyused:${keyId}`, '1', 'PX', LAST_USED_EVERY_MS, 'NX')
          .then((ok) => ok === 'OK')
      : Promise.resolve(true);
    claim
      .then((mine) =>
        mine
          ? db.query('UPDATE api_keys SET last_used_at = now() WHERE id = $1 AND revoked_at IS NULL', [keyId])
          : undefined,
      )
      .catch(() => {});
  }

  const resolve = async (token: string): Promise<ApiKeyPrincipal | null> => {
    if (!looksLikeApiKey(token)) return null;
    const hash = sha256Hex(token);
    let entry: CacheEntry | undefined;
    let cacheUp = true;
    try {
      entry = await cache.get(hash);
    } catch (error) {
      // The source of truth can still answer; an auth decision never needs Redis.
      cacheUp = false;
      log.warn({ err: error }, 'API key cache unavailable; reading PostgreSQL');
    }
    if (entry === undefined) {
      entry = await fromDatabase(hash);
      if (entry && cacheUp) await cache.fill(hash, entry).catch(() => {});
    }
    if (!entry || entry.revoked) return null;
    touch(entry.principal.keyId);
    return entry.principal;
  };

  return {
    resolve,
    async resolveForDecision(token) {
      if (!looksLikeApiKey(token)) return null;
      const hash = sha256Hex(token);
      const now = Date.now();
      const hit = local.get(hash);
      if (hit && hit.expiresAt > now) {
        touch(hit.principal.keyId);
        return hit.principal;
      }
      const principal = await resolve(token);
      if (principal) {
        if (local.size >= MAX_MEMORY_ENTRIES) local.clear();
        local.set(hash, { principal, expiresAt: now + LOCAL_TTL_MS });
      } else local.delete(hash);
      return principal;
    },
    async invalidate(key) {
      local.delete(key.hash);
      try {
        await cache.tombstone(key.hash);
        await deps.markers.revokeKey(key.customerId, key.id);
      } catch (error) {
        throw new StoreUnavailableError('could not invalidate the API key cache', { cause: error });
      }
    },
  };
}
