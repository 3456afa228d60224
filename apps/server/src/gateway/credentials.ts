// Provider credentials of the LLM gateway (docs/api.md §12): a customer's API key per provider, encrypted at rest
// (credential-cipher.ts), never returned, never logged, never in the audit log — answers and audit entries carry the
// key hint (`sk-…abcd`) only.
//
// The gateway's hot path reads credentialFor(): an in-process cache of the stored row (the ciphertext, decrypted on
// each call — microseconds), so a call costs no PostgreSQL read. A put or delete forgets the entry here and, through
// the bus, on every other instance; entries expire after CACHE_TTL_MS as the backstop for a lost message, and a fill
// that started before an invalidation is not kept (a generation count per customer, as agents/directory.ts does).
//
// At start: in production without SPENDGUARD_ENCRYPTION_KEY, stored credentials stop the process (they could not be
// used); with a new key, every credential still under an older one is re-encrypted under it.
import type { FastifyBaseLogger } from 'fastify';
import { recordAudit } from '../audit.js';
import type { Principal } from '../auth/types.js';
import type { Config } from '../config.js';
import type { Db, Queryable } from '../db/types.js';
import { ApiError, invalidRequest } from '../http/errors.js';
import type { Bus } from '../live/bus.js';
import { StartupError } from '../startup-error.js';
import { columnIsoOrNull } from '../time.js';
import {
  CiphertextError,
  type CredentialCipher,
  createCredentialCipher,
  UnknownKeyIdError,
} from './credential-cipher.js';
import { checkBaseUrl } from './upstream-address.js';

export const PROVIDERS = ['openai', 'anthropic'] as const;
export type Provider = (typeof PROVIDERS)[number];

export const isProvider = (value: string): value is Provider =>
  (PROVIDERS as readonly string[]).includes(value);

/** What each provider's official client takes as `baseURL`; a credential stored without base_url uses it. */
export const DEFAULT_BASE_URLS: Readonly<Record<Provider, string>> = {
  openai: 'https://api.openai.com/v1',
  anthropic: 'https://api.anthropic.com',
};

export const MAX_API_KEY_LENGTH = 512;
/** Printable ASCII without spaces: every provider's keys are, and nothing else can go into a header unchanged. */
export const API_KEY_PATTERN = /^[\x21-\x7e]+$/;

const CACHE_TTL_MS = 30_000;
const MAX_ENTRIES = 100_000;
const LAST_USED_EVERY_MS = 60_000;
/** Bus channel telling every instance to forget a cached credential. */
export const CREDENTIALS_INVALIDATE_CHANNEL = 'gateway:credentials:invalidate';

/** A stored credential as answers show it: never the key. */
export interface ProviderCredentialInfo {
  provider: Provider;
  /** The URL calls go to: the stored one, or the provider's default. */
  baseUrl: string;
  keyHint: string;
  createdAt: string;
  updatedAt: string;
  lastUsedAt: string | null;
}

/** What the gateway needs to call the provider. */
export interface GatewayCredential {
  apiKey: string;
  baseUrl: string;
  keyHint: string;
}

/** A stored credential that cannot be decrypted here (a key id this server lacks, or a row that does not verify). */
export class CredentialUnreadableError extends Error {
  override name = 'CredentialUnreadableError';
  constructor(
    readonly provider: Provider,
    /** The key id the ciphertext names, when it names one. */
    readonly keyId: string | null,
    cause: Error,
  ) {
    super(`the stored ${provider} credential cannot be decrypted: ${cause.message}`, { cause });
  }
}

export interface CredentialService {
  /** Creates or replaces the customer's credential of `provider` (a PUT replaces base_url too); audited. */
  put(
    actor: Principal,
    provider: Provider,
    input: { api_key: string; base_url?: string | null | undefined },
  ): Promise<ProviderCredentialInfo>;
  /** The customer's credentials, by provider. */
  list(customerId: string): Promise<ProviderCredentialInfo[]>;
  /** Removes the credential; false when there was none (nothing changed, nothing audited). */
  remove(actor: Principal, provider: Provider): Promise<boolean>;
  /**
   * The gateway's read: the decrypted key, the base URL and the hint, or null when the customer stored none. Served
   * from the in-process cache (no PostgreSQL read per call). Throws CredentialUnreadableError when it cannot decrypt.
   */
  credentialFor(customerId: string, provider: Provider): Promise<GatewayCredential | null>;
  /** Notes a use in last_used_at: at most once a minute per credential, not awaited, never throws. */
  markUsed(customerId: string, provider: Provider): void;
  close(): Promise<void>;
}

