// The request sent to the provider and the headers that come back (docs/api.md §12). Upstream: the provider's key
// from the customer's stored credential — never anything the agent sent as its own credential — and a short list
// of the client's headers that change what the provider does (API version, betas). Back: the provider's status and
// the headers that matter to a client (content type, retry advice, request ids, rate limits); hop-by-hop headers,
// cookies and lengths (the body may be re-framed) are not passed on.
import type { FastifyRequest } from 'fastify';
import { type Dispatcher, request as undiciRequest } from 'undici';
import type { Body, ProviderName } from './endpoints/types.js';

export interface Credential {
  apiKey: string;
  baseUrl: string;
}

const FORWARDED_REQUEST_HEADERS = [
  'anthropic-version',
  'anthropic-beta',
  'openai-beta',
  'openai-organization',
  'openai-project',
];
const DEFAULT_ANTHROPIC_VERSION = '2023-06-01';
const PASSED_RESPONSE_HEADER =
  /^(content-type|retry-after|retry-after-ms|x-should-retry|x-request-id|request-id|openai-[a-z0-9-]+|anthropic-[a-z0-9-]+|x-ratelimit-[a-z0-9-]+)$/;

function upstreamHeaders(
  request: FastifyRequest,
  provider: ProviderName,
  credential: Credential,
): Record<string, string> {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
  };
  for (const name of FORWARDED_REQUEST_HEADERS) {
    const value = request.headers[name];
    if (typeof value === 'string') headers[name] = value;
  }
  if (provider === 'anthropic') {
    headers['x-api-key'] = credential.apiKey;
    headers['anthropic-version'] ??= DEFAULT_ANTHROPIC_VERSION;
  } else {
    headers.authorization = `Bearer ${credential.apiKey}`;
  }
  return headers;
}

/** The headers of the provider's answer a client may rely on. */
export function passedHeaders(
  headers: Record<string, string | string[] | undefined>,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || !PASSED_RESPONSE_HEADER.test(name)) continue;
    out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

export function callUpstream(args: {
  dispatcher: Dispatcher;
  request: FastifyRequest;
  provider: ProviderName;
  credential: Credential;
  body: Body | null;
  method: 'GET' | 'POST';
  path: string;
  signal: AbortSignal;
}): Promise<Dispatcher.ResponseData> {
  return undiciRequest(`${args.credential.baseUrl}${args.path}`, {
    method: args.method,
    dispatcher: args.dispatcher,
    headers: upstreamHeaders(args.request, args.provider, args.credential),
    body: args.body === null ? undefined : JSON.stringify(args.body),
    signal: args.signal,
  });
}

/** Reads a non-streamed answer up to `max` bytes (a provider's answer larger than that is not one we relay). */
export async function readBody(body: Dispatcher.ResponseData['body'], max: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const part of body) {
    size += (part as Buffer).length;
    if (size > max) {
      body.destroy();
      throw new Error(`the provider's answer is larger than ${max} bytes`);
    }
    parts.push(part as Buffer);
  }
  return Buffer.concat(parts);
}
