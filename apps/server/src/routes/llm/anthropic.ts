// The Anthropic-compatible gateway, registered under the prefix /llm/anthropic/v1 (docs/api.md §12): `new Anthropic({ baseURL: "<spendguard>/llm/anthropic", apiKey:
// "<sg_ingest_…>" })` — the key arrives as x-api-key. Thin: authenticate, hand the call to gateway/call.ts.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../context.js';
import { anthropicMessages } from '../../gateway/endpoints/anthropic-messages.js';
import {
  ANTHROPIC_SECURITY,
  callerOfRequest,
  GATEWAY_BODY_LIMIT,
  llmRequestBody,
  registerGatewayScope,
} from './scope.js';

export async function anthropicGatewayRoutes(fastify: FastifyInstance, ctx: AppContext): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const gateway = ctx.gateway;
  registerGatewayScope(app, 'anthropic', ctx.metrics);

  app.post(
    '/messages',
    {
      bodyLimit: GATEWAY_BODY_LIMIT,
      config: { access: 'public' },
      onRequest: async (request) => {
        request.gatewayCaller = await gateway.callerOf(request);
      },
      schema: {
        tags: ['gateway'],
        summary: 'Anthropic messages through the spend guard',
        security: ANTHROPIC_SECURITY,
        body: llmRequestBody({
          model: 'claude-sonnet-4-5',
          max_tokens: 1024,
          messages: [{ role: 'user', content: 'Hello' }],
        }),
      },
    },
    async (request, reply) => gateway.call(request, reply, anthropicMessages, callerOfRequest(request)),
  );
}
