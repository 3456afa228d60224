// Agents, the kill switch and the management API (docs/api.md §7, §8, §9): suspension seen at once on another instance,
// limits in usd/micros/null/defaults, 409 on a taken name, tenant isolation, bound ingest keys, audit log, SSE.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  type ApiResponse,
  api,
  signupAndAdminKey,
  startSecondInstance,
  startTestServer,
  type Tenant,
  type TestServer,
} from '../harness.js';
import { createAgent, type Json, postEvent } from './helpers.js';

describe('kill switch across two instances', () => {
  let a: TestServer;
  let b: TestServer;
  let t: Tenant;
  before(async () => {
    a = await startTestServer();
    b = await startSecondInstance(a);
    t = await signupAndAdminKey(a.url);
  });
  after(async () => {
    await b.close();
    await a.close();
  });

  it('suspend on A → the very next event on B is 403 agent_suspended; resume on B → next event on A accepted (20 rounds)', async () => {
    await createAgent(a.url, t.adminKey, 'switch');
    for (let round = 0; round < 20; round++) {
      const [on, off] = round % 2 === 0 ? [a, b] : [b, a];
      const s = await api(on.url, '/v1/agents/switch/suspend', {
        method: 'POST',
        key: t.adminKey,
        body: { note: `round ${round}` },
      });
      assert.equal(s.status, 200);
      assert.equal(s.body.status, 'suspended');
      assert.equal(s.body.suspended_reason, 'manual');
      const declined = await postEvent(off.url, t.adminKey, { agent: 'switch', cost_micros: 1 });
      assert.equal(declined.status, 403, `round ${round}: ${JSON.stringify(declined.body)}`);
      assert.equal(declined.body.error.code, 'agent_suspended');
      assert.equal(declined.body.error.reason, 'manual');
      assert.equal(typeof declined.body.error.suspended_at, 'string');
      const r = await api(off.url, '/v1/agents/switch/resume', { method: 'POST', key: t.adminKey });
      assert.equal(r.status, 200);
      assert.equal(r.body.status, 'active');
      const accepted = await postEvent(on.url, t.adminKey, { agent: 'switch', cost_micros: 1 });
      assert.equal(accepted.status, 201, `round ${round}: ${JSON.stringify(accepted.body)}`);
    }
    const agent = await api(b.url, '/v1/agents/switch', { key: t.adminKey });
    assert.equal(agent.body.spend.month_micros, 20);
  });

  it('a limit raised on A applies to the very next event on B', async () => {
    await createAgent(a.url, t.adminKey, 'raise', { day_micros: 100 });
    assert.equal((await postEvent(b.url, t.adminKey, { agent: 'raise', cost_micros: 100 })).status, 201);
    const patch = await api(a.url, '/v1/agents/raise', {
      method: 'PATCH',
      key: t.adminKey,
      body: { limits: { day_micros: 150 } },
    });
    assert.equal(patch.status, 200);
    assert.equal(patch.body.limits.day_micros, 150);
    assert.equal((await postEvent(b.url, t.adminKey, { agent: 'raise', cost_micros: 50 })).status, 201);
    const over = await postEvent(b.url, t.adminKey, { agent: 'raise', cost_micros: 1 });
    assert.equal(over.status, 403);
    assert.equal(over.body.error.period, 'day');
    assert.equal(over.body.error.limit_micros, 150);
    assert.equal(over.body.error.spent_micros, 150);
  });
});

async function readStream(url: string, key: string, during: () => Promise<void>): Promise<string> {
  const controller = new AbortController();
  const response = await fetch(`${url}/v1/stream`, {
    headers: { authorization: `Bearer ${key}` },
    signal: controller.signal,
  });
  assert.equal(response.status, 200);
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  let text = '';
  const collect = (async () => {
    const decoder = new TextDecoder();
    for (;;) {
      const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
      if (done) return;
      text += decoder.decode(value);
    }
  })();
  await new Promise((r) => setTimeout(r, 150));
  await during();
  await new Promise((r) => setTimeout(r, 1_000));
  controller.abort();
  await collect;
  return text;
}

