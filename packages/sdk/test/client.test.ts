// The client over a real socket: bodies and headers on the wire, retries with one key,
// timeouts, fail-open, and guard()'s reserve → run → commit/release sequence.
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import {
  AgentSuspendedError,
  BudgetExceededError,
  IdempotencyError,
  isUnavailable,
  RateLimitedError,
  Spendguard,
  type SpendguardOptions,
  UnavailableError,
  ValidationError,
} from '../src/index.js';
import {
  errorBody,
  type Reply,
  type ScriptedServer,
  startScriptedServer,
  trackResponse,
} from './support/scripted-server.js';

let server: ScriptedServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const fast = { retryBaseDelayMs: 1, retryMaxDelayMs: 50 };

async function clientFor(
  script: (request: { method: string; path: string }, index: number) => Reply,
  options: Partial<SpendguardOptions<'throw'>> = {},
) {
  server = await startScriptedServer(script);
  return new Spendguard({ apiKey: 'sg_ingest_test', baseUrl: `${server.url}/`, ...fast, ...options });
}

const reservationBody = {
  reservation: {
    id: 'rsv_1',
    agent: 'bot',
    amount_micros: 50_000,
    status: 'held',
    expires_at: '2026-11-25T10:05:00Z',
  },
  budget: { agent: {}, customer: {} },
};

