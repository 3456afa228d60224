// The OpenAI-compatible gateway, registered under the prefix /llm/openai/v1 (docs/api.md §12): `new OpenAI({ baseURL: "<spendguard>/llm/openai/v1", apiKey:
// "<sg_ingest_…>" })`. Thin: authenticate, hand the call to gateway/call.ts. GET /models is passed through unmetered.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { AppContext } from '../../context.js';
import { openAIChat } from '../../gateway/endpoints/openai-chat.js';
import { openAIEmbeddings } from '../../gateway/endpoints/openai-embeddings.js';
import { openAIResponses } from '../../gateway/endpoints/openai-responses.js';
import type { Endpoint } from '../../gateway/endpoints/types.js';
import {
  callerOfRequest,
  GATEWAY_BODY_LIMIT,
  llmRequestBody,
  OPENAI_SECURITY,
  registerGatewayScope,
} from './scope.js';

const tags = ['gateway'];
/** A model id as one path segment: never '.' or '..', which would name another upstream path. */
const ModelParams = Type.Object({
  model: Type.String({ pattern: '^(?!\\.\\.?$)[A-Za-z0-9._:@-]{1,256}$' }),
});
const METERED: Array<[string, Endpoint, string, Record<string, unknown>]> = [
  [
    '/chat/completions',
    openAIChat,
    'OpenAI chat completions through the spend guard',
    { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hello' }], max_completion_tokens: 500 },
  ],
  [
    '/responses',
    openAIResponses,
    'OpenAI responses through the spend guard',
    { model: 'gpt-4o-mini', input: 'Hello', max_output_tokens: 500 },
  ],
  [
    '/embeddings',
    openAIEmbeddings,
    'OpenAI embeddings through the spend guard',
    { model: 'text-embedding-3-small', input: ['first text', 'second text'] },
  ],
];

export async function openAIGatewayRoutes(fastify: FastifyInstance, ctx: AppContext): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const gateway = ctx.gateway;
  registerGatewayScope(app, 'openai', ctx.metrics);

  for (const [url, endpoint, summary, example] of METERED) {
    app.post(
      url,
      {
        bodyLimit: GATEWAY_BODY_LIMIT,
        config: { access: 'public' },
        onRequest: async (request) => {
          request.gatewayCaller = await gateway.callerOf(request);
        },
        schema: { tags, summary, security: OPENAI_SECURITY, body: llmRequestBody(example) },
      },
      async (request, reply) => gateway.call(request, reply, endpoint, callerOfRequest(request)),
    );
  }

  for (const url of ['/models', '/models/:model']) {
    app.get(
      url,
      {
        config: { access: 'public' },
        schema: {
          tags,
          summary: "The provider's models, passed through (not metered)",
          security: OPENAI_SECURITY,
          ...(url.endsWith(':model') ? { params: ModelParams } : {}),
        },
      },
      async (request, reply) => {
        const principal = await gateway.keyHolder(request);
        const path = request.url.slice('/llm/openai/v1'.length).split('?')[0] as string;
        return gateway.passThrough(request, reply, principal.customerId, 'openai', path);
      },
    );
  }
}
