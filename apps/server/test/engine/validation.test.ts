// Every bad input of docs/api.md §2/§5 is a 400 with details, and nothing is counted or stored; a 400'd key is free to
// be used afresh.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { api, signupAndAdminKey, startTestServer, type Tenant, type TestServer } from '../harness.js';
import { sql } from './helpers.js';

const long = (n: number) => 'x'.repeat(n);

const BAD_BODIES: Array<[string, unknown]> = [
  ['no cost', { agent: 'v' }],
  ['both costs', { agent: 'v', cost_usd: 1, cost_micros: 1 }],
  ['negative usd', { agent: 'v', cost_usd: -0.01 }],
  ['negative micros', { agent: 'v', cost_micros: -1 }],
  ['fractional micros', { agent: 'v', cost_micros: 1.5 }],
  ['micros as string', { agent: 'v', cost_micros: '5' }],
  ['boolean usd', { agent: 'v', cost_usd: true }],
  ['array usd', { agent: 'v', cost_usd: [1] }],
  ['null usd', { agent: 'v', cost_usd: null }],
  ['NaN text', { agent: 'v', cost_usd: 'NaN' }],
  ['Infinity text', { agent: 'v', cost_usd: 'Infinity' }],
  ['overflowing exponent', { agent: 'v', cost_usd: '1e400' }],
  ['non-numeric', { agent: 'v', cost_usd: 'ten' }],
  ['signed text', { agent: 'v', cost_usd: '+1' }],
  ['over the per-event maximum', { agent: 'v', cost_usd: '1000000.000001' }],
  ['micros over the maximum', { agent: 'v', cost_micros: 1_000_000_000_001 }],
  ['huge JSON number', { agent: 'v', cost_usd: 1e300 }],
  ['missing agent', { cost_micros: 1 }],
  ['bad agent name', { agent: '-starts-with-dash', cost_micros: 1 }],
  ['agent with space', { agent: 'a b', cost_micros: 1 }],
  ['agent too long', { agent: long(129), cost_micros: 1 }],
  ['agent not a string', { agent: 5, cost_micros: 1 }],
  ['bad run', { agent: 'v', run: 'a/b', cost_micros: 1 }],
  ['bad occurred_at', { agent: 'v', occurred_at: 'yesterday', cost_micros: 1 }],
  ['metadata not an object', { agent: 'v', metadata: [1], cost_micros: 1 }],
  [
    'metadata too many keys',
    {
      agent: 'v',
      metadata: Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`k${i}`, i])),
      cost_micros: 1,
    },
  ],
  ['metadata too big', { agent: 'v', metadata: { blob: long(8200) }, cost_micros: 1 }],
  ['unknown field', { agent: 'v', cost_micros: 1, surprise: true }],
  ['body key differs from header', { agent: 'v', cost_micros: 1, idempotency_key: 'other' }],
];