describe('track()', () => {
  it('posts the snake_case body with auth and a generated idempotency key', async () => {
    const sg = await clientFor(() => ({ status: 201, body: trackResponse }));
    const result = await sg.track({
      agent: 'bot',
      costUsd: '0.0123',
      run: 'task-1',
      metadata: { model: 'gpt-4o' },
      occurredAt: new Date('2026-11-25T10:00:00Z'),
    });
    assert.deepEqual(result, trackResponse);
    const [request] = server!.requests;
    assert.equal(request?.method, 'POST');
    assert.equal(request?.path, '/v1/events');
    assert.deepEqual(request?.body, {
      agent: 'bot',
      cost_usd: '0.0123',
      run: 'task-1',
      occurred_at: '2026-11-25T10:00:00.000Z',
      metadata: { model: 'gpt-4o' },
    });
    assert.equal(request?.headers.authorization, 'Bearer sg_ingest_test');
    assert.equal(request?.headers['content-type'], 'application/json');
    assert.match(String(request?.headers['idempotency-key']), /^[0-9a-f-]{36}$/);
  });

  it('sends cost_micros and a caller-given key; fresh keys differ per call', async () => {
    const sg = await clientFor(() => ({ status: 201, body: trackResponse }));
    await sg.track({ agent: 'bot', costMicros: 5, idempotencyKey: 'mine-1' });
    await sg.track({ agent: 'bot', costMicros: 5 });
    await sg.track({ agent: 'bot', costMicros: 5 });
    const [first, second, third] = server!.requests;
    assert.deepEqual(first?.body, { agent: 'bot', cost_micros: 5 });
    assert.equal(first?.headers['idempotency-key'], 'mine-1');
    assert.notEqual(second?.headers['idempotency-key'], third?.headers['idempotency-key']);
  });

  it('retries a lost response, a 503, an in-flight 409 and a 429 with the same key', async () => {
    const replies: Reply[] = [
      'destroy',
      { status: 503, body: errorBody('unavailable'), headers: { 'retry-after': '0' } },
      { status: 409, body: errorBody('idempotency_key_in_flight'), headers: { 'retry-after': '0' } },
      { status: 429, body: errorBody('rate_limited'), headers: { 'retry-after': '0' } },
      { status: 201, body: trackResponse },
    ];
    const sg = await clientFor((_, i) => replies[i]!, { maxRetries: 4 });
    const result = await sg.track({ agent: 'bot', costUsd: 0.01 });
    assert.equal(result.event.id, 'evt_1');
    const keys = server!.requests.map((r) => r.headers['idempotency-key']);
    assert.equal(keys.length, 5);
    assert.equal(new Set(keys).size, 1, `keys differ: ${keys.join(', ')}`);
  });

  it('never retries a decision: budget_exceeded is thrown after one request', async () => {
    const sg = await clientFor(() => ({
      status: 403,
      body: errorBody('budget_exceeded', {
        scope: 'customer',
        period: 'month',
        limit_micros: 10,
        spent_micros: 10,
      }),
      headers: { 'x-request-id': 'req_budget' },
    }));
    await assert.rejects(sg.track({ agent: 'bot', costMicros: 1 }), (error) => {
      assert.ok(error instanceof BudgetExceededError);
      assert.equal(error.scope, 'customer');
      assert.equal(error.requestId, 'req_budget');
      return true;
    });
    assert.equal(server!.requests.length, 1);
  });

  it('does not retry 400/422', async () => {
    const sg = await clientFor((_, i) =>
      i === 0
        ? { status: 400, body: errorBody('invalid_request', { details: [{ field: 'cost_usd' }] }) }
        : { status: 422, body: errorBody('idempotency_key_reused') },
    );
    await assert.rejects(sg.track({ agent: 'bot', costUsd: -1 }), ValidationError);
    await assert.rejects(sg.track({ agent: 'bot', costUsd: 1 }), IdempotencyError);
    assert.equal(server!.requests.length, 2);
  });

  it('gives up after maxRetries and throws UnavailableError carrying the last status', async () => {
    const sg = await clientFor(
      () => ({ status: 503, body: errorBody('unavailable'), headers: { 'retry-after': '0' } }),
      {
        maxRetries: 2,
      },
    );
    await assert.rejects(sg.track({ agent: 'bot', costMicros: 1 }), (error) => {
      assert.ok(error instanceof UnavailableError);
      assert.equal(error.status, 503);
      assert.equal(error.retryAfter, 0);
      return true;
    });
    assert.equal(server!.requests.length, 3);
  });

  it('does not wait for a Retry-After longer than retryMaxDelayMs', async () => {
    const sg = await clientFor(() => ({
      status: 429,
      body: errorBody('rate_limited'),
      headers: { 'retry-after': '30' },
    }));
    const started = Date.now();
    await assert.rejects(sg.track({ agent: 'bot', costMicros: 1 }), (error) => {
      assert.ok(error instanceof RateLimitedError);
      assert.equal(error.retryAfter, 30);
      return true;
    });
    assert.equal(server!.requests.length, 1);
    assert.ok(Date.now() - started < 1_000);
  });

  it('times out a stalled server per attempt and retries', async () => {
    const sg = await clientFor((_, i) => (i === 0 ? 'hang' : { status: 201, body: trackResponse }), {
      timeoutMs: 100,
    });
    const result = await sg.track({ agent: 'bot', costMicros: 1 });
    assert.equal(result.event.id, 'evt_1');
    const [a, b] = server!.requests;
    assert.equal(a?.headers['idempotency-key'], b?.headers['idempotency-key']);
  });

  it('reports a timeout as UnavailableError code timeout', async () => {
    const sg = await clientFor(() => 'hang', { timeoutMs: 50, maxRetries: 1 });
    await assert.rejects(sg.track({ agent: 'bot', costMicros: 1 }), (error) => {
      assert.ok(error instanceof UnavailableError);
      assert.equal(error.code, 'timeout');
      assert.equal(error.status, 0);
      return true;
    });
    assert.equal(server!.requests.length, 2);
  });

  it('rejects a cost given both ways before sending anything', async () => {
    const sg = await clientFor(() => ({ status: 201, body: trackResponse }));
    // @ts-expect-error exactly one of costUsd / costMicros
    await assert.rejects(sg.track({ agent: 'bot', costUsd: 1, costMicros: 1 }), TypeError);
    // @ts-expect-error a cost is required
    await assert.rejects(sg.track({ agent: 'bot' }), TypeError);
    assert.equal(server!.requests.length, 0);
  });
});