interface InvalidateMessage {
  customerId: string;
  provider: Provider;
}

interface CredentialRow {
  provider: Provider;
  base_url: string | null;
  key_ciphertext: string;
  key_hint: string;
  created_at: unknown;
  updated_at: unknown;
  last_used_at: unknown;
}

const COLUMNS = 'provider, base_url, key_ciphertext, key_hint, created_at, updated_at, last_used_at';

const iso = (value: unknown) => columnIsoOrNull(value) as string;

function infoOf(row: CredentialRow): ProviderCredentialInfo {
  return {
    provider: row.provider,
    baseUrl: row.base_url ?? DEFAULT_BASE_URLS[row.provider],
    keyHint: row.key_hint,
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
    lastUsedAt: columnIsoOrNull(row.last_used_at),
  };
}

/** What the audit log keeps of a credential: never the key. */
const auditJson = (row: CredentialRow | null) =>
  row === null
    ? null
    : {
        provider: row.provider,
        base_url: row.base_url ?? DEFAULT_BASE_URLS[row.provider],
        key_hint: row.key_hint,
      };

/** `sk-…abcd`: the first 3 and last 4 characters; a key shorter than 12 shows only its last 2 (`…yz`). */
export function keyHint(apiKey: string): string {
  return apiKey.length < 12 ? `…${apiKey.slice(-2)}` : `${apiKey.slice(0, 3)}…${apiKey.slice(-4)}`;
}

/**
 * The base_url to store: null for none (or the provider's default itself), else the checked URL without a trailing
 * slash (the gateway appends `/chat/completions`, `/v1/messages`, …). Problems are 400s naming `base_url`.
 */
export function normaliseBaseUrl(
  provider: Provider,
  raw: string | null | undefined,
  allowPrivate: boolean,
): { ok: true; baseUrl: string | null } | { ok: false; problem: string } {
  if (raw === undefined || raw === null) return { ok: true, baseUrl: null };
  const checked = checkBaseUrl(raw.trim(), allowPrivate);
  if (!checked.ok) return checked;
  const url = checked.url.href.replace(/\/+$/, '');
  return { ok: true, baseUrl: url === DEFAULT_BASE_URLS[provider] ? null : url };
}

/** The API key's problem for a 400, or null; never mentions the key itself. */
export function apiKeyProblem(apiKey: string): string | null {
  if (apiKey.length < 1 || apiKey.length > MAX_API_KEY_LENGTH) {
    return `must be 1–${MAX_API_KEY_LENGTH} characters`;
  }
  if (!API_KEY_PATTERN.test(apiKey)) return 'must be printable ASCII without spaces';
  return null;
}

/** The associated data of a credential's ciphertext: it decrypts only in its own row. */
const contextOf = (customerId: string, provider: Provider) =>
  `provider_credentials\u0000${customerId}\u0000${provider}`;

/** 503: credentials cannot be stored without a key (production without SPENDGUARD_ENCRYPTION_KEY). */
export const noEncryptionKey = () =>
  new ApiError(
    'unavailable',
    'Provider credentials cannot be stored: this server has no SPENDGUARD_ENCRYPTION_KEY. An operator must set it ' +
      '(32 random bytes, e.g. openssl rand -hex 32) and restart; nothing was stored.',
    {},
    60,
  );

async function readRow(q: Queryable, customerId: string, provider: Provider): Promise<CredentialRow | null> {
  const { rows } = await q.query<CredentialRow>(
    `SELECT ${COLUMNS} FROM provider_credentials WHERE customer_id = $1 AND provider = $2`,
    [customerId, provider],
  );
  return rows[0] ?? null;
}

/**
 * Serialises writes of one (customer, provider) for the length of the transaction, so the audit entry's `before` is
 * the row this write replaced even when two PUTs of a new credential race (a row lock cannot lock a missing row).
 */
async function lockKey(tx: Queryable, customerId: string, provider: Provider): Promise<void> {
  await tx.query(`SELECT pg_advisory_xact_lock(hashtext('provider_credentials'), hashtext($1))`, [
    `${customerId}\u0001${provider}`,
  ]);
}

