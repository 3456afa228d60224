// API keys (docs/api.md §3, §8): create (the only time the key is shown), list (no secrets), revoke.
// Revocation commits in PostgreSQL, then tombstones the key in the shared cache before answering, so the very next
// request with that key fails on every instance.
import { type Static, Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { findAgentByName } from '../../agents/repository.js';
import { recordAudit } from '../../audit.js';
import { generateApiKey } from '../../auth/api-keys.js';
import { principalOf } from '../../auth/plugin.js';
import type { AppContext } from '../../context.js';
import { ApiError, invalidRequest, notFound } from '../../http/errors.js';
import { newId } from '../../ids.js';
import { columnIsoOrNull } from '../../time.js';

const Kind = Type.Union([Type.Literal('ingest'), Type.Literal('admin')]);
const CreateBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 100 }),
    kind: Kind,
    agent: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 200,
        description: 'ingest keys only: the one agent it may act on',
      }),
    ),
  },
  { additionalProperties: false },
);
const ListQuery = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 50 })),
    cursor: Type.Optional(Type.String({ pattern: '^key_[0-9A-Za-z]{1,64}$' })),
  },
  { additionalProperties: false },
);
const IdParams = Type.Object({ id: Type.String({ maxLength: 100 }) });

const KeyFields = {
  id: Type.String(),
  name: Type.String(),
  kind: Kind,
  agent: Type.Union([Type.String(), Type.Null()], { description: 'name of the bound agent, or null' }),
  prefix: Type.String({ description: 'first characters of the key, e.g. sg_ingest_ab12' }),
  created_at: Type.String({ format: 'date-time' }),
  last_used_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
};
const ApiKeyView = Type.Object(KeyFields);
const CreatedKey = Type.Object({
  ...KeyFields,
  key: Type.String({ description: 'shown only in this response' }),
});
const KeyList = Type.Object({
  data: Type.Array(ApiKeyView),
  next_cursor: Type.Union([Type.String(), Type.Null()]),
});

interface KeyRow {
  id: string;
  name: string;
  kind: 'ingest' | 'admin';
  agent: string | null;
  prefix: string;
  created_at: Date;
  last_used_at: Date | null;
}