describe("onUnavailable: 'allow'", () => {
  it('resolves track() and reserve() to marked results and warns once per outage', async () => {
    const warnings: string[] = [];
    server = await startScriptedServer(() => 'destroy');
    const sg = new Spendguard({
      apiKey: 'k',
      baseUrl: server.url,
      onUnavailable: 'allow',
      maxRetries: 1,
      logger: { warn: (message) => warnings.push(message) },
      ...fast,
    });
    const tracked = await sg.track({ agent: 'bot', costMicros: 1 });
    assert.ok(isUnavailable(tracked));
    assert.equal(tracked.allowed, true);
    assert.ok(tracked.error instanceof UnavailableError);
    const hold = await sg.reserve({ agent: 'bot', amountUsd: 1 });
    assert.equal(hold.unavailable, true);
    assert.equal(hold.id, null);
    assert.ok(isUnavailable(await hold.commit({ costUsd: 1 })));
    let ran = false;
    const value = await sg.guard({ agent: 'bot', estimateUsd: 1 }, async () => {
      ran = true;
      return { costUsd: 0.5, value: 'done' };
    });
    assert.equal(ran, true);
    assert.equal(value, 'done');
    assert.equal(warnings.length, 1, warnings.join('\n'));
    assert.match(warnings[0]!, /onUnavailable is 'allow'/);
  });

  it('still throws decisions (403) — fail-open is only for an unreachable server', async () => {
    server = await startScriptedServer(() => ({
      status: 403,
      body: errorBody('agent_suspended', { reason: 'manual', suspended_at: null }),
    }));
    const sg = new Spendguard({ apiKey: 'k', baseUrl: server.url, onUnavailable: 'allow', ...fast });
    await assert.rejects(sg.track({ agent: 'bot', costMicros: 1 }), AgentSuspendedError);
  });

  it('fails closed by default: throws UnavailableError', async () => {
    const sg = await clientFor(() => 'destroy', { maxRetries: 1 });
    await assert.rejects(sg.track({ agent: 'bot', costMicros: 1 }), (error) => {
      assert.ok(error instanceof UnavailableError);
      assert.equal(error.code, 'network_error');
      return true;
    });
  });
});

