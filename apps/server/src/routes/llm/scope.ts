// What every gateway route shares (docs/api.md §12): API-key auth in the provider's header before the body is read,
// a body limit for prompts with images, and errors in the route's own wire format — every error of the scope, from
// a 401 to a 503 of our own stores, goes through one handler so an official client raises its typed error.
import type { FastifyError, FastifyInstance, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { Caller } from '../../gateway/caller.js';
import type { ProviderName } from '../../gateway/endpoints/types.js';
import { ownError, sendWire } from '../../gateway/wire-errors.js';
import { ApiError, notFound, unauthenticated } from '../../http/errors.js';
import { toApiError } from '../../http/errors-plugin.js';
import type { Metrics } from '../../observability/metrics.js';

/** Prompts may carry base64 images and documents (Anthropic accepts 32 MB requests). */
export const GATEWAY_BODY_LIMIT = 32 * 1024 * 1024;

/** The fields the gateway reads itself; everything else passes to the provider as sent. */
export const llmRequestBody = (example: Record<string, unknown>) =>
  Type.Object(
    {
      model: Type.String({
        minLength: 1,
        maxLength: 256,
        description: 'the model, as the provider names it',
      }),
      stream: Type.Optional(Type.Boolean()),
    },
    { additionalProperties: true, examples: [example] },
  );

/** The gateway takes API keys only (a dashboard session never spends): OpenAI clients send Bearer. */
export const OPENAI_SECURITY: Array<Record<string, string[]>> = [{ apiKey: [] }];
/** Anthropic clients send x-api-key; Bearer is accepted too. */
export const ANTHROPIC_SECURITY: Array<Record<string, string[]>> = [{ anthropicApiKey: [] }, { apiKey: [] }];

declare module 'fastify' {
  interface FastifyRequest {
    gatewayCaller?: Caller;
  }
}

/** The caller the scope's onRequest hook resolved (always there in a handler: the hook answers 401 otherwise). */
export function callerOfRequest(request: FastifyRequest): Caller {
  if (!request.gatewayCaller) throw unauthenticated();
  return request.gatewayCaller;
}

export function registerGatewayScope(app: FastifyInstance, provider: ProviderName, metrics: Metrics): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const apiError = toApiError(error);
    // Spendguard's own refusals (400, 401, 422, 503…) are gateway requests too; the model is not trusted as a label.
    metrics.gatewayRequests.inc({ provider, model: 'refused', status: String(apiError?.status ?? 500) });
    if (apiError) {
      if (apiError.status >= 500) request.log.warn({ err: error }, 'gateway: dependency unavailable');
      return sendWire(reply, provider, ownError(apiError));
    }
    request.log.error({ err: error }, 'gateway: unhandled error');
    return sendWire(
      reply,
      provider,
      ownError(new ApiError('internal', 'Internal error. The request id identifies it in the logs.')),
    );
  });
  app.setNotFoundHandler((_request, reply) => sendWire(reply, provider, ownError(notFound('route'))));
}
