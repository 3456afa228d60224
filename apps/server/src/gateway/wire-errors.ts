// Spendguard's own answers on the gateway routes, in the wire format of the route (docs/api.md §12), so the official
// clients raise their usual typed errors: OpenAI routes `{"error": {"type": "spendguard_error", "code", "message",
// ...extras}}`; Anthropic routes `{"type": "error", "error": {"type": "<anthropic type>", "message", "spendguard":
// {"code", ...extras}}}`. Declines and other 4xx carry `x-should-retry: false` (the clients honour it); a 503 says
// `true` with Retry-After — the provider was never called, so a retry is safe.
import type { FastifyReply } from 'fastify';
import type { ApiError } from '../http/errors.js';
import type { ProviderName } from './endpoints/types.js';

export interface WireError {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

/** An error of ours as its envelope fields (docs/api.md §4): code, message and extras. */
export interface OwnError {
  status: number;
  code: string;
  message: string;
  extra: Record<string, unknown>;
  retryAfterSeconds?: number | undefined;
}

export const ownError = (error: ApiError): OwnError => ({
  status: error.status,
  code: error.code,
  message: error.message,
  extra: error.extra,
  retryAfterSeconds: error.retryAfterSeconds,
});

/** An answer of a money service that is an error envelope (a 403 decline, a 503), minus the reservation it made. */
export function ownErrorOf(status: number, body: unknown): OwnError {
  const error = ((body as { error?: Record<string, unknown> } | null)?.error ?? {}) as Record<
    string,
    unknown
  >;
  const { code, message, reservation: _reservation, event: _event, ...extra } = error;
  return {
    status,
    code: typeof code === 'string' ? code : 'internal',
    message: typeof message === 'string' ? message : 'Spendguard refused the call.',
    extra,
  };
}

const ANTHROPIC_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  409: 'invalid_request_error',
  413: 'request_too_large',
  415: 'invalid_request_error',
  422: 'invalid_request_error',
  429: 'rate_limit_error',
};

/** The error object itself (also the data of a stream's error frame). */
export function errorPayload(provider: ProviderName, e: OwnError): unknown {
  if (provider === 'openai') {
    return { error: { ...e.extra, type: 'spendguard_error', code: e.code, message: e.message, param: null } };
  }
  return {
    type: 'error',
    error: {
      type: ANTHROPIC_TYPES[e.status] ?? 'api_error',
      message: e.message,
      spendguard: { ...e.extra, code: e.code },
    },
  };
}

export function wireError(provider: ProviderName, e: OwnError): WireError {
  const headers: Record<string, string> = {
    'x-should-retry': e.status >= 500 || e.status === 429 ? 'true' : 'false',
  };
  if (e.retryAfterSeconds !== undefined) headers['retry-after'] = String(e.retryAfterSeconds);
  return { status: e.status, headers, body: errorPayload(provider, e) };
}

/** Sends one of our errors in the route's format. */
export function sendWire(reply: FastifyReply, provider: ProviderName, e: OwnError): FastifyReply {
  const wire = wireError(provider, e);
  return reply.code(wire.status).headers(wire.headers).send(wire.body);
}

/** The frame that ends a stream Spendguard stopped (the kill switch): what each client reads as a stream error. */
export function errorFrame(provider: ProviderName, e: OwnError): string {
  const data = JSON.stringify(errorPayload(provider, e));
  return provider === 'openai' ? `data: ${data}\n\n` : `event: error\ndata: ${data}\n\n`;
}
