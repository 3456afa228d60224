// Agents, limits, the kill switch and the timeseries (docs/api.md §7, §9) — one embedded server, app.inject.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Static } from 'typebox';
import type { AgentPageSchema, CustomerSchema, TimeseriesSchema } from '../../src/schemas/agents.js';
import { startTestServer, type TestServer } from '../harness.js';
import {
  type AgentJson,
  type Auth,
  type CustomerWithKeys,
  createAgent,
  createKey,
  customersWithKeys,
  expectError,
  expectInvalid,
  expectStatus,
  getAgent,
  idemKey,
  injectJson,
  postEvent,
  unknownKey,
} from './inject.js';

type AgentPage = Static<typeof AgentPageSchema>;
type Timeseries = Static<typeof TimeseriesSchema>;
type CustomerJson = Static<typeof CustomerSchema>;

let server: TestServer;
let customers: CustomerWithKeys[];
before(async () => {
  server = await startTestServer({ embedded: true });
  customers = await customersWithKeys(server.app, 4);
});
after(async () => {
  await server.close();
});

const path = (name: string) => `/v1/agents/${encodeURIComponent(name)}`;
const patch = (auth: Auth, name: string, body: unknown) =>
  injectJson<AgentJson>(server.app, path(name), { ...auth, method: 'PATCH', body });
const suspend = (auth: Auth, name: string, body?: unknown) =>
  injectJson<AgentJson>(server.app, `${path(name)}/suspend`, {
    ...auth,
    method: 'POST',
    ...(body !== undefined ? { body } : {}),
  });
const resume = (auth: Auth, name: string) =>
  injectJson<AgentJson>(server.app, `${path(name)}/resume`, { ...auth, method: 'POST' });
const timeseries = (auth: Auth, name: string, query = '') =>
  injectJson<Timeseries>(server.app, `${path(name)}/timeseries${query}`, auth);

const NO_LIMITS = { month_micros: null, day_micros: null, run_micros: null, velocity: null, repeats: null };