describe('live stream across instances', () => {
  let a: TestServer;
  let b: TestServer;
  before(async () => {
    a = await startTestServer();
    b = await startSecondInstance(a);
  });
  after(async () => {
    await b.close();
    await a.close();
  });

  it('a stream on A sees, within a second, spend and a suspension made on B', async () => {
    const t = await signupAndAdminKey(a.url);
    await createAgent(a.url, t.adminKey, 'far-away');
    const text = await readStream(a.url, t.adminKey, async () => {
      assert.equal((await postEvent(b.url, t.adminKey, { agent: 'far-away', cost_micros: 77 })).status, 201);
      assert.equal(
        (await api(b.url, '/v1/agents/far-away/suspend', { method: 'POST', key: t.adminKey })).status,
        200,
      );
    });
    assert.match(text, /event: spend\ndata: \{"agent":"far-away","spend":\{"month_micros":77/);
    assert.match(text, /event: agent\ndata: \{[^\n]*"name":"far-away"[^\n]*"status":"suspended"/);
  });
});

describe('agents API', () => {
  let server: TestServer;
  let t: Tenant;
  before(async () => {
    server = await startTestServer();
    t = await signupAndAdminKey(server.url);
  });
  after(async () => server.close());

  it('creates with usd/micros/null limits, exact agent object, 409 on a taken name', async () => {
    const res = await createAgent(server.url, t.adminKey, 'research-bot', {
      month_usd: '50',
      day_micros: null,
      run_usd: 5,
      velocity: { window_seconds: 60, max_usd: '2.00' },
    });
    const agent = res.body;
    assert.match(agent.id, /^agt_/);
    assert.deepEqual(agent.limits, {
      month_micros: 50_000_000,
      day_micros: null,
      run_micros: 5_000_000,
      velocity: { window_seconds: 60, max_micros: 2_000_000 },
      repeats: null,
    });
    assert.deepEqual(agent.spend, { month_micros: 0, day_micros: 0, velocity_micros: 0 });
    assert.equal(agent.status, 'active');
    assert.equal(agent.suspended_reason, null);
    assert.equal(agent.suspended_at, null);
    for (const field of [
      'id',
      'name',
      'status',
      'suspended_reason',
      'suspended_at',
      'limits',
      'spend',
      'created_at',
    ]) {
      assert.ok(field in agent, field);
    }
    const taken = await api(server.url, '/v1/agents', { key: t.adminKey, body: { name: 'research-bot' } });
    assert.equal(taken.status, 409);
    assert.equal(taken.body.error.code, 'conflict');
    assert.equal(taken.body.error.field, 'name');
    const bad = await api(server.url, '/v1/agents', {
      key: t.adminKey,
      body: { name: 'x', limits: { month_usd: '1', month_micros: 1 } },
    });
    assert.equal(bad.status, 400);
    const badVelocity = await api(server.url, '/v1/agents', {
      key: t.adminKey,
      body: { name: 'y', limits: { velocity: { window_seconds: 0, max_micros: 1 } } },
    });
    assert.equal(badVelocity.status, 400);
  });

  it('live spend, velocity and run limits in the event budget object', async () => {
    const r1 = await postEvent(server.url, t.adminKey, {
      agent: 'research-bot',
      cost_usd: '1.5',
      run: 'task-1',
    });
    assert.equal(r1.status, 201);
    assert.deepEqual(r1.body.budget.agent.velocity, {
      limit_micros: 2_000_000,
      spent_micros: 1_500_000,
      remaining_micros: 500_000,
      resets_at: null,
    });
    assert.equal(r1.body.budget.agent.month.remaining_micros, 48_500_000);
    assert.equal(r1.body.event.run, 'task-1');
    const velocity = await postEvent(server.url, t.adminKey, {
      agent: 'research-bot',
      cost_usd: '0.6',
      run: 'task-2',
    });
    assert.equal(velocity.status, 403);
    assert.equal(velocity.body.error.period, 'velocity');
    const agent = await api(server.url, '/v1/agents/research-bot', { key: t.adminKey });
    assert.equal(agent.body.status, 'suspended');
    assert.equal(agent.body.suspended_reason, 'velocity_exceeded');
    assert.equal(agent.body.spend.month_micros, 1_500_000);
  });

  it('customer defaults apply to new and auto-created agents; auto-create off → 404', async () => {
    const patch = await api(server.url, '/v1/customer', {
      method: 'PATCH',
      key: t.adminKey,
      body: { default_agent_limits: { month_usd: '10', day_usd: '1' } },
    });
    assert.equal(patch.status, 200, JSON.stringify(patch.body));
    assert.equal(patch.body.default_agent_limits.month_micros, 10_000_000);
    const created = await createAgent(server.url, t.adminKey, 'with-defaults', { day_micros: 5 });
    assert.equal(created.body.limits.month_micros, 10_000_000);
    assert.equal(created.body.limits.day_micros, 5);
    assert.equal(
      (await postEvent(server.url, t.adminKey, { agent: 'auto-made', cost_micros: 1 })).status,
      201,
    );
    const auto = await api(server.url, '/v1/agents/auto-made', { key: t.adminKey });
    assert.equal(auto.body.limits.day_micros, 1_000_000);
    const off = await api(server.url, '/v1/customer', {
      method: 'PATCH',
      key: t.adminKey,
      body: { auto_create_agents: false },
    });
    assert.equal(off.body.auto_create_agents, false);
    const unknown = await postEvent(server.url, t.adminKey, { agent: 'never-made', cost_micros: 1 });
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.error.code, 'not_found');
    await api(server.url, '/v1/customer', {
      method: 'PATCH',
      key: t.adminKey,
      body: { auto_create_agents: true },
    });
  });

  it('concurrent first events of one new agent create it exactly once', async () => {
    const responses = await Promise.all(
      Array.from({ length: 30 }, () =>
        postEvent(server.url, t.adminKey, { agent: 'fresh-agent', cost_micros: 3 }),
      ),
    );
    assert.ok(responses.every((r) => r.status === 201));
    const list = await api(server.url, '/v1/agents?limit=100', { key: t.adminKey });
    assert.equal(list.body.data.filter((x: { name: string }) => x.name === 'fresh-agent').length, 1);
    const agent = await api(server.url, '/v1/agents/fresh-agent', { key: t.adminKey });
    assert.equal(agent.body.spend.month_micros, 90);
  });

  it('paginates agents with an opaque cursor; bad cursor → 400', async () => {
    for (let i = 0; i < 5; i++) await createAgent(server.url, t.adminKey, `page-${i}`);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const path: string = `/v1/agents?limit=2${cursor ? `&cursor=${cursor}` : ''}`;
      const page: ApiResponse<Json> = await api(server.url, path, { key: t.adminKey });
      assert.equal(page.status, 200);
      assert.ok(page.body.data.length <= 2);
      seen.push(...page.body.data.map((x: { name: string }) => x.name));
      cursor = page.body.next_cursor;
    } while (cursor);
    assert.equal(new Set(seen).size, seen.length);
    for (let i = 0; i < 5; i++) assert.ok(seen.includes(`page-${i}`));
    assert.equal((await api(server.url, '/v1/agents?cursor=%%%', { key: t.adminKey })).status, 400);
    assert.equal((await api(server.url, '/v1/agents?limit=101', { key: t.adminKey })).status, 400);
  });

  it("another customer's agent is 404 everywhere; a bound ingest key acts on its agent only", async () => {
    const other = await signupAndAdminKey(server.url);
    for (const [method, path] of [
      ['GET', '/v1/agents/research-bot'],
      ['PATCH', '/v1/agents/research-bot'],
      ['POST', '/v1/agents/research-bot/suspend'],
      ['POST', '/v1/agents/research-bot/resume'],
      ['GET', '/v1/agents/research-bot/timeseries'],
    ] as const) {
      const r = await api(server.url, path, {
        method,
        key: other.adminKey,
        ...(method === 'PATCH' ? { body: { limits: {} } } : {}),
      });
      assert.equal(r.status, 404, `${method} ${path}`);
    }
    const key = await api(server.url, '/v1/api-keys', {
      key: t.adminKey,
      body: { name: 'bound', kind: 'ingest', agent: 'with-defaults' },
    });
    assert.equal(key.status, 201, JSON.stringify(key.body));
    const ingest = key.body.key as string;
    assert.equal(
      (await postEvent(server.url, ingest, { agent: 'with-defaults', cost_micros: 1 })).status,
      201,
    );
    const foreign = await postEvent(server.url, ingest, { agent: 'research-bot', cost_micros: 1 });
    assert.equal(foreign.status, 403);
    assert.equal(foreign.body.error.code, 'forbidden');
    assert.equal((await api(server.url, '/v1/agents/with-defaults', { key: ingest })).status, 200);
    assert.equal((await api(server.url, '/v1/agents/research-bot', { key: ingest })).status, 403);
    assert.equal((await api(server.url, '/v1/agents', { key: ingest })).status, 403);
    assert.equal(
      (await api(server.url, '/v1/agents/with-defaults/suspend', { method: 'POST', key: ingest })).status,
      403,
    );
    const events = await api(server.url, '/v1/events', { key: ingest });
    assert.equal(events.status, 200);
    assert.ok(events.body.data.every((e: { agent: string }) => e.agent === 'with-defaults'));
  });

  it('lists events newest first with filters and keyset pagination; timeseries buckets; audit log', async () => {
    await createAgent(server.url, t.adminKey, 'lister');
    for (let i = 0; i < 7; i++)
      await postEvent(server.url, t.adminKey, { agent: 'lister', cost_micros: 10 + i });
    const ids: string[] = [];
    let cursor: string | null = null;
    let previous = Number.POSITIVE_INFINITY;
    do {
      const page: ApiResponse<Json> = await api(
        server.url,
        `/v1/events?agent=lister&limit=3${cursor ? `&cursor=${cursor}` : ''}`,
        {
          key: t.adminKey,
        },
      );
      assert.equal(page.status, 200);
      for (const e of page.body.data) {
        const at = Date.parse(e.recorded_at);
        assert.ok(at <= previous);
        previous = at;
        ids.push(e.id);
      }
      cursor = page.body.next_cursor;
    } while (cursor);
    assert.equal(ids.length, 7);
    assert.equal(new Set(ids).size, 7);
    const declined = await api(server.url, '/v1/events?status=declined', { key: t.adminKey });
    assert.ok(declined.body.data.length >= 1);
    assert.ok(declined.body.data.every((e: { status: string }) => e.status === 'declined'));
    const series = await api(server.url, '/v1/agents/lister/timeseries?granularity=minute', {
      key: t.adminKey,
    });
    assert.equal(series.status, 200);
    const total = series.body.data.reduce((s: number, b: { spent_micros: number }) => s + b.spent_micros, 0);
    assert.equal(total, 10 + 11 + 12 + 13 + 14 + 15 + 16);
    const count = series.body.data.reduce((s: number, b: { event_count: number }) => s + b.event_count, 0);
    assert.equal(count, 7);
    const tooMany = await api(
      server.url,
      '/v1/agents/lister/timeseries?granularity=minute&from=2026-01-01T00:00:00Z&to=2026-01-02T00:00:00Z',
      { key: t.adminKey },
    );
    assert.equal(tooMany.status, 400);
    const audit = await api(server.url, '/v1/audit-log?limit=100', { key: t.adminKey });
    assert.equal(audit.status, 200);
    const actions = audit.body.data.map((e: { action: string }) => e.action);
    for (const action of ['agent.create', 'customer.update', 'agent.suspend'])
      assert.ok(actions.includes(action), action);
    const update = audit.body.data.find((e: { action: string }) => e.action === 'customer.update');
    assert.equal(update.actor_type, 'api_key');
    assert.equal(update.actor_id, t.adminKeyId);
    assert.ok(update.before && update.after);
  });

  it('GET /v1/stream delivers spend, declined and agent events of this customer only', async () => {
    const other = await signupAndAdminKey(server.url);
    const controller = new AbortController();
    const response = await fetch(`${server.url}/v1/stream`, {
      headers: { authorization: `Bearer ${t.adminKey}` },
      signal: controller.signal,
    });
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /text\/event-stream/);
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    let text = '';
    const collect = (async () => {
      const decoder = new TextDecoder();
      for (;;) {
        const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
        if (done) return;
        text += decoder.decode(value);
      }
    })();
    await new Promise((r) => setTimeout(r, 100));
    await createAgent(server.url, t.adminKey, 'streamed', { month_micros: 10 });
    await postEvent(server.url, t.adminKey, { agent: 'streamed', cost_micros: 10 });
    await postEvent(server.url, t.adminKey, { agent: 'streamed', cost_micros: 1 });
    await postEvent(server.url, other.adminKey, { agent: 'other-tenant-agent', cost_micros: 1 });
    await new Promise((r) => setTimeout(r, 700));
    controller.abort();
    await collect;
    assert.match(text, /event: spend\ndata: \{"agent":"streamed","spend":\{"month_micros":10/);
    assert.match(text, /event: declined\ndata: \{"agent":"streamed","code":"budget_exceeded"/);
    assert.match(text, /event: agent\ndata: \{[^\n]*"name":"streamed"[^\n]*"status":"suspended"/);
    assert.doesNotMatch(text, /other-tenant-agent/);
  });
});

describe('run limits, bound keys and last_event_at', () => {
  let server: TestServer;
  let t: Tenant;
  before(async () => {
    server = await startTestServer({ embedded: true });
    t = await signupAndAdminKey(server.url);
  });
  after(async () => server.close());

  it('a run over its cap is declined (period run) without suspending the agent; other runs go on', async () => {
    await createAgent(server.url, t.adminKey, 'runner', { run_micros: 100 });
    assert.equal(
      (await postEvent(server.url, t.adminKey, { agent: 'runner', run: 'r1', cost_micros: 100 })).status,
      201,
    );
    const over = await postEvent(server.url, t.adminKey, { agent: 'runner', run: 'r1', cost_micros: 1 });
    assert.equal(over.status, 403);
    assert.equal(over.body.error.code, 'budget_exceeded');
    assert.equal(over.body.error.period, 'run');
    assert.equal(over.body.error.scope, 'agent');
    assert.equal(
      (await postEvent(server.url, t.adminKey, { agent: 'runner', run: 'r2', cost_micros: 100 })).status,
      201,
    );
    const agent = await api(server.url, '/v1/agents/runner', { key: t.adminKey });
    assert.equal(agent.body.status, 'active');
    assert.equal(agent.body.spend.month_micros, 200);
    assert.equal(typeof agent.body.last_event_at, 'string');
    assert.ok(Date.parse(agent.body.last_event_at) >= Date.parse(agent.body.created_at));
  });

  it('an agent-bound key never auto-creates another agent', async () => {
    await createAgent(server.url, t.adminKey, 'owner');
    const key = await api(server.url, '/v1/api-keys', {
      key: t.adminKey,
      body: { name: 'bound', kind: 'ingest', agent: 'owner' },
    });
    const r = await postEvent(server.url, key.body.key, { agent: 'brand-new', cost_micros: 1 });
    assert.equal(r.status, 403);
    assert.equal(r.body.error.code, 'forbidden');
    assert.equal((await api(server.url, '/v1/agents/brand-new', { key: t.adminKey })).status, 404);
    const fresh = await api(server.url, '/v1/agents/owner', { key: t.adminKey });
    assert.equal(fresh.body.last_event_at, null);
  });
});
