// Unmetered reads passed to the provider with the customer's key (GET /models): an official client lists models on
// start or before a call, and it must work through the gateway too. Nothing is estimated or charged.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { GatewayDeps } from './deps.js';
import type { ProviderName } from './endpoints/types.js';
import { providerCredential } from './provider-credential.js';
import { callUpstream, passedHeaders, readBody } from './upstream.js';

const MAX_LIST_BYTES = 8 * 1024 * 1024;
const TIMEOUT_MS = 30_000;

export function createPassThrough(deps: Pick<GatewayDeps, 'credentials' | 'dispatcher'>) {
  return async function passThrough(
    request: FastifyRequest,
    reply: FastifyReply,
    customerId: string,
    provider: ProviderName,
    path: string,
  ): Promise<FastifyReply> {
    const credential = await providerCredential(deps.credentials, customerId, provider);
    const upstream = await callUpstream({
      dispatcher: deps.dispatcher,
      request,
      provider,
      credential,
      body: null,
      method: 'GET',
      path,
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    const raw = await readBody(upstream.body, MAX_LIST_BYTES);
    return reply.code(upstream.statusCode).headers(passedHeaders(upstream.headers)).send(raw);
  };
}