describe('reserve() and guard()', () => {
  it('reserves, commits and releases with idempotency keys on every call', async () => {
    const sg = await clientFor((request) => {
      if (request.path === '/v1/reservations') return { status: 201, body: reservationBody };
      if (request.path.endsWith('/commit')) return { status: 201, body: trackResponse };
      return { status: 200, body: { reservation: { ...reservationBody.reservation, status: 'released' } } };
    });
    const hold = await sg.reserve({ agent: 'bot', amountMicros: 50_000, ttlSeconds: 60, run: 'r1' });
    assert.equal(hold.id, 'rsv_1');
    assert.equal(hold.amountMicros, 50_000);
    await hold.commit({ costUsd: '0.04', metadata: { tokens: 10 } });
    const released = await hold.release();
    assert.equal(released.reservation.status, 'released');
    const [reserve, commit, release] = server!.requests;
    assert.deepEqual(reserve?.body, { agent: 'bot', amount_micros: 50_000, ttl_seconds: 60, run: 'r1' });
    assert.equal(commit?.path, '/v1/reservations/rsv_1/commit');
    assert.deepEqual(commit?.body, { cost_usd: '0.04', metadata: { tokens: 10 } });
    assert.equal(release?.path, '/v1/reservations/rsv_1/release');
    const keys = [reserve, commit, release].map((r) => r?.headers['idempotency-key']);
    assert.ok(keys.every((k) => typeof k === 'string' && k.length > 0));
    assert.equal(new Set(keys).size, 3);
  });

  it('reserves from an estimate, commits usage and sends fingerprints, all in snake_case', async () => {
    const sg = await clientFor((request) => {
      if (request.path === '/v1/reservations') return { status: 201, body: reservationBody };
      return { status: 201, body: trackResponse };
    });
    const hold = await sg.reserve({
      agent: 'bot',
      estimate: { provider: 'openai', model: 'gpt-4o-mini', inputTokens: 1200, maxOutputTokens: 1000 },
      fingerprint: 'fp-1',
    });
    await hold.commit({ usage: { provider: 'openai', model: 'gpt-4o-mini', raw: { prompt_tokens: 12 } } });
    await sg.track({
      agent: 'bot',
      usage: { provider: 'anthropic', model: 'claude-sonnet-4-5', inputTokens: 10, outputTokens: 5 },
      fingerprint: 'fp-2',
    });
    const [reserve, commit, track] = server!.requests;
    assert.deepEqual(reserve?.body, {
      agent: 'bot',
      estimate: { provider: 'openai', model: 'gpt-4o-mini', input_tokens: 1200, max_output_tokens: 1000 },
      fingerprint: 'fp-1',
    });
    assert.deepEqual(commit?.body, {
      usage: { provider: 'openai', model: 'gpt-4o-mini', raw: { prompt_tokens: 12 } },
    });
    assert.deepEqual(track?.body, {
      agent: 'bot',
      usage: { provider: 'anthropic', model: 'claude-sonnet-4-5', input_tokens: 10, output_tokens: 5 },
      fingerprint: 'fp-2',
    });
  });

  it('rejects an estimate given with an amount, or usage with a cost, before sending anything', async () => {
    const sg = await clientFor(() => ({ status: 201, body: reservationBody }));
    const estimate = { provider: 'openai', model: 'gpt-4o-mini', inputTokens: 1, maxOutputTokens: 1 };
    // @ts-expect-error exactly one of amountUsd / amountMicros / estimate
    await assert.rejects(sg.reserve({ agent: 'bot', amountUsd: 1, estimate }), TypeError);
    const usage = { provider: 'openai', model: 'gpt-4o-mini', inputTokens: 1 };
    // @ts-expect-error exactly one of costUsd / costMicros / usage
    await assert.rejects(sg.track({ agent: 'bot', costMicros: 1, usage }), TypeError);
    assert.equal(server!.requests.length, 0);
  });

  it('retries a commit whose response was lost with the same key', async () => {
    let commits = 0;
    const sg = await clientFor((request) => {
      if (request.path === '/v1/reservations') return { status: 201, body: reservationBody };
      commits++;
      return commits === 1 ? 'destroy' : { status: 201, body: trackResponse };
    });
    const hold = await sg.reserve({ agent: 'bot', amountUsd: 1 });
    await hold.commit({ costMicros: 10 });
    const [, first, second] = server!.requests;
    assert.equal(first?.headers['idempotency-key'], second?.headers['idempotency-key']);
  });

  it('guard() runs the work, commits its real cost and returns its value', async () => {
    const sg = await clientFor((request) =>
      request.path === '/v1/reservations'
        ? { status: 201, body: reservationBody }
        : { status: 201, body: trackResponse },
    );
    const value = await sg.guard({ agent: 'bot', estimateUsd: 0.05 }, async (hold) => {
      assert.equal(hold.id, 'rsv_1');
      return { costMicros: 12_300, value: 42, metadata: { model: 'm' } };
    });
    assert.equal(value, 42);
    assert.deepEqual(
      server!.requests.map((r) => [r.path, r.body]),
      [
        ['/v1/reservations', { agent: 'bot', amount_usd: 0.05 }],
        ['/v1/reservations/rsv_1/commit', { cost_micros: 12_300, metadata: { model: 'm' } }],
      ],
    );
  });

  it('guard() never calls the work when the hold is refused', async () => {
    const sg = await clientFor(() => ({
      status: 403,
      body: errorBody('budget_exceeded', { scope: 'agent', period: 'day', limit_micros: 1, spent_micros: 1 }),
    }));
    let called = false;
    await assert.rejects(
      sg.guard({ agent: 'bot', estimateUsd: 1 }, async () => {
        called = true;
        return { costUsd: 1, value: null };
      }),
      BudgetExceededError,
    );
    assert.equal(called, false);
  });

  it('guard() releases the hold when the work throws, and rethrows', async () => {
    const sg = await clientFor((request) =>
      request.path === '/v1/reservations'
        ? { status: 201, body: reservationBody }
        : { status: 200, body: { reservation: { ...reservationBody.reservation, status: 'released' } } },
    );
    const boom = new Error('LLM call failed');
    await assert.rejects(
      sg.guard({ agent: 'bot', estimateUsd: 1 }, async () => {
        throw boom;
      }),
      (error) => error === boom,
    );
    assert.deepEqual(
      server!.requests.map((r) => r.path),
      ['/v1/reservations', '/v1/reservations/rsv_1/release'],
    );
  });
});

