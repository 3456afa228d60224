// A gateway test deployment: a Spendguard server that may call private upstreams, the local OpenAI/Anthropic
// simulator (packages/sdk/test/support/llm-upstream.ts, the same double the guarded-client tests use), a customer
// whose provider keys point at the simulator, and the official clients configured as an agent would configure them.
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { type LLMUpstream, startLLMUpstream } from '../../../../packages/sdk/test/support/llm-upstream.js';
import { type ApiResponse, api, signupAndAdminKey, type Tenant, type TestServer } from '../harness.js';

/** The provider keys Spendguard holds; the agent never sees them. */
export const OPENAI_KEY = 'sk-proj-upstreamKEY0000openai';
export const ANTHROPIC_KEY = 'sk-ant-api03-upstreamKEY0000anthropic';

export const ALLOW_PRIVATE = { SPENDGUARD_ALLOW_PRIVATE_UPSTREAMS: '1' };

export interface GatewayTenant extends Tenant {
  /** An ingest key bound to `agent`. */
  ingestKey: string;
  agent: string;
}

export async function expectOk<T>(
  response: Promise<ApiResponse<T>> | ApiResponse<T>,
  status = 200,
): Promise<T> {
  const r = await response;
  if (r.status !== status) throw new Error(`expected ${status}, got ${r.status}: ${JSON.stringify(r.body)}`);
  return r.body;
}

/** A customer with both provider keys pointing at `upstream` and an agent with an ingest key bound to it. */
export async function gatewayTenant(
  server: TestServer,
  upstream: LLMUpstream,
  agent = 'gw-bot',
  limits: Record<string, unknown> = {},
): Promise<GatewayTenant> {
  const t = await signupAndAdminKey(server.url);
  await expectOk(
    api(server.url, '/v1/providers/openai', {
      method: 'PUT',
      key: t.adminKey,
      body: { api_key: OPENAI_KEY, base_url: `${upstream.url}/v1` },
    }),
  );
  await expectOk(
    api(server.url, '/v1/providers/anthropic', {
      method: 'PUT',
      key: t.adminKey,
      body: { api_key: ANTHROPIC_KEY, base_url: upstream.url },
    }),
  );
  await expectOk(api(server.url, '/v1/agents', { key: t.adminKey, body: { name: agent, limits } }), 201);
  const key = await expectOk<{ key: string }>(
    api(server.url, '/v1/api-keys', {
      key: t.adminKey,
      body: { name: `${agent} key`, kind: 'ingest', agent },
    }),
    201,
  );
  return { ...t, ingestKey: key.key, agent };
}

export function openAIThrough(
  server: TestServer,
  key: string,
  options: Partial<ConstructorParameters<typeof OpenAI>[0]> = {},
) {
  return new OpenAI({ baseURL: `${server.url}/llm/openai/v1`, apiKey: key, maxRetries: 0, ...options });
}

export function anthropicThrough(
  server: TestServer,
  key: string,
  options: Partial<ConstructorParameters<typeof Anthropic>[0]> = {},
) {
  return new Anthropic({ baseURL: `${server.url}/llm/anthropic`, apiKey: key, maxRetries: 0, ...options });
}

export interface EventJson {
  id: string;
  cost_micros: number;
  metadata: Record<string, unknown> | null;
  usage?: {
    provider: string;
    model: string;
    input_tokens: number;
    output_tokens: number;
    cache_read_tokens: number;
  };
  reservation_id?: string | null;
}

/** The agent's events, newest first. */
export async function eventsOf(server: TestServer, t: Tenant, agent: string): Promise<EventJson[]> {
  const body = await expectOk<{ data: EventJson[] }>(
    api(server.url, `/v1/events?agent=${encodeURIComponent(agent)}&limit=100`, { key: t.adminKey }),
  );
  return body.data;
}

/** Waits until the agent has `n` events (a stream's commit lands just after the client saw the stream end). */
export async function eventsSettled(server: TestServer, t: Tenant, agent: string, n: number, maxMs = 5_000) {
  const started = Date.now();
  for (;;) {
    const events = await eventsOf(server, t, agent);
    if (events.length >= n || Date.now() - started > maxMs) return events;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** What the same usage costs when tracked directly (POST /v1/events with usage.raw): the gateway must match it. */
export async function directPrice(
  server: TestServer,
  t: Tenant,
  provider: string,
  model: string,
  raw: Record<string, unknown>,
): Promise<number> {
  const r = await api(server.url, '/v1/events', {
    key: t.adminKey,
    headers: { 'idempotency-key': `direct-${Math.random().toString(36).slice(2)}` },
    body: { agent: 'direct-tracking', usage: { provider, model, raw } },
  });
  if (r.status !== 201) throw new Error(`direct event: ${r.status} ${JSON.stringify(r.body)}`);
  return (r.body as { event: { cost_micros: number } }).event.cost_micros;
}

export { type LLMUpstream, startLLMUpstream };