function view(row: KeyRow): Static<typeof ApiKeyView> {
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

const tags = ['api-keys'];
/** OpenAPI: an admin key or a dashboard session (cookie + X-CSRF-Token on writes). */
const security: Array<Record<string, string[]>> = [{ apiKey: [] }, { session: [] }];

export async function apiKeyRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  app.post<{ Body: Static<typeof CreateBody> }>(
    '/v1/api-keys',
    {
      config: { access: 'admin' },
      schema: {
        tags,
        security,
        summary: 'Create an API key (the key is shown only in this response)',
        description: 'Errors: 400 invalid_request, 401, 403 forbidden/csrf_failed, 404 not_found (agent).',
        body: CreateBody,
        response: { 201: CreatedKey },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const { name, kind, agent } = request.body;
      if (agent !== undefined && kind !== 'ingest') {
        throw invalidRequest([{ field: 'agent', problem: 'only ingest keys can be bound to an agent' }]);
      }
      const created = generateApiKey(kind);
      const id = newId('key');
      const row = await ctx.db.transaction(async (tx) => {
        let agentId: string | null = null;
        if (agent !== undefined) {
          const found = await findAgentByName(tx, principal.customerId, agent);
          if (!found) throw notFound('agent');
          agentId = found.id;
        }
        const actorId = principal.type === 'user' ? principal.userId : principal.keyId;
        const inserted = await tx.query<Omit<KeyRow, 'agent'>>(
          `INSERT INTO api_keys (id, customer_id, name, kind, agent_id, prefix, key_hash, created_by)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
           RETURNING id, name, kind, prefix, created_at, last_used_at`,
          [id, principal.customerId, name, kind, agentId, created.prefix, created.hash, actorId],
        );
        const keyRow: KeyRow = { ...(inserted.rows[0] as Omit<KeyRow, 'agent'>), agent: agent ?? null };
        await recordAudit(tx, {
          customerId: principal.customerId,
          actor: principal,
          action: 'api_key.create',
          targetType: 'api_key',
          targetId: id,
          after: { name, kind, agent: agent ?? null, prefix: created.prefix },
        });
        return keyRow;
      });
      return reply.code(201).send({ ...view(row), key: created.key });
    },
  );

  app.get<{ Querystring: Static<typeof ListQuery> }>(
    '/v1/api-keys',
    {
      config: { access: 'admin' },
      schema: {
        tags,
        security,
        summary: 'List active API keys, newest first (never the keys themselves)',
        querystring: ListQuery,
        response: { 200: KeyList },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const limit = request.query.limit ?? 50;
      const params: unknown[] = [principal.customerId, limit + 1];
      let after = '';
      if (request.query.cursor) {
        params.push(request.query.cursor);
        // Keyset pagination on (created_at, id): stable under inserts, no OFFSET scans.
        after = `AND (k.created_at, k.id) < (SELECT c.created_at, c.id FROM api_keys c
                   WHERE c.id = $3 AND c.customer_id = $1)`;
        const known = await ctx.db.query('SELECT 1 FROM api_keys WHERE id = $1 AND customer_id = $2', [
          request.query.cursor,
          principal.customerId,
        ]);
        if (known.rows.length === 0)
          throw invalidRequest([{ field: 'cursor', problem: 'is not a valid cursor' }]);
      }
      const { rows } = await ctx.db.query<KeyRow>(
        `SELECT k.id, k.name, k.kind, a.name AS agent, k.prefix, k.created_at, k.last_used_at
           FROM api_keys k LEFT JOIN agents a ON a.id = k.agent_id
          WHERE k.customer_id = $1 AND k.revoked_at IS NULL ${after}
          ORDER BY k.created_at DESC, k.id DESC
          LIMIT $2`,
        params,
      );
      const page = rows.slice(0, limit);
      const last = page[page.length - 1];
      return { data: page.map(view), next_cursor: rows.length > limit && last ? last.id : null };
    },
  );

  app.delete<{ Params: Static<typeof IdParams> }>(
    '/v1/api-keys/:id',
    {
      config: { access: 'admin' },
      schema: {
        tags,
        security,
        summary: 'Revoke an API key; effective on the very next request on every instance',
        description:
          'Idempotent: revoking an already revoked key answers 204 again. 503 means the key is revoked in the ' +
          'database but the shared cache could not be told yet; retry.',
        params: IdParams,
        response: { 204: Type.Null() },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const keyHash = await ctx.db.transaction(async (tx) => {
        const { rows } = await tx.query<{
          key_hash: string;
          name: string;
          kind: string;
          revoked_at: Date | null;
        }>(
          `SELECT key_hash, name, kind, revoked_at FROM api_keys WHERE id = $1 AND customer_id = $2 FOR UPDATE`,
          [request.params.id, principal.customerId],
        );
        const key = rows[0];
        // Another customer's key id is indistinguishable from a missing one.
        if (!key) throw notFound('API key');
        if (key.revoked_at === null) {
          await tx.query('UPDATE api_keys SET revoked_at = now() WHERE id = $1', [request.params.id]);
          await recordAudit(tx, {
            customerId: principal.customerId,
            actor: principal,
            action: 'api_key.revoke',
            targetType: 'api_key',
            targetId: request.params.id,
            before: { name: key.name, kind: key.kind, revoked: false },
            after: { revoked: true },
          });
        }
        return key.key_hash;
      });
      try {
        await ctx.auth.apiKeys.invalidate(keyHash);
      } catch (error) {
        request.log.error(
          { err: error },
          'API key revoked in PostgreSQL but the key cache was not invalidated',
        );
        throw new ApiError(
          'unavailable',
          'The key is revoked but not every server instance has been told yet; retry this request.',
          {},
          1,
        );
      }
      return reply.code(204).send();
    },
  );
}