export async function createCredentialService(deps: {
  db: Db;
  bus: Bus;
  config: Pick<Config, 'encryptionKey' | 'previousEncryptionKeys' | 'allowPrivateUpstreams'>;
  log: FastifyBaseLogger;
}): Promise<CredentialService> {
  const { db, bus, config, log } = deps;
  const cipher = createCredentialCipher({
    current: config.encryptionKey,
    previous: config.previousEncryptionKeys,
  });
  await checkStoredCredentials(db, cipher, log);

  type Cached = { row: CredentialRow | null; expires: number };
  const cache = new Map<string, Cached>();
  const generations = new Map<string, number>();
  const generation = (customerId: string) => generations.get(customerId) ?? 0;
  const keyOf = (customerId: string, provider: Provider) => `${customerId}\u0000${provider}`;
  const lastUsedWritten = new Map<string, number>();

  const forget = (m: InvalidateMessage) => {
    if (!m || typeof m.customerId !== 'string' || typeof m.provider !== 'string' || !isProvider(m.provider))
      return;
    generations.set(m.customerId, generation(m.customerId) + 1);
    if (generations.size > MAX_ENTRIES) generations.clear();
    cache.delete(keyOf(m.customerId, m.provider));
  };
  const unsubscribe = await bus.subscribe(CREDENTIALS_INVALIDATE_CHANNEL, (m) =>
    forget(m as InvalidateMessage),
  );

  /** Forget here at once, then tell every other instance; a lost message is covered by the TTL. */
  const invalidate = async (message: InvalidateMessage) => {
    forget(message);
    await bus.publish(CREDENTIALS_INVALIDATE_CHANNEL, message).catch((error: unknown) => {
      log.warn(
        { err: error },
        'could not announce a provider credential change; other instances see it within 30 s',
      );
    });
  };

  const cachedRow = async (customerId: string, provider: Provider): Promise<CredentialRow | null> => {
    const key = keyOf(customerId, provider);
    const hit = cache.get(key);
    if (hit && hit.expires > Date.now()) return hit.row;
    const filledFrom = generation(customerId);
    const row = await readRow(db, customerId, provider);
    // Invalidated while reading: the row may be older than the change; serve it this once, keep nothing.
    if (generation(customerId) === filledFrom) {
      if (cache.size >= MAX_ENTRIES) cache.clear();
      cache.set(key, { row, expires: Date.now() + CACHE_TTL_MS });
    }
    return row;
  };

  return {
    async put(actor, provider, input) {
      const apiKeyIssue = apiKeyProblem(input.api_key);
      const baseUrl = normaliseBaseUrl(provider, input.base_url, config.allowPrivateUpstreams);
      const problems = [
        ...(apiKeyIssue ? [{ field: 'api_key', problem: apiKeyIssue }] : []),
        ...(baseUrl.ok ? [] : [{ field: 'base_url', problem: baseUrl.problem }]),
      ];
      if (problems.length > 0 || !baseUrl.ok) throw invalidRequest(problems);
      if (cipher.currentKeyId === null) throw noEncryptionKey();
      const customerId = actor.customerId;
      const ciphertext = cipher.encrypt(input.api_key, contextOf(customerId, provider));
      const hint = keyHint(input.api_key);
      const after = await db.transaction(async (tx) => {
        await lockKey(tx, customerId, provider);
        const before = await readRow(tx, customerId, provider);
        const { rows } = await tx.query<CredentialRow>(
          `INSERT INTO provider_credentials (customer_id, provider, base_url, key_ciphertext, key_hint)
           VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (customer_id, provider) DO UPDATE SET
             base_url = EXCLUDED.base_url, key_ciphertext = EXCLUDED.key_ciphertext, key_hint = EXCLUDED.key_hint,
             updated_at = now()
           RETURNING ${COLUMNS}`,
          [customerId, provider, baseUrl.baseUrl, ciphertext, hint],
        );
        const saved = rows[0] as CredentialRow;
        await recordAudit(tx, {
          customerId,
          actor,
          action: 'provider.put',
          targetType: 'provider',
          targetId: provider,
          before: auditJson(before),
          after: auditJson(saved),
        });
        return saved;
      });
      await invalidate({ customerId, provider });
      return infoOf(after);
    },

    async list(customerId) {
      const { rows } = await db.query<CredentialRow>(
        `SELECT ${COLUMNS} FROM provider_credentials WHERE customer_id = $1 ORDER BY provider`,
        [customerId],
      );
      return rows.map(infoOf);
    },

    async remove(actor, provider) {
      const customerId = actor.customerId;
      const removed = await db.transaction(async (tx) => {
        await lockKey(tx, customerId, provider);
        const before = await readRow(tx, customerId, provider);
        if (before === null) return false;
        await tx.query('DELETE FROM provider_credentials WHERE customer_id = $1 AND provider = $2', [
          customerId,
          provider,
        ]);
        await recordAudit(tx, {
          customerId,
          actor,
          action: 'provider.delete',
          targetType: 'provider',
          targetId: provider,
          before: auditJson(before),
          after: null,
        });
        return true;
      });
      // Also when nothing was removed: an entry cached before a delete on another instance goes now, not in 30 s.
      await invalidate({ customerId, provider });
      return removed;
    },

    async credentialFor(customerId, provider) {
      const row = await cachedRow(customerId, provider);
      if (row === null) return null;
      let apiKey: string;
      try {
        apiKey = cipher.decrypt(row.key_ciphertext, contextOf(customerId, provider));
      } catch (error) {
        if (error instanceof UnknownKeyIdError || error instanceof CiphertextError) {
          throw new CredentialUnreadableError(provider, cipher.keyIdOf(row.key_ciphertext), error);
        }
        throw error;
      }
      return { apiKey, baseUrl: row.base_url ?? DEFAULT_BASE_URLS[provider], keyHint: row.key_hint };
    },

    markUsed(customerId, provider) {
      try {
        const key = keyOf(customerId, provider);
        const now = Date.now();
        if (now - (lastUsedWritten.get(key) ?? 0) < LAST_USED_EVERY_MS) return;
        if (lastUsedWritten.size >= MAX_ENTRIES) lastUsedWritten.clear();
        lastUsedWritten.set(key, now);
        // The condition keeps it to one write a minute across instances too.
        db.query(
          `UPDATE provider_credentials SET last_used_at = now()
           WHERE customer_id = $1 AND provider = $2
             AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')`,
          [customerId, provider],
        ).catch(() => {});
      } catch {
        // Informational only: a use is never refused or slowed for it.
      }
    },

    async close() {
      await unsubscribe().catch(() => {});
    },
  };
}