describe('POST /v1/events input validation', () => {
  let server: TestServer;
  let t: Tenant;
  before(async () => {
    server = await startTestServer();
    t = await signupAndAdminKey(server.url);
  });
  after(async () => server.close());

  for (const [name, body] of BAD_BODIES) {
    it(`400 for ${name}`, async () => {
      const r = await api(server.url, '/v1/events', {
        key: t.adminKey,
        body,
        headers: { 'idempotency-key': 'val-key' },
      });
      assert.equal(r.status, 400, `${name}: ${r.status} ${JSON.stringify(r.body)}`);
      assert.equal(r.body.error.code, 'invalid_request');
      assert.ok(
        Array.isArray(r.body.error.details) && r.body.error.details.length > 0,
        JSON.stringify(r.body),
      );
      for (const d of r.body.error.details) {
        assert.equal(typeof d.field, 'string');
        assert.equal(typeof d.problem, 'string');
      }
    });
  }

  it('400 for a missing, empty, too long or non-printable Idempotency-Key', async () => {
    const body = { agent: 'v', cost_micros: 1 };
    for (const headers of [
      {},
      { 'idempotency-key': '' },
      { 'idempotency-key': long(256) },
      { 'idempotency-key': 'é' },
    ]) {
      const r = await api(server.url, '/v1/events', {
        key: t.adminKey,
        body,
        headers: headers as Record<string, string>,
      });
      assert.equal(r.status, 400, JSON.stringify(headers));
      assert.ok(r.body.error.details.some((d: { field: string }) => /idempotency/i.test(d.field)));
    }
  });

  it('malformed JSON → 400, other media type → 415, body over 16 KiB → 413', async () => {
    const headers = { 'idempotency-key': 'val-json' };
    const bad = await api(server.url, '/v1/events', { key: t.adminKey, body: '{"agent":', headers });
    assert.equal(bad.status, 400);
    const text = await api(server.url, '/v1/events', {
      key: t.adminKey,
      body: 'agent=v',
      headers: { ...headers, 'content-type': 'text/plain' },
    });
    assert.equal(text.status, 415);
    const big = await api(server.url, '/v1/events', {
      key: t.adminKey,
      body: { agent: 'v', cost_micros: 1, metadata: { blob: long(17_000) } },
      headers,
    });
    assert.equal(big.status, 413);
  });

  it('nothing was stored or counted, and the 400d key is processed afresh', async () => {
    const rows = await sql<{ n: string }>(
      server.databaseUrl as string,
      'SELECT count(*) AS n FROM events WHERE customer_id = $1',
      [t.customerId],
    );
    assert.equal(Number(rows[0]?.n), 0);
    const agents = await api(server.url, '/v1/agents', { key: t.adminKey });
    assert.ok(agents.body.data.every((a: { spend: { month_micros: number } }) => a.spend.month_micros === 0));
    const ok = await api(server.url, '/v1/events', {
      key: t.adminKey,
      body: { agent: 'v', cost_usd: '0.5' },
      headers: { 'idempotency-key': 'val-key' },
    });
    assert.equal(ok.status, 201, JSON.stringify(ok.body));
    assert.equal(ok.body.event.cost_micros, 500_000);
  });

  it('rounds cost_usd half-up to whole micros and says what it recorded', async () => {
    const cases: Array<[unknown, number]> = [
      ['0.0000005', 1],
      ['0.0000004999', 0],
      [0.0123, 12_300],
      ['1.5e-7', 0],
      ['12', 12_000_000],
    ];
    for (const [cost, micros] of cases) {
      const r = await api(server.url, '/v1/events', {
        key: t.adminKey,
        body: { agent: 'rounding', cost_usd: cost },
        headers: { 'idempotency-key': `round-${String(cost)}` },
      });
      assert.equal(r.status, 201);
      assert.equal(r.body.event.cost_micros, micros, String(cost));
    }
  });

  it('401 without credentials saves nothing', async () => {
    const r = await api(server.url, '/v1/events', {
      body: { agent: 'v', cost_micros: 1 },
      headers: { 'idempotency-key': 'val-401' },
    });
    assert.equal(r.status, 401);
    const rows = await sql(server.databaseUrl as string, 'SELECT 1 FROM events WHERE idempotency_key = $1', [
      'val-401',
    ]);
    assert.equal(rows.length, 0);
  });
});

describe('management inputs', () => {
  let server: TestServer;
  let t: Tenant;
  before(async () => {
    server = await startTestServer({ embedded: true });
    t = await signupAndAdminKey(server.url);
  });
  after(async () => server.close());

  it('PATCH /v1/customer and agent limits refuse bad money with 400 and change nothing', async () => {
    const before = await api(server.url, '/v1/customer', { key: t.adminKey });
    for (const body of [
      { limits: { month_usd: '-1' } },
      { limits: { month_usd: '1', month_micros: 1 } },
      { limits: { month_micros: 1.5 } },
      { limits: { month_usd: true } },
      { default_agent_limits: { day_usd: 'lots' } },
      { default_agent_limits: { velocity: { window_seconds: 3601, max_micros: 1 } } },
      { auto_create_agents: 'yes' },
      { surprise: 1 },
    ]) {
      const r = await api(server.url, '/v1/customer', { method: 'PATCH', key: t.adminKey, body });
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.ok(r.body.error.details.length > 0);
    }
    const afterAll = await api(server.url, '/v1/customer', { key: t.adminKey });
    assert.deepEqual(afterAll.body, before.body);
    const ok = await api(server.url, '/v1/customer', {
      method: 'PATCH',
      key: t.adminKey,
      body: { limits: { month_usd: 12.5 } },
    });
    assert.equal(ok.status, 200);
    assert.deepEqual(ok.body.limits, { month_micros: 12_500_000, month_usd: '12.500000' });
    const cleared = await api(server.url, '/v1/customer', {
      method: 'PATCH',
      key: t.adminKey,
      body: { limits: { month_usd: null } },
    });
    assert.equal(cleared.body.limits.month_micros, null);
  });

  it('list filters are validated: bad status, limit, time or cursor → 400', async () => {
    for (const query of ['status=maybe', 'limit=0', 'limit=101', 'from=yesterday', 'cursor=not-a-cursor']) {
      const r = await api(server.url, `/v1/events?${query}`, { key: t.adminKey });
      assert.equal(r.status, 400, query);
    }
    for (const query of ['granularity=week', 'from=soon']) {
      await api(server.url, '/v1/agents', { key: t.adminKey, body: { name: 'ts-agent' } });
      const r = await api(server.url, `/v1/agents/ts-agent/timeseries?${query}`, { key: t.adminKey });
      assert.equal(r.status, 400, query);
    }
    assert.equal((await api(server.url, '/v1/audit-log?cursor=zzz', { key: t.adminKey })).status, 400);
  });
});
