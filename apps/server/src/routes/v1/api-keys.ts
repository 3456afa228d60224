// API keys (docs/api.md §3, §8): create (the only time the key is shown), list (no secrets), revoke. Thin: the key
// service (auth/api-key-service.ts) does the work.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { principalOf } from '../../auth/plugin.js';
import type { AppContext } from '../../context.js';
import {
  ApiKeyIdParams,
  ApiKeyListQuery,
  ApiKeyPageSchema,
  CreateApiKeyBody,
  CreatedApiKeySchema,
} from '../../schemas/accounts.js';
import { errors, ref } from '../../schemas/common.js';

const tags = ['api-keys'];

export async function apiKeyRoutes(fastify: FastifyInstance, ctx: AppContext): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const keys = ctx.auth.keys;

  app.post(
    '/v1/api-keys',
    {
      config: { access: 'admin' },
      schema: {
        tags,
        summary: 'Create an API key (the key is shown only in this response)',
        body: CreateApiKeyBody,
        response: {
          201: ref(CreatedApiKeySchema, 'created; the only time the key is shown'),
          ...errors(400, 401, 403, 404, 413, 415, 429, 500, 503),
        },
      },
    },
    async (request, reply) => reply.code(201).send(await keys.create(principalOf(request), request.body)),
  );

  app.get(
    '/v1/api-keys',
    {
      config: { access: 'admin' },
      schema: {
        tags,
        summary: 'List active API keys, newest first (never the keys themselves)',
        querystring: ApiKeyListQuery,
        response: {
          200: ref(ApiKeyPageSchema, 'one page, newest first'),
          ...errors(400, 401, 403, 429, 500, 503),
        },
      },
    },
    async (request) =>
      keys.list(principalOf(request).customerId, {
        limit: request.query.limit ?? 50,
        cursor: request.query.cursor,
      }),
  );

  app.delete(
    '/v1/api-keys/:id',
    {
      config: { access: 'admin' },
      schema: {
        tags,
        summary: 'Revoke an API key; effective on the very next request on every instance',
        description:
          'Idempotent: revoking an already revoked key answers 204 again. 503 means the key is revoked in the ' +
          'database but the shared cache could not be told yet; retry.',
        params: ApiKeyIdParams,
        response: {
          204: { type: 'null', description: 'revoked' },
          ...errors(401, 403, 404, 429, 500, 503),
        },
      },
    },
    async (request, reply) => {
      await keys.revoke(principalOf(request), request.params.id);
      return reply.code(204).send(null);
    },
  );
}