interface StoredCipherRow {
  customer_id: string;
  provider: Provider;
  key_ciphertext: string;
}

/**
 * Start-up: without a current key (production without SPENDGUARD_ENCRYPTION_KEY) stored credentials stop the
 * process; otherwise every credential under an older key is re-encrypted under the current one. The update is a
 * compare-and-set on the ciphertext, so instances starting together, or a PUT meanwhile, never lose a write.
 */
async function checkStoredCredentials(
  db: Db,
  cipher: CredentialCipher,
  log: FastifyBaseLogger,
): Promise<void> {
  const current = cipher.currentKeyId;
  if (current === null) {
    const { rows } = await db.query<{ n: unknown }>('SELECT count(*)::int AS n FROM provider_credentials');
    const stored = Number(rows[0]?.n ?? 0);
    if (stored > 0) {
      throw new StartupError(
        `SPENDGUARD_ENCRYPTION_KEY is required when NODE_ENV=production and provider credentials are stored ` +
          `(${stored} stored): set it to the key they were encrypted with`,
      );
    }
    return;
  }
  const { rows } = await db.query<StoredCipherRow>(
    `SELECT customer_id, provider, key_ciphertext FROM provider_credentials WHERE key_ciphertext NOT LIKE $1`,
    [`v1.${current}.%`],
  );
  if (rows.length === 0) return;
  let reencrypted = 0;
  let damaged = 0;
  const unknownKeys = new Map<string, number>();
  for (const row of rows) {
    const context = contextOf(row.customer_id, row.provider);
    let plaintext: string;
    try {
      plaintext = cipher.decrypt(row.key_ciphertext, context);
    } catch (error) {
      if (error instanceof UnknownKeyIdError)
        unknownKeys.set(error.keyId, (unknownKeys.get(error.keyId) ?? 0) + 1);
      else damaged += 1;
      continue;
    }
    const result = await db.query(
      `UPDATE provider_credentials SET key_ciphertext = $4
       WHERE customer_id = $1 AND provider = $2 AND key_ciphertext = $3`,
      [row.customer_id, row.provider, row.key_ciphertext, cipher.encrypt(plaintext, context)],
    );
    reencrypted += result.rowCount;
  }
  if (reencrypted > 0) {
    log.info(
      { count: reencrypted, key_id: current },
      `re-encrypted ${reencrypted} provider credential(s) under the current key`,
    );
  }
  for (const [kid, count] of unknownKeys) {
    log.error(
      { count, key_id: kid },
      `${count} provider credential(s) are encrypted under key id ${kid}, which is not configured: the gateway cannot ` +
        'use them until SPENDGUARD_ENCRYPTION_KEY_PREVIOUS holds that key, or they are stored again',
    );
  }
  if (damaged > 0) {
    log.error(
      { count: damaged },
      `${damaged} provider credential(s) do not verify (altered in the database?): store them again`,
    );
  }
}
