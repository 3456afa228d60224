// Provider credentials of the LLM gateway (docs/api.md §12): PUT /v1/providers/{provider} (admin, audited), GET
// /v1/providers (admin key or any session — viewers read), DELETE /v1/providers/{provider} (admin, audited). The key
// goes in once and never comes back out: answers carry its hint.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { principalOf } from '../../auth/plugin.js';
import type { AppContext } from '../../context.js';
import { isProvider, type Provider, type ProviderCredentialInfo } from '../../gateway/credentials.js';
import { ApiError } from '../../http/errors.js';
import { errors, ref } from '../../schemas/common.js';
import {
  ProviderCredentialListSchema,
  ProviderCredentialSchema,
  ProviderParams,
  PutProviderBody,
} from '../../schemas/providers.js';

const tags = ['providers'];

const credentialJson = (c: ProviderCredentialInfo) => ({
  provider: c.provider,
  base_url: c.baseUrl,
  key_hint: c.keyHint,
  created_at: c.createdAt,
  updated_at: c.updatedAt,
  last_used_at: c.lastUsedAt,
});

/** The provider of the path, or 404: there is no such resource as /v1/providers/mistral. */
function providerOf(name: string): Provider {
  if (isProvider(name)) return name;
  throw new ApiError('not_found', 'No such provider: the gateway supports openai and anthropic.');
}

export async function providerRoutes(fastify: FastifyInstance, ctx: AppContext): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const credentials = ctx.providers;

  app.get(
    '/v1/providers',
    {
      config: { access: 'admin' },
      schema: {
        tags,
        summary: 'The customer’s provider credentials (never the keys)',
        response: {
          200: ref(ProviderCredentialListSchema, 'one entry per provider with a stored credential'),
          ...errors(401, 403, 429, 500, 503),
        },
      },
    },
    async (request) => {
      const list = await credentials.list(principalOf(request).customerId);
      return { data: list.map(credentialJson) };
    },
  );

  app.put(
    '/v1/providers/:provider',
    {
      config: { access: 'admin' },
      schema: {
        tags,
        summary: 'Store the provider’s API key (and base URL) the gateway calls it with',
        description:
          'Replaces the whole credential (a missing base_url is the provider’s public API again). The key is stored ' +
          'encrypted (AES-256-GCM under SPENDGUARD_ENCRYPTION_KEY) and never returned or logged. In force for the ' +
          'next gateway call on every instance. Audited (provider.put, without the key). 503 when the server has no ' +
          'encryption key (production without SPENDGUARD_ENCRYPTION_KEY).',
        params: ProviderParams,
        body: PutProviderBody,
        response: {
          200: ref(ProviderCredentialSchema, 'the credential as stored'),
          ...errors(400, 401, 403, 404, 413, 415, 429, 500, 503),
        },
      },
    },
    async (request) => {
      const provider = providerOf(request.params.provider);
      const saved = await credentials.put(principalOf(request), provider, request.body);
      return credentialJson(saved);
    },
  );

  app.delete(
    '/v1/providers/:provider',
    {
      config: { access: 'admin' },
      schema: {
        tags,
        summary: 'Remove the provider’s credential; the gateway refuses calls to it from then on',
        description:
          'Idempotent: 204 also when none was stored (then nothing is audited). Audited (provider.delete) when one ' +
          'was removed.',
        params: ProviderParams,
        response: {
          204: { type: 'null', description: 'removed (or there was none)' },
          ...errors(400, 401, 403, 404, 429, 500, 503),
        },
      },
    },
    async (request, reply) => {
      const provider = providerOf(request.params.provider);
      await credentials.remove(principalOf(request), provider);
      return reply.code(204).send(null);
    },
  );
}
