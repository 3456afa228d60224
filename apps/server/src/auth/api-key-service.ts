// API key management (docs/api.md §3, §8): create (the only time the secret is shown), list (never secrets), revoke.
// Revocation commits in PostgreSQL, then tombstones the key in the shared cache before answering, so the very next
// request with that key fails on every instance.
import type { FastifyBaseLogger } from 'fastify';
import type { Static } from 'typebox';
import { findAgentByName } from '../agents/repository.js';
import { recordAudit } from '../audit.js';
import type { Db } from '../db/types.js';
import { decodeCursor, invalidCursor, pageOf } from '../http/cursor.js';
import { ApiError, invalidRequest, notFound } from '../http/errors.js';
import { newId } from '../ids.js';
import type { ApiKeySchema, CreatedApiKeySchema } from '../schemas/accounts.js';
import { columnIsoOrNull } from '../time.js';
import { type ApiKeyResolver, generateApiKey, type KeyKind } from './api-keys.js';
import type { Principal } from './types.js';

export type ApiKeyJson = Static<typeof ApiKeySchema>;
export type CreatedApiKeyJson = Static<typeof CreatedApiKeySchema>;

export interface ApiKeyService {
  create(
    actor: Principal,
    input: { name: string; kind: KeyKind; agent?: string | undefined },
  ): Promise<CreatedApiKeyJson>;
  list(
    customerId: string,
    page: { limit: number; cursor: string | undefined },
  ): Promise<{
    data: ApiKeyJson[];
    next_cursor: string | null;
  }>;
  /** Idempotent: revoking a revoked key succeeds again. 503 when the shared cache could not be told yet. */
  revoke(actor: Principal, id: string): Promise<void>;
}

interface KeyRow {
  id: string;
  name: string;
  kind: KeyKind;
  agent: string | null;
  prefix: string;
  created_at: Date;
  last_used_at: Date | null;
}

const KEY_ID = /^key_[0-9A-Za-z]{1,64}$/;
const isKeyId = (v: unknown): v is string => typeof v === 'string' && KEY_ID.test(v);

function view(row: KeyRow): ApiKeyJson {
  return {
    id: row.id,
    name: row.name,
    kind: row.kind,
    agent: row.agent,
    prefix: row.prefix,
    created_at: new Date(row.created_at).toISOString(),
    last_used_at: columnIsoOrNull(row.last_used_at),
  };
}

export function createApiKeyService(deps: {
  db: Db;
  resolver: ApiKeyResolver;
  log: FastifyBaseLogger;
}): ApiKeyService {
  const { db, resolver, log } = deps;
  return {
    async create(actor, { name, kind, agent }) {
      if (agent !== undefined && kind !== 'ingest') {
        throw invalidRequest([{ field: 'agent', problem: 'only ingest keys can be bound to an agent' }]);
      }
      const created = generateApiKey(kind);
      const id = newId('key');
      const row = await db.transaction(async (tx) => {
        let agentId: string | null = null;
        if (agent !== undefined) {
          const found = await findAgentByName(tx, actor.customerId, agent);
          if (!found) throw notFound('agent');
          agentId = found.id;
        }
        const actorId = actor.type === 'user' ? actor.userId : actor.keyId;
        const inserted = await tx.query<Omit<KeyRow, 'agent'>>(
          `INSERT INTO api_keys (id, customer_id, name, kind, agent_id, prefix, key_hash, created_by)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
           RETURNING id, name, kind, prefix, created_at, last_used_at`,
          [id, actor.customerId, name, kind, agentId, created.prefix, created.hash, actorId],
        );
        await recordAudit(tx, {
          customerId: actor.customerId,
          actor,
          action: 'api_key.create',
          targetType: 'api_key',
          targetId: id,
          after: { name, kind, agent: agent ?? null, prefix: created.prefix },
        });
        return { ...(inserted.rows[0] as Omit<KeyRow, 'agent'>), agent: agent ?? null };
      });
      return { ...view(row), key: created.key };
    },

    async list(customerId, { limit, cursor }) {
      // The cursor names the last key seen; the page continues below its (created_at, id) as PostgreSQL stores
      // it (to the microsecond), so keys created in the same millisecond are neither skipped nor repeated.
      const afterId = decodeCursor(cursor, isKeyId);
      if (afterId !== null) {
        const known = await db.query('SELECT 1 FROM api_keys WHERE id = $1 AND customer_id = $2', [
          afterId,
          customerId,
        ]);
        // Another customer's key id is not a cursor here: the same 400 as any cursor this API did not return.
        if (known.rows.length === 0) throw invalidCursor();
      }
      const { rows } = await db.query<KeyRow>(
        `SELECT k.id, k.name, k.kind, a.name AS agent, k.prefix, k.created_at, k.last_used_at
           FROM api_keys k LEFT JOIN agents a ON a.id = k.agent_id
          WHERE k.customer_id = $1 AND k.revoked_at IS NULL
            AND ($3::text IS NULL OR (k.created_at, k.id) < (SELECT c.created_at, c.id FROM api_keys c
                                                             WHERE c.id = $3 AND c.customer_id = $1))
          ORDER BY k.created_at DESC, k.id DESC
          LIMIT $2`,
        [customerId, limit + 1, afterId],
      );
      return pageOf(rows, limit, (k) => k.id, view);
    },

    async revoke(actor, id) {
      const keyHash = await db.transaction(async (tx) => {
        const { rows } = await tx.query<{
          key_hash: string;
          name: string;
          kind: string;
          revoked_at: Date | null;
        }>(
          'SELECT key_hash, name, kind, revoked_at FROM api_keys WHERE id = $1 AND customer_id = $2 FOR UPDATE',
          [id, actor.customerId],
        );
        const key = rows[0];
        // Another customer's key id is indistinguishable from a missing one.
        if (!key) throw notFound('API key');
        if (key.revoked_at === null) {
          await tx.query('UPDATE api_keys SET revoked_at = now() WHERE id = $1', [id]);
          await recordAudit(tx, {
            customerId: actor.customerId,
            actor,
            action: 'api_key.revoke',
            targetType: 'api_key',
            targetId: id,
            before: { name: key.name, kind: key.kind, revoked: false },
            after: { revoked: true },
          });
        }
        return key.key_hash;
      });
      try {
        await resolver.invalidate({ hash: keyHash, customerId: actor.customerId, id });
      } catch (error) {
        log.error({ err: error }, 'API key revoked in PostgreSQL but the key cache was not invalidated');
        throw new ApiError(
          'unavailable',
          'The key is revoked but not every server instance has been told yet; retry this request.',
          {},
          1,
        );
      }
    },
  };
}
