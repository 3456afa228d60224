// Creates the benchmark's customer through the public API, exactly as a user would: sign up, create an admin key,
// lift the limits (the benchmark measures throughput, not declines), create the agents.
import { randomBytes } from 'node:crypto';

interface JsonResponse {
  status: number;
  headers: Headers;
  // biome-ignore lint/suspicious/noExplicitAny: response bodies are inspected ad hoc and checked by status first
  body: any;
}

export async function call(
  baseUrl: string,
  path: string,
  options: { method?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<JsonResponse> {
  const res = await fetch(`${baseUrl}${path}`, {
    method: options.method ?? (options.body === undefined ? 'GET' : 'POST'),
    headers: {
      ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
      ...options.headers,
    },
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    // keep text
  }
  return { status: res.status, headers: res.headers, body };
}

function expect(res: JsonResponse, status: number, what: string): void {
  if (res.status !== status)
    throw new Error(`${what}: expected ${status}, got ${res.status} ${JSON.stringify(res.body)}`);
}

export interface BenchTenant {
  adminKey: string;
  agents: string[];
}

export async function createTenant(baseUrl: string, agentCount: number): Promise<BenchTenant> {
  const email = `bench-${Date.now()}-${randomBytes(3).toString('hex')}@example.test`;
  const signup = await call(baseUrl, '/v1/auth/signup', {
    body: { email, password: randomBytes(16).toString('hex'), company: 'Bench Inc' },
  });
  expect(signup, 201, 'signup');
  const cookie =
    (signup.headers.getSetCookie().find((c) => c.startsWith('sg_session=')) ?? '').split(';')[0] ?? '';
  const key = await call(baseUrl, '/v1/api-keys', {
    body: { name: 'bench admin', kind: 'admin' },
    headers: { cookie, 'x-csrf-token': signup.body.csrf_token },
  });
  expect(key, 201, 'create admin key');
  const adminKey: string = key.body.key;
  const auth = { authorization: `Bearer ${adminKey}` };
  const noLimits = { month_micros: null, day_micros: null, run_micros: null, velocity: null };
  const patch = await call(baseUrl, '/v1/customer', {
    method: 'PATCH',
    body: { limits: { month_micros: null }, default_agent_limits: noLimits },
    headers: auth,
  });
  expect(patch, 200, 'lift customer limits');
  const agents: string[] = [];
  for (let i = 0; i < agentCount; i++) {
    const name = `bench-agent-${i}`;
    const created = await call(baseUrl, '/v1/agents', { body: { name, limits: noLimits }, headers: auth });
    expect(created, 201, `create agent ${name}`);
    agents.push(name);
  }
  return { adminKey, agents };
}

export interface GatewayTenant {
  adminKey: string;
  /** Agent name → an ingest key bound to it (what an agent gives its OpenAI client as apiKey). */
  ingestKeys: Map<string, string>;
}

/**
 * The gateway phase's customer: its own signup (so the events phases' exact checks are untouched), the OpenAI
 * provider key pointing at the simulator (`PUT /v1/providers/openai`), and one agent per sub-phase with no limits
 * (no loop detection either: the bench repeats one request shape on purpose) and an ingest key bound to it.
 */
export async function createGatewayTenant(
  baseUrl: string,
  openAIBaseUrl: string,
  agentNames: string[],
): Promise<GatewayTenant> {
  const { adminKey } = await createTenant(baseUrl, 0);
  const auth = { authorization: `Bearer ${adminKey}` };
  const provider = await call(baseUrl, '/v1/providers/openai', {
    method: 'PUT',
    body: { api_key: `sk-bench-${randomBytes(8).toString('hex')}`, base_url: openAIBaseUrl },
    headers: auth,
  });
  expect(provider, 200, 'PUT /v1/providers/openai');
  const limits = { month_micros: null, day_micros: null, run_micros: null, velocity: null, repeats: null };
  const ingestKeys = new Map<string, string>();
  for (const name of agentNames) {
    expect(
      await call(baseUrl, '/v1/agents', { body: { name, limits }, headers: auth }),
      201,
      `agent ${name}`,
    );
    const key = await call(baseUrl, '/v1/api-keys', {
      body: { name: `${name} ingest`, kind: 'ingest', agent: name },
      headers: auth,
    });
    expect(key, 201, `ingest key for ${name}`);
    ingestKeys.set(name, key.body.key);
  }
  return { adminKey, ingestKeys };
}