describe('management API', () => {
  it('converts limits to snake_case and encodes names in paths', async () => {
    const sg = await clientFor(() => ({ status: 201, body: { name: 'a b' } }));
    await sg.agents.create({
      name: 'a b',
      limits: { monthUsd: 50, dayMicros: null, velocity: { windowSeconds: 60, maxUsd: '2' } },
    });
    await sg.agents.update('a/b', { limits: { runMicros: 5_000_000 } });
    await sg.agents.update('bot', { limits: { repeats: { max: 2, windowSeconds: 60 } } });
    await sg.agents.update('bot', { limits: { repeats: null } });
    await sg.agents.suspend('bot', 'runaway loop');
    await sg.agents.resume('bot');
    await sg.agent('bot');
    await sg.agents.list({ limit: 10 });
    await sg.agents.list({ archived: true });
    await sg.agents.archive('old bot');
    await sg.agents.restore('old bot');
    assert.deepEqual(
      server!.requests.map((r) => [r.method, r.path, r.body]),
      [
        [
          'POST',
          '/v1/agents',
          {
            name: 'a b',
            limits: { month_usd: 50, day_micros: null, velocity: { window_seconds: 60, max_usd: '2' } },
          },
        ],
        ['PATCH', '/v1/agents/a%2Fb', { limits: { run_micros: 5_000_000 } }],
        ['PATCH', '/v1/agents/bot', { limits: { repeats: { max: 2, window_seconds: 60 } } }],
        ['PATCH', '/v1/agents/bot', { limits: { repeats: null } }],
        ['POST', '/v1/agents/bot/suspend', { note: 'runaway loop' }],
        ['POST', '/v1/agents/bot/resume', {}],
        ['GET', '/v1/agents/bot', undefined],
        ['GET', '/v1/agents?limit=10', undefined],
        ['GET', '/v1/agents?archived=true', undefined],
        ['DELETE', '/v1/agents/old%20bot', undefined],
        ['POST', '/v1/agents/old%20bot/restore', {}],
      ],
    );
  });

  it('does not retry creating an agent after a lost response (it may exist now)', async () => {
    const sg = await clientFor(() => 'destroy');
    await assert.rejects(sg.agents.create({ name: 'x' }), UnavailableError);
    assert.equal(server!.requests.length, 1);
  });

  it('manages API keys', async () => {
    const sg = await clientFor((request) => {
      if (request.method === 'POST')
        return { status: 201, body: { id: 'key_1', key: 'sg_ingest_x', prefix: 'sg_ingest_x' } };
      if (request.method === 'GET')
        return { status: 200, body: { data: [{ id: 'key_1' }], next_cursor: 'key_1' } };
      return { status: 204 };
    });
    const created = await sg.apiKeys.create({ name: 'ci', kind: 'ingest', agent: 'bot' });
    assert.equal(created.key, 'sg_ingest_x');
    const page = await sg.apiKeys.list();
    assert.deepEqual(
      page.data.map((k) => k.id),
      ['key_1'],
    );
    assert.equal(page.next_cursor, 'key_1');
    assert.equal(await sg.apiKeys.revoke('key_1'), undefined);
    assert.deepEqual(
      server!.requests.map((r) => [r.method, r.path, r.body]),
      [
        ['POST', '/v1/api-keys', { name: 'ci', kind: 'ingest', agent: 'bot' }],
        ['GET', '/v1/api-keys', undefined],
        ['DELETE', '/v1/api-keys/key_1', undefined],
      ],
    );
  });
});