describe('happy', () => {
  let c: CustomerWithKeys;
  before(() => {
    c = customers[0] as CustomerWithKeys;
  });

  it('POST /v1/agents is 201 with the limits in micros, zero spend, active, and no event yet', async () => {
    const res = expectStatus(
      await injectJson<AgentJson>(server.app, '/v1/agents', {
        key: c.admin.key,
        body: {
          name: 'research-bot',
          limits: {
            month_usd: '50',
            day_usd: 5,
            run_micros: 250000,
            velocity: { window_seconds: 60, max_usd: '2' },
          },
        },
      }),
      201,
    );
    const agent = res.body;
    assert.match(agent.id, /^agt_[A-Za-z0-9]+$/);
    assert.equal(agent.name, 'research-bot');
    assert.equal(agent.status, 'active');
    assert.equal(agent.suspended_reason, null);
    assert.equal(agent.suspended_at, null);
    assert.equal(agent.suspended_note, null);
    assert.deepEqual(agent.limits, {
      month_micros: 50_000_000,
      day_micros: 5_000_000,
      run_micros: 250000,
      velocity: { window_seconds: 60, max_micros: 2_000_000 },
      repeats: null,
    });
    assert.deepEqual(agent.spend, { month_micros: 0, day_micros: 0, velocity_micros: 0 });
    assert.ok(Math.abs(Date.parse(agent.created_at) - Date.now()) < 5_000);
    assert.equal(agent.last_event_at, null);
    assert.deepEqual(await getAgent(server.app, c.admin.key, 'research-bot'), agent);
  });

  it("limits left out take the customer's default_agent_limits; limits given override them", async () => {
    expectStatus(
      await injectJson<CustomerJson>(server.app, '/v1/customer', {
        method: 'PATCH',
        key: c.admin.key,
        body: { default_agent_limits: { month_usd: '10', day_micros: 1000 } },
      }),
      200,
    );
    const defaulted = await createAgent(server.app, c.admin.key, 'defaulted-bot');
    assert.deepEqual(defaulted.limits, { ...NO_LIMITS, month_micros: 10_000_000, day_micros: 1000 });
    const mixed = await createAgent(server.app, c.admin.key, 'mixed-bot', { day_micros: 5, month_usd: null });
    assert.deepEqual(mixed.limits, { ...NO_LIMITS, month_micros: null, day_micros: 5 });
    expectStatus(
      await injectJson<CustomerJson>(server.app, '/v1/customer', {
        method: 'PATCH',
        key: c.admin.key,
        body: { default_agent_limits: { month_usd: null, day_micros: null } },
      }),
      200,
    );
    // Changing the defaults does not touch agents created before.
    assert.deepEqual(
      (await getAgent(server.app, c.admin.key, 'defaulted-bot')).limits.month_micros,
      10_000_000,
    );
  });

  it('GET /v1/agents/{name} shows live spend: accepted events plus open holds', async () => {
    const ev = expectStatus(
      await postEvent(server.app, { key: c.ingest.key }, { agent: 'research-bot', cost_micros: 1000 }),
      201,
    );
    expectStatus(
      await injectJson(server.app, '/v1/reservations', {
        key: c.ingest.key,
        body: { agent: 'research-bot', amount_micros: 500 },
        idempotencyKey: idemKey(),
      }),
      201,
    );
    const agent = await getAgent(server.app, c.ingest.key, 'research-bot');
    assert.deepEqual(agent.spend, { month_micros: 1500, day_micros: 1500, velocity_micros: 1500 });
    assert.equal(agent.last_event_at, ev.body.event.recorded_at);
  });

  it('GET /v1/agents lists every agent ordered by name with its live spend, and pages with next_cursor', async () => {
    for (const name of ['zeta-bot', 'alpha-bot', 'Mid-bot']) await createAgent(server.app, c.admin.key, name);
    const all = expectStatus(
      await injectJson<AgentPage>(server.app, '/v1/agents?limit=100', { key: c.admin.key }),
      200,
    ).body;
    const names = all.data.map((a) => a.name);
    assert.equal(names.length, 6);
    assert.deepEqual(
      new Set(names),
      new Set(['research-bot', 'defaulted-bot', 'mixed-bot', 'zeta-bot', 'alpha-bot', 'Mid-bot']),
    );
    assert.deepEqual(names, [...names].sort(), 'ordered by name');
    assert.equal(all.next_cursor, null);
    assert.equal(all.data.find((a) => a.name === 'research-bot')?.spend.month_micros, 1500);

    const seen: string[] = [];
    let cursor: string | null = null;
    for (let n = 0; n < 10; n++) {
      const page: AgentPage = expectStatus(
        await injectJson<AgentPage>(
          server.app,
          `/v1/agents?limit=4${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
          {
            key: c.admin.key,
          },
        ),
        200,
      ).body;
      assert.ok(page.data.length <= 4);
      seen.push(...page.data.map((a) => a.name));
      cursor = page.next_cursor;
      if (cursor === null) break;
    }
    assert.deepEqual(seen, names);
  });

  it('PATCH changes only the limits it names: null removes one, a left-out one keeps its value', async () => {
    const res = expectStatus(
      await patch({ key: c.admin.key }, 'research-bot', { limits: { day_usd: null, run_usd: '0.5' } }),
      200,
    );
    assert.deepEqual(res.body.limits, {
      month_micros: 50_000_000,
      day_micros: null,
      run_micros: 500000,
      velocity: { window_seconds: 60, max_micros: 2_000_000 },
      repeats: null,
    });
    const cleared = expectStatus(
      await patch({ key: c.admin.key }, 'research-bot', { limits: { velocity: null } }),
      200,
    );
    assert.equal(cleared.body.limits.velocity, null);
    assert.equal(cleared.body.limits.month_micros, 50_000_000);
    const velocity = expectStatus(
      await patch({ key: c.admin.key }, 'research-bot', {
        limits: { velocity: { window_seconds: 3600, max_micros: 9 } },
      }),
      200,
    );
    assert.deepEqual(velocity.body.limits.velocity, { window_seconds: 3600, max_micros: 9 });
    assert.deepEqual((await getAgent(server.app, c.admin.key, 'research-bot')).limits, velocity.body.limits);
  });

  it('a PATCHed limit is in force for the very next event', async () => {
    await createAgent(server.app, c.admin.key, 'patched-bot');
    expectStatus(
      await postEvent(server.app, { key: c.ingest.key }, { agent: 'patched-bot', cost_micros: 100 }),
      201,
    );
    expectStatus(await patch({ key: c.admin.key }, 'patched-bot', { limits: { month_micros: 100 } }), 200);
    const error = expectError(
      await postEvent(server.app, { key: c.ingest.key }, { agent: 'patched-bot', cost_micros: 1 }),
      403,
      'budget_exceeded',
    );
    assert.equal(error.limit_micros, 100);
    assert.equal(error.spent_micros, 100);
  });

  it('suspend is 200 with status suspended, reason manual and the note; the next event is 403 agent_suspended', async () => {
    await createAgent(server.app, c.admin.key, 'switch-bot');
    const res = expectStatus(
      await suspend({ key: c.admin.key }, 'switch-bot', { note: 'looping on the same search' }),
      200,
    );
    assert.equal(res.body.status, 'suspended');
    assert.equal(res.body.suspended_reason, 'manual');
    assert.equal(res.body.suspended_note, 'looping on the same search');
    assert.ok(Math.abs(Date.parse(res.body.suspended_at ?? '') - Date.now()) < 5_000);
    const error = expectError(
      await postEvent(server.app, { key: c.ingest.key }, { agent: 'switch-bot', cost_micros: 1 }),
      403,
      'agent_suspended',
    );
    assert.equal(error.reason, 'manual');
    assert.equal(error.suspended_at, res.body.suspended_at);
    assert.equal((await getAgent(server.app, c.admin.key, 'switch-bot')).status, 'suspended');
  });

  it('resume (no body) is 200 active and clears the suspension; the next event is accepted', async () => {
    const res = expectStatus(await resume({ key: c.admin.key }, 'switch-bot'), 200);
    assert.equal(res.body.status, 'active');
    assert.equal(res.body.suspended_reason, null);
    assert.equal(res.body.suspended_at, null);
    assert.equal(res.body.suspended_note, null);
    expectStatus(
      await postEvent(server.app, { key: c.ingest.key }, { agent: 'switch-bot', cost_micros: 1 }),
      201,
    );
  });

  it('suspend with no body is a manual suspension without a note', async () => {
    const res = expectStatus(await suspend({ key: c.admin.key }, 'switch-bot'), 200);
    assert.equal(res.body.suspended_reason, 'manual');
    assert.equal(res.body.suspended_note, null);
    expectStatus(await resume({ key: c.admin.key }, 'switch-bot'), 200);
  });

  it('resume lifts a budget_exceeded suspension; the next event is judged afresh', async () => {
    const before = await getAgent(server.app, c.admin.key, 'patched-bot');
    assert.equal(before.status, 'suspended');
    assert.equal(before.suspended_reason, 'budget_exceeded');
    assert.equal(expectStatus(await resume({ key: c.admin.key }, 'patched-bot'), 200).body.status, 'active');
    expectStatus(
      await postEvent(server.app, { key: c.ingest.key }, { agent: 'patched-bot', cost_micros: 0 }),
      201,
    );
    expectError(
      await postEvent(server.app, { key: c.ingest.key }, { agent: 'patched-bot', cost_micros: 1 }),
      403,
      'budget_exceeded',
    );
    assert.equal(
      (await getAgent(server.app, c.admin.key, 'patched-bot')).suspended_reason,
      'budget_exceeded',
    );
  });

  it('the timeseries sums accepted spend per bucket (declined events left out), for an ingest key too', async () => {
    await createAgent(server.app, c.admin.key, 'series-bot', { month_micros: 3000 });
    for (const cost of [1000, 2000]) {
      expectStatus(
        await postEvent(server.app, { key: c.ingest.key }, { agent: 'series-bot', cost_micros: cost }),
        201,
      );
    }
    expectError(
      await postEvent(server.app, { key: c.ingest.key }, { agent: 'series-bot', cost_micros: 5 }),
      403,
      'budget_exceeded',
    );
    const now = Date.now();
    for (const [granularity, width, count] of [
      ['minute', 60_000, 60],
      ['hour', 3_600_000, 48],
      ['day', 86_400_000, 30],
    ] as const) {
      const res = expectStatus(
        await timeseries({ key: c.ingest.key }, 'series-bot', `?granularity=${granularity}`),
        200,
      );
      const series = res.body;
      assert.equal(series.granularity, granularity);
      assert.ok(Math.abs(Date.parse(series.to) - now) < 5_000, granularity);
      assert.equal(Date.parse(series.to) - Date.parse(series.from), width * count, granularity);
      assert.ok(series.data.length >= 1 && series.data.length <= 2, granularity);
      assert.equal(
        series.data.reduce((s, b) => s + b.spent_micros, 0),
        3000,
        granularity,
      );
      assert.equal(
        series.data.reduce((s, b) => s + b.event_count, 0),
        2,
        granularity,
      );
      for (const bucket of series.data) assert.equal(Date.parse(bucket.bucket_start) % width, 0, granularity);
    }
    const byDefault = expectStatus(await timeseries({ key: c.admin.key }, 'series-bot'), 200).body;
    assert.equal(byDefault.granularity, 'hour');
  });

  it('an agent with a 128-character name (the longest the name pattern allows) is read, PATCHed, suspended and resumed by name', async () => {
    const name = `long-${'n'.repeat(123)}`;
    assert.equal(name.length, 128);
    await createAgent(server.app, c.admin.key, name);
    expectStatus(await injectJson<AgentJson>(server.app, path(name), { key: c.admin.key }), 200, 'read');
    expectStatus(await patch({ key: c.admin.key }, name, { limits: { month_micros: 1 } }), 200, 'patch');
    const suspended = expectStatus(await suspend({ key: c.admin.key }, name, {}), 200, 'suspend');
    assert.equal(suspended.body.status, 'suspended');
    expectStatus(await resume({ key: c.admin.key }, name), 200, 'resume');
    expectStatus(await timeseries({ key: c.admin.key }, name), 200, 'timeseries');
  });

  it('the timeseries of a range without spend has no buckets', async () => {
    const res = expectStatus(
      await timeseries(
        { key: c.admin.key },
        'series-bot',
        '?granularity=day&from=2020-01-01T00:00:00.000Z&to=2020-02-01T00:00:00.000Z',
      ),
      200,
    );
    assert.deepEqual(res.body, {
      granularity: 'day',
      from: '2020-01-01T00:00:00.000Z',
      to: '2020-02-01T00:00:00.000Z',
      data: [],
    });
  });
});

describe('errors', () => {
  let c: CustomerWithKeys;
  let original: AgentJson;
  before(async () => {
    c = customers[1] as CustomerWithKeys;
    original = await createAgent(server.app, c.admin.key, 'err-bot', { month_micros: 7000 });
  });

  const create = (body: unknown) =>
    injectJson<AgentJson>(server.app, '/v1/agents', { key: c.admin.key, body });

  it('creating with a missing or bad name or an unknown field is 400 naming it', async () => {
    expectInvalid(await create({}), 'name', /required/);
    expectInvalid(await create({ name: 'bad name' }), 'name');
    expectInvalid(await create({ name: '.dot-first' }), 'name');
    expectInvalid(await create({ name: 'a'.repeat(129) }), 'name');
    expectInvalid(await create({ name: 'fine-bot', owner: 'me' }), 'owner', /unknown/);
    expectInvalid(await create({ name: 'fine-bot', limits: { year_usd: 1 } }), 'limits.year_usd', /unknown/);
  });

  it('creating with a bad limit is 400 naming the dotted field', async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ month_usd: '-1' }, 'limits.month_usd'],
      [{ month_usd: 'ten' }, 'limits.month_usd'],
      [{ month_usd: '1000000000.000001' }, 'limits.month_usd'],
      [{ month_usd: '1', month_micros: 1 }, 'limits.month_usd'],
      [{ day_micros: '5' }, 'limits.day_micros'],
      [{ run_micros: 1.5 }, 'limits.run_micros'],
      [{ velocity: { window_seconds: 0, max_micros: 1 } }, 'limits.velocity.window_seconds'],
      [{ velocity: { window_seconds: 3601, max_micros: 1 } }, 'limits.velocity.window_seconds'],
      [{ velocity: { window_seconds: 60 } }, 'limits.velocity.max_usd'],
      [{ velocity: { window_seconds: 60, max_usd: '-2' } }, 'limits.velocity.max_usd'],
    ];
    for (const [limits, field] of cases) {
      expectInvalid(await create({ name: 'limit-bot', limits }), field, undefined, JSON.stringify(limits));
    }
    expectError(await injectJson(server.app, '/v1/agents/limit-bot', { key: c.admin.key }), 404, 'not_found');
  });

  it('a taken name is 409 conflict with field name, and the existing agent is unchanged', async () => {
    const error = expectError(
      await create({ name: 'err-bot', limits: { month_micros: 1 } }),
      409,
      'conflict',
    );
    assert.equal(error.field, 'name');
    assert.deepEqual(await getAgent(server.app, c.admin.key, 'err-bot'), original);
  });

  it('PATCH without limits, or with a bad limit, is 400 naming it and changes nothing', async () => {
    expectInvalid(await patch({ key: c.admin.key }, 'err-bot', {}), 'limits', /required/);
    expectInvalid(
      await patch({ key: c.admin.key }, 'err-bot', { limits: { day_usd: 'abc' } }),
      'limits.day_usd',
    );
    expectInvalid(
      await patch({ key: c.admin.key }, 'err-bot', { limits: { month_micros: -1 } }),
      'limits.month_micros',
    );
    expectInvalid(
      await patch({ key: c.admin.key }, 'err-bot', { limits: { month_micros: 1 }, status: 'active' }),
      'status',
      /unknown/,
    );
    assert.deepEqual((await getAgent(server.app, c.admin.key, 'err-bot')).limits, original.limits);
  });

  it('a suspend note over 1,000 characters is 400 naming note, and the agent stays active', async () => {
    expectInvalid(await suspend({ key: c.admin.key }, 'err-bot', { note: 'n'.repeat(1001) }), 'note');
    expectInvalid(await suspend({ key: c.admin.key }, 'err-bot', { reason: 'x' }), 'reason', /unknown/);
    assert.equal((await getAgent(server.app, c.admin.key, 'err-bot')).status, 'active');
  });

  it('an unknown agent is 404 on read, PATCH, suspend, resume and timeseries', async () => {
    for (const res of [
      await injectJson(server.app, path('ghost-bot'), { key: c.admin.key }),
      await patch({ key: c.admin.key }, 'ghost-bot', { limits: { month_micros: 1 } }),
      await suspend({ key: c.admin.key }, 'ghost-bot', {}),
      await resume({ key: c.admin.key }, 'ghost-bot'),
      await timeseries({ key: c.admin.key }, 'ghost-bot'),
    ]) {
      expectError(res, 404, 'not_found');
    }
    expectError(await injectJson(server.app, path('ghost-bot'), { key: c.admin.key }), 404, 'not_found');
  });

  it('a name that cannot be an agent name is 404 like an unknown one', async () => {
    for (const name of ['bad name', '-dash-first', 'semi;colon', '.dot']) {
      expectError(await injectJson(server.app, path(name), { key: c.admin.key }), 404, 'not_found', name);
      expectError(
        await patch({ key: c.admin.key }, name, { limits: { month_micros: 1 } }),
        404,
        'not_found',
        name,
      );
      expectError(await suspend({ key: c.admin.key }, name, {}), 404, 'not_found', name);
      expectError(await resume({ key: c.admin.key }, name), 404, 'not_found', name);
      expectError(await timeseries({ key: c.admin.key }, name), 404, 'not_found', name);
    }
  });

  it('a name too long to be an agent name (129 or 201 characters) is 404 in the error envelope', async () => {
    for (const name of ['a'.repeat(129), 'a'.repeat(201)]) {
      const res = await injectJson(server.app, path(name), { key: c.admin.key });
      expectError(res, 404, 'not_found', `${name.length} characters`);
    }
  });

  it('a bad timeseries query is 400 naming the parameter: granularity, dates, order, more than 1,000 buckets', async () => {
    const hour = 3_600_000;
    const now = Date.now();
    const iso = (ms: number) => encodeURIComponent(new Date(ms).toISOString());
    const cases: Array<[string, string]> = [
      ['?granularity=week', 'granularity'],
      ['?from=yesterday', 'from'],
      ['?to=2026-02-30T25:00:00Z', 'to'],
      [`?from=${iso(now)}&to=${iso(now - hour)}`, 'from'],
      [`?granularity=minute&from=${iso(now - 1001 * 60_000)}&to=${iso(now)}`, 'from'],
      [`?granularity=hour&from=${iso(now - 1001 * hour)}&to=${iso(now)}`, 'from'],
      ['?bucket=1', 'bucket'],
    ];
    for (const [query, field] of cases) {
      expectInvalid(await timeseries({ key: c.admin.key }, 'err-bot', query), field, undefined, query);
    }
    // Exactly 1,000 buckets is allowed.
    const to = Math.floor(now / hour) * hour;
    expectStatus(
      await timeseries({ key: c.admin.key }, 'err-bot', `?from=${iso(to - 1000 * hour)}&to=${iso(to)}`),
      200,
    );
  });

  it('GET /v1/agents with a bad limit or cursor is 400 naming it', async () => {
    for (const [query, field] of [
      ['?limit=0', 'limit'],
      ['?limit=101', 'limit'],
      ['?cursor=%%%', 'cursor'],
      ['?cursor=bm90LWpzb24', 'cursor'],
      ['?sort=name', 'sort'],
    ] as const) {
      expectInvalid(
        await injectJson(server.app, `/v1/agents${query}`, { key: c.admin.key }),
        field,
        undefined,
        query,
      );
    }
  });

  it('a body over 64 KiB is 413 and a text/plain body is 415, on create, PATCH and suspend', async () => {
    const pad = 'x'.repeat(65 * 1024);
    expectError(await create({ name: 'big-bot', pad }), 413, 'payload_too_large');
    expectError(await patch({ key: c.admin.key }, 'err-bot', { limits: {}, pad }), 413, 'payload_too_large');
    expectError(await suspend({ key: c.admin.key }, 'err-bot', { note: pad }), 413, 'payload_too_large');
    const text = { key: c.admin.key, raw: '{"name":"text-bot"}', contentType: 'text/plain' };
    expectError(
      await injectJson(server.app, '/v1/agents', { ...text, method: 'POST' }),
      415,
      'unsupported_media_type',
    );
    expectError(
      await injectJson(server.app, path('err-bot'), { ...text, method: 'PATCH' }),
      415,
      'unsupported_media_type',
    );
    expectError(
      await injectJson(server.app, `${path('err-bot')}/suspend`, { ...text, method: 'POST' }),
      415,
      'unsupported_media_type',
    );
  });

  it('after every refused request the agent reads back exactly as created, and no agent was added', async () => {
    assert.deepEqual(await getAgent(server.app, c.admin.key, 'err-bot'), original);
    const page = expectStatus(
      await injectJson<AgentPage>(server.app, '/v1/agents', { key: c.admin.key }),
      200,
    ).body;
    assert.deepEqual(
      page.data.map((a) => a.name),
      ['err-bot'],
    );
  });
});

describe('security', () => {
  let c: CustomerWithKeys;
  let other: CustomerWithKeys;
  let bound: string;
  let own: AgentJson;
  let sibling: AgentJson;
  before(async () => {
    c = customers[2] as CustomerWithKeys;
    other = customers[3] as CustomerWithKeys;
    own = await createAgent(server.app, c.admin.key, 'own-bot', { month_micros: 5000 });
    sibling = await createAgent(server.app, c.admin.key, 'sibling-bot', { month_micros: 6000 });
    bound = (await createKey(server.app, c.session, { kind: 'ingest', agent: 'own-bot' })).key;
  });

  it('every agent route is 401 without a credential or with an unknown key', async () => {
    for (const auth of [{}, { key: unknownKey('admin') }]) {
      expectError(await injectJson(server.app, '/v1/agents', auth), 401, 'unauthenticated');
      expectError(
        await injectJson(server.app, '/v1/agents', { ...auth, body: { name: 'x-bot' } }),
        401,
        'unauthenticated',
      );
      expectError(await injectJson(server.app, path('own-bot'), auth), 401, 'unauthenticated');
      expectError(await patch(auth, 'own-bot', { limits: { month_micros: 1 } }), 401, 'unauthenticated');
      expectError(await suspend(auth, 'own-bot', {}), 401, 'unauthenticated');
      expectError(await resume(auth, 'own-bot'), 401, 'unauthenticated');
      expectError(await timeseries(auth, 'own-bot'), 401, 'unauthenticated');
    }
  });

  it('an ingest key is 403 forbidden on list, create, PATCH, suspend and resume, and changes nothing', async () => {
    for (const key of [c.ingest.key, bound]) {
      expectError(await injectJson(server.app, '/v1/agents', { key }), 403, 'forbidden');
      expectError(
        await injectJson(server.app, '/v1/agents', { key, body: { name: 'ingest-made' } }),
        403,
        'forbidden',
      );
      expectError(await patch({ key }, 'own-bot', { limits: { month_micros: 1 } }), 403, 'forbidden');
      expectError(await suspend({ key }, 'own-bot', {}), 403, 'forbidden');
      expectError(await resume({ key }, 'own-bot'), 403, 'forbidden');
    }
    assert.deepEqual(await getAgent(server.app, c.admin.key, 'own-bot'), own);
    expectError(await injectJson(server.app, path('ingest-made'), { key: c.admin.key }), 404, 'not_found');
  });

  it('an ingest key may read one agent and its timeseries; a bound key only its own (403 for another)', async () => {
    assert.deepEqual(await getAgent(server.app, c.ingest.key, 'sibling-bot'), sibling);
    expectStatus(await timeseries({ key: c.ingest.key }, 'sibling-bot'), 200);
    assert.deepEqual(await getAgent(server.app, bound, 'own-bot'), own);
    expectStatus(await timeseries({ key: bound }, 'own-bot'), 200);
    expectError(await injectJson(server.app, path('sibling-bot'), { key: bound }), 403, 'forbidden');
    expectError(await timeseries({ key: bound }, 'sibling-bot'), 403, 'forbidden');
  });

  it("another customer's agent is 404 on every agent route and stays as it was", async () => {
    for (const auth of [{ key: other.admin.key }, { session: other.session }]) {
      expectError(await injectJson(server.app, path('own-bot'), auth), 404, 'not_found');
      expectError(await patch(auth, 'own-bot', { limits: { month_micros: 1 } }), 404, 'not_found');
      expectError(await suspend(auth, 'own-bot', { note: 'not yours' }), 404, 'not_found');
      expectError(await resume(auth, 'own-bot'), 404, 'not_found');
      expectError(await timeseries(auth, 'own-bot'), 404, 'not_found');
    }
    expectError(await injectJson(server.app, path('own-bot'), { key: other.ingest.key }), 404, 'not_found');
    assert.deepEqual(await getAgent(server.app, c.admin.key, 'own-bot'), own);
    const theirs = expectStatus(
      await injectJson<AgentPage>(server.app, '/v1/agents', { key: other.admin.key }),
      200,
    ).body;
    assert.deepEqual(theirs.data, []);
  });

  it('names are per customer: another customer may create an agent with the same name', async () => {
    const copy = await createAgent(server.app, other.admin.key, 'own-bot');
    assert.notEqual(copy.id, own.id);
    assert.deepEqual(copy.limits, NO_LIMITS);
    assert.deepEqual(await getAgent(server.app, c.admin.key, 'own-bot'), own);
  });

  it('session writes without a valid X-CSRF-Token are 403 csrf_failed and change nothing; with it they work', async () => {
    for (const csrf of [false as const, 'forged-token']) {
      const auth = { session: c.session, csrf };
      expectError(await patch(auth, 'own-bot', { limits: { month_micros: 1 } }), 403, 'csrf_failed');
      expectError(await suspend(auth, 'own-bot', {}), 403, 'csrf_failed');
      expectError(
        await injectJson(server.app, '/v1/agents', { ...auth, body: { name: 'csrf-bot' } }),
        403,
        'csrf_failed',
      );
    }
    assert.deepEqual(await getAgent(server.app, c.admin.key, 'own-bot'), own);
    const ok = expectStatus(
      await suspend({ session: c.session }, 'own-bot', { note: 'from the dashboard' }),
      200,
    );
    assert.equal(ok.body.status, 'suspended');
    const list = expectStatus(
      await injectJson<AgentPage>(server.app, '/v1/agents', { session: c.session }),
      200,
    ).body;
    assert.deepEqual(
      list.data.map((a) => a.name),
      ['own-bot', 'sibling-bot'],
    );
  });
});
