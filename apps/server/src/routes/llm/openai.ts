// The OpenAI-compatible gateway, registered under the prefix /llm/openai/v1 (docs/api.md §12): `new OpenAI({ baseURL: "<spendguard>/llm/openai/v1", apiKey:
// "<sg_ingest_…>" })`. Thin: authenticate, hand the call to gateway/call.ts. GET /models is passed through unmetered.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../context.js';
import { openAIChat } from '../../gateway/endpoints/openai-chat.js';
import { openAIEmbeddings } from '../../gateway/endpoints/openai-embeddings.js';
import { openAIResponses } from '../../gateway/endpoints/openai-responses.js';
import type { Endpoint } from '../../gateway/endpoints/types.js';
import { callerOfRequest, GATEWAY_BODY_LIMIT, LlmRequestBody, registerGatewayScope } from './scope.js';

const tags = ['gateway'];
const METERED: Array<[string, Endpoint, string]> = [
  ['/chat/completions', openAIChat, 'OpenAI chat completions through the spend guard'],
  ['/responses', openAIResponses, 'OpenAI responses through the spend guard'],
  ['/embeddings', openAIEmbeddings, 'OpenAI embeddings through the spend guard'],
];

export async function openAIGatewayRoutes(fastify: FastifyInstance, ctx: AppContext): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const gateway = ctx.gateway;
  registerGatewayScope(app, 'openai');

  for (const [url, endpoint, summary] of METERED) {
    app.post(
      url,
      {
        bodyLimit: GATEWAY_BODY_LIMIT,
        config: { access: 'public' },
        onRequest: async (request) => {
          request.gatewayCaller = await gateway.callerOf(request);
        },
        schema: { tags, summary, body: LlmRequestBody },
      },
      async (request, reply) => gateway.call(request, reply, endpoint, callerOfRequest(request)),
    );
  }

  for (const url of ['/models', '/models/:model']) {
    app.get(
      url,
      {
        config: { access: 'public' },
        schema: { tags, summary: "The provider's models, passed through (not metered)" },
      },
      async (request, reply) => {
        const principal = await gateway.keyHolder(request);
        const path = request.url.slice('/llm/openai/v1'.length).split('?')[0] as string;
        return gateway.passThrough(request, reply, principal.customerId, 'openai', path);
      },
    );
  }
}
