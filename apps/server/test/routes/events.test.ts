// POST /v1/events and GET /v1/events (docs/api.md §2, §5, §9), one embedded server, app.inject, typed bodies.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Static } from 'typebox';
import type { CustomerSchema } from '../../src/schemas/agents.js';
import type { EventPageSchema } from '../../src/schemas/spend.js';
import { startTestServer, type TestServer } from '../harness.js';
import {
  type AgentJson,
  type CustomerWithKeys,
  createAgent,
  createKey,
  customersWithKeys,
  declinedEvent,
  type ErrorBody,
  type EventCreatedJson,
  expectError,
  expectInvalid,
  expectStatus,
  getAgent,
  header,
  idemKey,
  injectJson,
  nextDayStart,
  nextMonthStart,
  postEvent,
  unknownKey,
} from './inject.js';

type EventPage = Static<typeof EventPageSchema>;
type CustomerJson = Static<typeof CustomerSchema>;

let server: TestServer;
// One customer per describe (and one more for the cross-customer tests), signed up together: each signup is a scrypt.
let customers: CustomerWithKeys[];
before(async () => {
  server = await startTestServer({ embedded: true });
  customers = await customersWithKeys(server.app, 4);
});
after(async () => {
  await server.close();
});

async function listEvents(key: string, query = ''): Promise<EventPage> {
  return expectStatus(await injectJson<EventPage>(server.app, `/v1/events${query}`, { key }), 200, 'list')
    .body;
}

describe('happy', () => {
  let c: CustomerWithKeys;
  before(async () => {
    c = customers[0] as CustomerWithKeys;
    await createAgent(server.app, c.admin.key, 'research-bot', {
      month_usd: '50',
      velocity: { window_seconds: 60, max_usd: '2' },
    });
  });

  it('an accepted event is 201 with cost_usd "0.012300" for "0.0123" and remaining = limit − spent', async () => {
    const key = idemKey('task-8812');
    const res = expectStatus(
      await postEvent(
        server.app,
        { key: c.ingest.key },
        { agent: 'research-bot', cost_usd: '0.0123', run: 'task-8812', metadata: { model: 'gpt-4o' } },
        key,
      ),
      201,
    );
    const { event, budget } = res.body;
    assert.match(event.id, /^evt_[A-Za-z0-9]+$/);
    assert.equal(event.agent, 'research-bot');
    assert.equal(event.cost_micros, 12300);
    assert.equal(event.cost_usd, '0.012300');
    assert.equal(event.idempotency_key, key);
    assert.equal(event.status, 'accepted');
    assert.equal(event.run, 'task-8812');
    assert.deepEqual(event.metadata, { model: 'gpt-4o' });
    assert.ok(Math.abs(Date.parse(event.recorded_at) - Date.now()) < 5_000);
    assert.equal(header(res, 'idempotent-replayed'), undefined);
    assert.match(header(res, 'x-request-id') ?? '', /.+/);

    assert.deepEqual(budget.agent.month, {
      limit_micros: 50_000_000,
      spent_micros: 12300,
      remaining_micros: 50_000_000 - 12300,
      resets_at: nextMonthStart(),
    });
    assert.deepEqual(budget.agent.day, {
      limit_micros: null,
      spent_micros: 12300,
      remaining_micros: null,
      resets_at: nextDayStart(),
    });
    assert.deepEqual(budget.agent.velocity, {
      limit_micros: 2_000_000,
      spent_micros: 12300,
      remaining_micros: 2_000_000 - 12300,
      resets_at: null,
    });
    assert.deepEqual(budget.customer.month, {
      limit_micros: null,
      spent_micros: 12300,
      remaining_micros: null,
      resets_at: nextMonthStart(),
    });
  });

  it('a second event adds up exactly: spent is the sum, remaining = limit − sum', async () => {
    const res = expectStatus(
      await postEvent(server.app, { key: c.ingest.key }, { agent: 'research-bot', cost_micros: 7700 }),
      201,
    );
    assert.equal(res.body.event.cost_usd, '0.007700');
    assert.equal(res.body.budget.agent.month.spent_micros, 20000);
    assert.equal(res.body.budget.agent.month.remaining_micros, 50_000_000 - 20000);
    assert.equal(res.body.budget.customer.month.spent_micros, 20000);
    const agent = await getAgent(server.app, c.admin.key, 'research-bot');
    assert.equal(agent.spend.month_micros, 20000);
    assert.equal(agent.spend.day_micros, 20000);
    assert.equal(agent.last_event_at, res.body.event.recorded_at);
  });

  it('USD is rounded half-up to whole micros and the recorded amount is given back', async () => {
    const cases: Array<[unknown, number, string]> = [
      ['0.0000005', 1, '0.000001'],
      ['0.0000004999', 0, '0.000000'],
      [0.1, 100000, '0.100000'],
      ['1.5e-3', 1500, '0.001500'],
      ['12', 12_000_000, '12.000000'],
      [0, 0, '0.000000'],
      ['1000000', 1_000_000_000_000, '1000000.000000'],
    ];
    for (const [usd, micros, text] of cases) {
      const res = expectStatus(
        await postEvent(server.app, { key: c.ingest.key }, { agent: 'rounding-bot', cost_usd: usd }),
        201,
        `cost_usd ${JSON.stringify(usd)}`,
      );
      assert.equal(res.body.event.cost_micros, micros, `cost_usd ${JSON.stringify(usd)}`);
      assert.equal(res.body.event.cost_usd, text, `cost_usd ${JSON.stringify(usd)}`);
    }
  });

  it('a repeat with the same key and body replays the first answer with Idempotent-Replayed: true and counts once', async () => {
    const key = idemKey('replay');
    const body = { agent: 'replay-bot', cost_micros: 4200, metadata: { n: 1 } };
    const first = expectStatus(await postEvent(server.app, { key: c.ingest.key }, body, key), 201);
    const again = expectStatus(await postEvent(server.app, { key: c.ingest.key }, body, key), 201);
    assert.equal(header(again, 'idempotent-replayed'), 'true');
    assert.deepEqual(again.body, first.body);
    const agent = await getAgent(server.app, c.admin.key, 'replay-bot');
    assert.equal(agent.spend.month_micros, 4200);
    const page = await listEvents(c.admin.key, '?agent=replay-bot');
    assert.equal(page.data.length, 1);
  });

  it('"0.0123", 0.0123 and cost_micros 12300 are the same request: each repeat is a replay', async () => {
    const key = idemKey('same-meaning');
    const first = expectStatus(
      await postEvent(server.app, { key: c.ingest.key }, { agent: 'meaning-bot', cost_usd: '0.0123' }, key),
      201,
    );
    for (const amount of [{ cost_usd: 0.0123 }, { cost_micros: 12300 }]) {
      const again = expectStatus(
        await postEvent(server.app, { key: c.ingest.key }, { agent: 'meaning-bot', ...amount }, key),
        201,
      );
      assert.equal(header(again, 'idempotent-replayed'), 'true', JSON.stringify(amount));
      assert.equal(again.body.event.id, first.body.event.id);
    }
    assert.equal((await getAgent(server.app, c.admin.key, 'meaning-bot')).spend.month_micros, 12300);
  });

  it('the body field idempotency_key stands in for the header', async () => {
    const key = idemKey('body-key');
    const body = { agent: 'body-key-bot', cost_micros: 5, idempotency_key: key };
    const first = expectStatus(
      await injectJson<EventCreatedJson>(server.app, '/v1/events', { key: c.ingest.key, body }),
      201,
    );
    assert.equal(first.body.event.idempotency_key, key);
    const again = expectStatus(
      await injectJson<EventCreatedJson>(server.app, '/v1/events', {
        key: c.ingest.key,
        body,
        idempotencyKey: key,
      }),
      201,
    );
    assert.equal(header(again, 'idempotent-replayed'), 'true');
    assert.equal(again.body.event.id, first.body.event.id);
  });

  it('occurred_at is kept as sent; the budget counts the event by its recording time', async () => {
    const res = expectStatus(
      await postEvent(
        server.app,
        { key: c.ingest.key },
        { agent: 'late-bot', cost_micros: 900, occurred_at: '2020-01-15T10:00:00.000Z' },
      ),
      201,
    );
    assert.equal(res.body.event.occurred_at, '2020-01-15T10:00:00.000Z');
    assert.ok(Math.abs(Date.parse(res.body.event.recorded_at) - Date.now()) < 5_000);
    assert.equal(res.body.budget.agent.month.spent_micros, 900);
    assert.equal(res.body.budget.agent.day.spent_micros, 900);
  });

  it("an unknown agent is created on its first event with the customer's default limits", async () => {
    expectStatus(
      await injectJson<CustomerJson>(server.app, '/v1/customer', {
        method: 'PATCH',
        key: c.admin.key,
        body: { default_agent_limits: { month_usd: '5', day_micros: 700000 } },
      }),
      200,
    );
    const res = expectStatus(
      await postEvent(server.app, { key: c.ingest.key }, { agent: 'auto-bot', cost_micros: 100 }),
      201,
    );
    assert.equal(res.body.budget.agent.month.limit_micros, 5_000_000);
    assert.equal(res.body.budget.agent.month.remaining_micros, 5_000_000 - 100);
    assert.equal(res.body.budget.agent.day.limit_micros, 700000);
    const agent = await getAgent(server.app, c.admin.key, 'auto-bot');
    assert.match(agent.id, /^agt_/);
    assert.equal(agent.status, 'active');
    assert.deepEqual(agent.limits, {
      month_micros: 5_000_000,
      day_micros: 700000,
      run_micros: null,
      velocity: null,
      repeats: null,
    });
    assert.equal(agent.spend.month_micros, 100);
  });

  it('GET /v1/events lists the events newest first with every field, filtered by agent and status', async () => {
    const page = await listEvents(c.ingest.key, '?agent=research-bot');
    assert.equal(page.data.length, 2);
    assert.equal(page.next_cursor, null);
    const [newest, oldest] = page.data;
    assert.ok(newest && oldest);
    assert.ok(newest.recorded_at >= oldest.recorded_at);
    assert.deepEqual(
      page.data.map((e) => e.cost_micros).sort((a, b) => a - b),
      [7700, 12300],
    );
    const first = page.data.find((e) => e.cost_micros === 12300);
    assert.ok(first);
    assert.equal(first.cost_usd, '0.012300');
    assert.equal(first.status, 'accepted');
    assert.equal(first.decline_code ?? null, null);
    assert.equal(first.run, 'task-8812');
    assert.deepEqual(first.metadata, { model: 'gpt-4o' });
    assert.equal(first.reservation_id ?? null, null);

    const all = await listEvents(c.admin.key, '?limit=100');
    assert.ok(all.data.length >= 12);
    for (let i = 1; i < all.data.length; i++) {
      assert.ok((all.data[i - 1]?.recorded_at ?? '') >= (all.data[i]?.recorded_at ?? ''), 'newest first');
    }
    assert.deepEqual(await listEvents(c.admin.key, '?status=declined'), { data: [], next_cursor: null });
    const accepted = await listEvents(c.admin.key, '?status=accepted&limit=100');
    assert.equal(accepted.data.length, all.data.length);
  });

  it('GET /v1/events pages with limit and next_cursor, without gaps or repeats, and filters by from/to', async () => {
    const all = await listEvents(c.admin.key, '?limit=100');
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = `?limit=3${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const page = await listEvents(c.admin.key, query);
      assert.ok(page.data.length <= 3);
      seen.push(...page.data.map((e) => e.id));
      cursor = page.next_cursor;
      pages += 1;
    } while (cursor !== null && pages < 50);
    assert.deepEqual(
      seen,
      all.data.map((e) => e.id),
    );
    assert.equal(pages, Math.ceil(all.data.length / 3));

    const pivot = all.data[Math.floor(all.data.length / 2)];
    assert.ok(pivot);
    const from = await listEvents(c.admin.key, `?limit=100&from=${encodeURIComponent(pivot.recorded_at)}`);
    const to = await listEvents(c.admin.key, `?limit=100&to=${encodeURIComponent(pivot.recorded_at)}`);
    assert.ok(from.data.every((e) => e.recorded_at >= pivot.recorded_at));
    assert.ok(to.data.every((e) => e.recorded_at < pivot.recorded_at));
    assert.equal(from.data.length + to.data.length, all.data.length);
    assert.ok(from.data.some((e) => e.id === pivot.id));
  });
});

describe('errors', () => {
  let c: CustomerWithKeys;
  let before400: { spend: number; events: number };
  before(async () => {
    c = customers[1] as CustomerWithKeys;
    await createAgent(server.app, c.admin.key, 'err-bot');
    expectStatus(
      await postEvent(server.app, { key: c.ingest.key }, { agent: 'err-bot', cost_micros: 1000 }),
      201,
    );
    before400 = {
      spend: (await getAgent(server.app, c.admin.key, 'err-bot')).spend.month_micros,
      events: (await listEvents(c.admin.key, '?agent=err-bot')).data.length,
    };
  });

  it('a missing amount is 400 naming cost_usd; both amounts are 400 naming each', async () => {
    expectInvalid(
      await postEvent(server.app, { key: c.ingest.key }, { agent: 'err-bot' }),
      'cost_usd',
      /required/,
    );
    const both = await postEvent(
      server.app,
      { key: c.ingest.key },
      { agent: 'err-bot', cost_usd: '0.01', cost_micros: 10000 },
    );
    expectInvalid(both, 'cost_usd', /not both/);
    expectInvalid(both, 'cost_micros', /not both/);
  });

  it('every bad amount is 400 with the amount field named in details', async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ cost_usd: '-1' }, 'cost_usd'],
      [{ cost_usd: -0.5 }, 'cost_usd'],
      [{ cost_usd: '1e400' }, 'cost_usd'],
      [{ cost_usd: 'NaN' }, 'cost_usd'],
      [{ cost_usd: 'Infinity' }, 'cost_usd'],
      [{ cost_usd: ' 1' }, 'cost_usd'],
      [{ cost_usd: '.5' }, 'cost_usd'],
      [{ cost_usd: '1.' }, 'cost_usd'],
      [{ cost_usd: '+1' }, 'cost_usd'],
      [{ cost_usd: '1'.repeat(41) }, 'cost_usd'],
      [{ cost_usd: '1000000.000001' }, 'cost_usd'],
      [{ cost_usd: null }, 'cost_usd'],
      [{ cost_usd: true }, 'cost_usd'],
      [{ cost_usd: [1] }, 'cost_usd'],
      [{ cost_usd: { usd: 1 } }, 'cost_usd'],
      [{ cost_micros: '12300' }, 'cost_micros'],
      [{ cost_micros: 1.5 }, 'cost_micros'],
      [{ cost_micros: -1 }, 'cost_micros'],
      [{ cost_micros: 1_000_000_000_001 }, 'cost_micros'],
      [{ cost_micros: 2 ** 53 }, 'cost_micros'],
    ];
    for (const [amount, field] of cases) {
      expectInvalid(
        await postEvent(server.app, { key: c.ingest.key }, { agent: 'err-bot', ...amount }),
        field,
        undefined,
        JSON.stringify(amount),
      );
    }
  });

  it('schema violations are 400 naming the field: unknown field, bad agent name, bad run, bad occurred_at', async () => {
    const unknown = await postEvent(
      server.app,
      { key: c.ingest.key },
      { agent: 'err-bot', cost_micros: 1, colour: 'red' },
    );
    expectInvalid(unknown, 'colour', /unknown field/);
    expectInvalid(
      await postEvent(server.app, { key: c.ingest.key }, { cost_micros: 1 }),
      'agent',
      /required/,
    );
    expectInvalid(
      await postEvent(server.app, { key: c.ingest.key }, { agent: 'bad name', cost_micros: 1 }),
      'agent',
    );
    expectInvalid(
      await postEvent(server.app, { key: c.ingest.key }, { agent: '-dash', cost_micros: 1 }),
      'agent',
    );
    expectInvalid(
      await postEvent(server.app, { key: c.ingest.key }, { agent: 'a'.repeat(129), cost_micros: 1 }),
      'agent',
    );
    expectInvalid(
      await postEvent(server.app, { key: c.ingest.key }, { agent: 'err-bot', cost_micros: 1, run: 'a run' }),
      'run',
    );
    expectInvalid(
      await postEvent(
        server.app,
        { key: c.ingest.key },
        { agent: 'err-bot', cost_micros: 1, occurred_at: 'yesterday' },
      ),
      'occurred_at',
    );
    expectInvalid(
      await postEvent(
        server.app,
        { key: c.ingest.key },
        { agent: 'err-bot', cost_micros: 1, metadata: [1, 2] },
      ),
      'metadata',
    );
  });

  it('metadata over 64 keys or 8 KiB is 400 naming metadata', async () => {
    const many: Record<string, number> = {};
    for (let i = 0; i < 65; i++) many[`k${i}`] = i;
    expectInvalid(
      await postEvent(
        server.app,
        { key: c.ingest.key },
        { agent: 'err-bot', cost_micros: 1, metadata: many },
      ),
      'metadata',
      /64 keys/,
    );
    expectInvalid(
      await postEvent(
        server.app,
        { key: c.ingest.key },
        { agent: 'err-bot', cost_micros: 1, metadata: { pad: 'x'.repeat(9000) } },
      ),
      'metadata',
      /bytes/,
    );
  });

  it('text that cannot be stored (NUL, a lone surrogate) is 400 naming where it is', async () => {
    expectInvalid(
      await postEvent(
        server.app,
        { key: c.ingest.key },
        { agent: 'err-bot', cost_micros: 1, metadata: { note: 'a\u0000b' } },
      ),
      'metadata.note',
    );
    expectInvalid(
      await postEvent(
        server.app,
        { key: c.ingest.key },
        { agent: 'err-bot', cost_micros: 1, metadata: { 'bad\uD800key': 1 } },
      ),
      'metadata.bad\uD800key',
    );
  });

  it('a missing, overlong or non-printable Idempotency-Key is 400 naming it; a body key unlike the header is 400', async () => {
    const missing = await injectJson<ErrorBody>(server.app, '/v1/events', {
      key: c.ingest.key,
      body: { agent: 'err-bot', cost_micros: 1 },
    });
    expectInvalid(missing, 'Idempotency-Key', /required/);
    expectInvalid(
      await postEvent(
        server.app,
        { key: c.ingest.key },
        { agent: 'err-bot', cost_micros: 1 },
        'k'.repeat(256),
      ),
      'Idempotency-Key',
    );
    expectInvalid(
      await postEvent(server.app, { key: c.ingest.key }, { agent: 'err-bot', cost_micros: 1 }, 'tab\there'),
      'Idempotency-Key',
    );
    expectInvalid(
      await postEvent(
        server.app,
        { key: c.ingest.key },
        { agent: 'err-bot', cost_micros: 1, idempotency_key: 'body-one' },
        'header-one',
      ),
      'idempotency_key',
      /differs/,
    );
    expectInvalid(
      await injectJson(server.app, '/v1/events', {
        key: c.ingest.key,
        body: { agent: 'err-bot', cost_micros: 1, idempotency_key: '' },
      }),
      'idempotency_key',
    );
  });

  it('malformed JSON is 400 naming body; an empty JSON body is 400', async () => {
    const res = await injectJson(server.app, '/v1/events', {
      key: c.ingest.key,
      raw: '{"agent": "err-bot", "cost_micros": ',
      contentType: 'application/json',
      idempotencyKey: idemKey(),
    });
    expectInvalid(res, 'body', /JSON/);
    const empty = await injectJson(server.app, '/v1/events', {
      method: 'POST',
      key: c.ingest.key,
      raw: '',
      contentType: 'application/json',
      idempotencyKey: idemKey(),
    });
    expectError(empty, 400, 'invalid_request');
  });

  it('a body over 16 KiB is 413 payload_too_large', async () => {
    const res = await postEvent(
      server.app,
      { key: c.ingest.key },
      { agent: 'err-bot', cost_micros: 1, metadata: { pad: 'x'.repeat(17 * 1024) } },
    );
    expectError(res, 413, 'payload_too_large');
  });

  it('a text/plain body is 415 unsupported_media_type', async () => {
    const res = await injectJson(server.app, '/v1/events', {
      key: c.ingest.key,
      raw: JSON.stringify({ agent: 'err-bot', cost_micros: 1 }),
      contentType: 'text/plain',
      idempotencyKey: idemKey(),
    });
    expectError(res, 415, 'unsupported_media_type');
  });

  it('a rejected request (400) saves no result: a retry with the same key is processed as new', async () => {
    const key = idemKey('fix-and-retry');
    expectInvalid(
      await postEvent(server.app, { key: c.ingest.key }, { agent: 'retry-bot', cost_usd: 'oops' }, key),
      'cost_usd',
    );
    const retry = expectStatus(
      await postEvent(server.app, { key: c.ingest.key }, { agent: 'retry-bot', cost_micros: 300 }, key),
      201,
    );
    assert.equal(header(retry, 'idempotent-replayed'), undefined);
    assert.equal(retry.body.event.cost_micros, 300);
  });

  it('the same key with another amount is 422 idempotency_key_reused and nothing is counted', async () => {
    const key = idemKey('reused');
    expectStatus(
      await postEvent(server.app, { key: c.ingest.key }, { agent: 'reuse-bot', cost_micros: 100 }, key),
      201,
    );
    for (const changed of [
      { agent: 'reuse-bot', cost_micros: 200 },
      { agent: 'reuse-bot', cost_usd: '0.0002' },
      { agent: 'reuse-bot', cost_micros: 100, run: 'other-run' },
      { agent: 'reuse-bot', cost_micros: 100, metadata: { a: 1 } },
      { agent: 'reuse-bot', cost_micros: 100, occurred_at: '2020-01-01T00:00:00.000Z' },
    ]) {
      expectError(
        await postEvent(server.app, { key: c.ingest.key }, changed, key),
        422,
        'idempotency_key_reused',
        JSON.stringify(changed),
      );
    }
    assert.equal((await getAgent(server.app, c.admin.key, 'reuse-bot')).spend.month_micros, 100);
    assert.equal((await listEvents(c.admin.key, '?agent=reuse-bot')).data.length, 1);
    const replay = await postEvent(
      server.app,
      { key: c.ingest.key },
      { agent: 'reuse-bot', cost_micros: 100 },
      key,
    );
    expectStatus(replay, 201);
    assert.equal(header(replay, 'idempotent-replayed'), 'true');
  });

  it('a reused key naming a new agent is 422 and leaves no agent behind', {
    todo:
      'docs/api.md §5 "same key, different request → 422; nothing is counted" and the brief\'s "bad input changes ' +
      'nothing": the 422 still auto-creates the agent it names (GET /v1/agents/{name} is 200 afterwards)',
  }, async () => {
    const key = idemKey('reused-new-agent');
    expectStatus(
      await postEvent(server.app, { key: c.ingest.key }, { agent: 'reuse-bot', cost_micros: 1 }, key),
      201,
    );
    expectError(
      await postEvent(server.app, { key: c.ingest.key }, { agent: 'ghost-of-422', cost_micros: 1 }, key),
      422,
      'idempotency_key_reused',
    );
    expectError(
      await injectJson(server.app, '/v1/agents/ghost-of-422', { key: c.admin.key }),
      404,
      'not_found',
    );
  });

  it('none of the refused requests above changed anything: spend and events of the agent read back the same', async () => {
    const agent = await getAgent(server.app, c.admin.key, 'err-bot');
    assert.equal(agent.spend.month_micros, before400.spend);
    assert.equal(agent.spend.month_micros, 1000);
    assert.equal((await listEvents(c.admin.key, '?agent=err-bot')).data.length, before400.events);
    assert.equal(agent.status, 'active');
  });

  it("an event over the agent's month limit is 403 budget_exceeded and suspends the agent", async () => {
    await createAgent(server.app, c.admin.key, 'capped-bot', { month_micros: 1000 });
    const first = expectStatus(
      await postEvent(server.app, { key: c.ingest.key }, { agent: 'capped-bot', cost_micros: 600 }),
      201,
    );
    assert.equal(first.body.budget.agent.month.remaining_micros, 400);
    const exact = expectStatus(
      await postEvent(server.app, { key: c.ingest.key }, { agent: 'capped-bot', cost_micros: 400 }),
      201,
      'reaching the limit exactly is allowed',
    );
    assert.equal(exact.body.budget.agent.month.remaining_micros, 0);
    const key = idemKey('over');
    const over = await postEvent(
      server.app,
      { key: c.ingest.key },
      { agent: 'capped-bot', cost_micros: 1 },
      key,
    );
    const error = expectError(over, 403, 'budget_exceeded');
    assert.equal(error.scope, 'agent');
    assert.equal(error.period, 'month');
    assert.equal(error.limit_micros, 1000);
    assert.equal(error.spent_micros, 1000);
    assert.equal(error.resets_at, nextMonthStart());
    const declined = declinedEvent(error);
    assert.equal(declined.status, 'declined');
    assert.equal(declined.decline_code, 'budget_exceeded');
    assert.equal(declined.cost_micros, 1);
    assert.equal(declined.idempotency_key, key);

    const agent = await getAgent(server.app, c.admin.key, 'capped-bot');
    assert.equal(agent.status, 'suspended');
    assert.equal(agent.suspended_reason, 'budget_exceeded');
    assert.equal(agent.spend.month_micros, 1000);

    const replay = await postEvent(
      server.app,
      { key: c.ingest.key },
      { agent: 'capped-bot', cost_micros: 1 },
      key,
    );
    expectError(replay, 403, 'budget_exceeded');
    assert.equal(header(replay, 'idempotent-replayed'), 'true');
    assert.deepEqual(replay.body, over.body);
  });

  it('an event of a suspended agent is 403 agent_suspended with the reason, and is stored as declined', async () => {
    const res = await postEvent(server.app, { key: c.ingest.key }, { agent: 'capped-bot', cost_micros: 0 });
    const error = expectError(res, 403, 'agent_suspended');
    assert.equal(error.reason, 'budget_exceeded');
    assert.equal(typeof error.suspended_at, 'string');
    const declined = declinedEvent(error);
    assert.equal(declined.status, 'declined');
    assert.equal(declined.decline_code, 'agent_suspended');
    const list = await listEvents(c.admin.key, '?agent=capped-bot&status=declined');
    assert.deepEqual(list.data.map((e) => e.decline_code).sort(), ['agent_suspended', 'budget_exceeded']);
    assert.ok(list.data.every((e) => e.status === 'declined'));
    assert.equal((await listEvents(c.admin.key, '?agent=capped-bot&status=accepted')).data.length, 2);
  });

  it('an event over the day limit is 403 budget_exceeded period day (resets at the next UTC day)', async () => {
    await createAgent(server.app, c.admin.key, 'day-bot', { day_micros: 500 });
    expectStatus(
      await postEvent(server.app, { key: c.ingest.key }, { agent: 'day-bot', cost_micros: 500 }),
      201,
    );
    const error = expectError(
      await postEvent(server.app, { key: c.ingest.key }, { agent: 'day-bot', cost_micros: 1 }),
      403,
      'budget_exceeded',
    );
    assert.equal(error.period, 'day');
    assert.equal(error.limit_micros, 500);
    assert.equal(error.spent_micros, 500);
    assert.equal(error.resets_at, nextDayStart());
    const agent = await getAgent(server.app, c.admin.key, 'day-bot');
    assert.equal(agent.status, 'suspended');
    assert.equal(agent.suspended_reason, 'budget_exceeded');
  });

  it('an event over the velocity limit is 403 period velocity and suspends with velocity_exceeded', async () => {
    await createAgent(server.app, c.admin.key, 'fast-bot', {
      velocity: { window_seconds: 60, max_micros: 1000 },
    });
    expectStatus(
      await postEvent(server.app, { key: c.ingest.key }, { agent: 'fast-bot', cost_micros: 1000 }),
      201,
    );
    const error = expectError(
      await postEvent(server.app, { key: c.ingest.key }, { agent: 'fast-bot', cost_micros: 1 }),
      403,
      'budget_exceeded',
    );
    assert.equal(error.period, 'velocity');
    assert.equal(error.limit_micros, 1000);
    assert.equal(error.spent_micros, 1000);
    assert.equal(error.resets_at, null);
    const agent = await getAgent(server.app, c.admin.key, 'fast-bot');
    assert.equal(agent.status, 'suspended');
    assert.equal(agent.suspended_reason, 'velocity_exceeded');
  });

  it('an event over the run limit is 403 period run; the agent stays active and its other runs go on', async () => {
    await createAgent(server.app, c.admin.key, 'run-bot', { run_micros: 500 });
    expectStatus(
      await postEvent(
        server.app,
        { key: c.ingest.key },
        { agent: 'run-bot', cost_micros: 500, run: 'run-a' },
      ),
      201,
    );
    const error = expectError(
      await postEvent(server.app, { key: c.ingest.key }, { agent: 'run-bot', cost_micros: 1, run: 'run-a' }),
      403,
      'budget_exceeded',
    );
    assert.equal(error.scope, 'agent');
    assert.equal(error.period, 'run');
    assert.equal(error.limit_micros, 500);
    assert.equal(error.spent_micros, 500);
    assert.equal(error.resets_at, null);
    assert.equal((await getAgent(server.app, c.admin.key, 'run-bot')).status, 'active');
    expectStatus(
      await postEvent(
        server.app,
        { key: c.ingest.key },
        { agent: 'run-bot', cost_micros: 500, run: 'run-b' },
      ),
      201,
    );
  });

  it("an event over the customer's month limit is 403 scope customer and touches no kill switch", async () => {
    const customer = expectStatus(
      await injectJson<CustomerJson>(server.app, '/v1/customer', { key: c.admin.key }),
      200,
    ).body;
    const spent = customer.spend.month_micros;
    expectStatus(
      await injectJson<CustomerJson>(server.app, '/v1/customer', {
        method: 'PATCH',
        key: c.admin.key,
        body: { limits: { month_micros: spent + 100 } },
      }),
      200,
    );
    const error = expectError(
      await postEvent(server.app, { key: c.ingest.key }, { agent: 'err-bot', cost_micros: 101 }),
      403,
      'budget_exceeded',
    );
    assert.equal(error.scope, 'customer');
    assert.equal(error.period, 'month');
    assert.equal(error.limit_micros, spent + 100);
    assert.equal(error.spent_micros, spent);
    assert.equal(error.resets_at, nextMonthStart());
    assert.equal((await getAgent(server.app, c.admin.key, 'err-bot')).status, 'active');
    const ok = expectStatus(
      await postEvent(server.app, { key: c.ingest.key }, { agent: 'err-bot', cost_micros: 100 }),
      201,
    );
    assert.equal(ok.body.budget.customer.month.remaining_micros, 0);
    expectStatus(
      await injectJson<CustomerJson>(server.app, '/v1/customer', {
        method: 'PATCH',
        key: c.admin.key,
        body: { limits: { month_micros: null } },
      }),
      200,
    );
  });

  it('with auto_create_agents off an unknown agent is 404, saves no result, and creates nothing', async () => {
    expectStatus(
      await injectJson<CustomerJson>(server.app, '/v1/customer', {
        method: 'PATCH',
        key: c.admin.key,
        body: { auto_create_agents: false },
      }),
      200,
    );
    const key = idemKey('no-auto');
    expectError(
      await postEvent(server.app, { key: c.ingest.key }, { agent: 'never-made', cost_micros: 1 }, key),
      404,
      'not_found',
    );
    expectError(
      await injectJson(server.app, '/v1/agents/never-made', { key: c.admin.key }),
      404,
      'not_found',
    );
    expectStatus(
      await injectJson<CustomerJson>(server.app, '/v1/customer', {
        method: 'PATCH',
        key: c.admin.key,
        body: { auto_create_agents: true },
      }),
      200,
    );
    const retry = expectStatus(
      await postEvent(server.app, { key: c.ingest.key }, { agent: 'never-made', cost_micros: 1 }, key),
      201,
    );
    assert.equal(header(retry, 'idempotent-replayed'), undefined);
  });

  it('GET /v1/events with a bad filter, limit or cursor is 400 naming the parameter', async () => {
    const cases: Array<[string, string]> = [
      ['?status=pending', 'status'],
      ['?limit=0', 'limit'],
      ['?limit=101', 'limit'],
      ['?limit=ten', 'limit'],
      ['?from=yesterday', 'from'],
      ['?to=2026-13-45', 'to'],
      ['?cursor=not-a-cursor', 'cursor'],
      [`?cursor=${Buffer.from('["x","y"]').toString('base64url')}`, 'cursor'],
      ['?agent=bad%20name', 'agent'],
      ['?colour=red', 'colour'],
    ];
    for (const [query, field] of cases) {
      expectInvalid(
        await injectJson(server.app, `/v1/events${query}`, { key: c.admin.key }),
        field,
        undefined,
        query,
      );
    }
  });

  it('GET /v1/events filtered by an agent that does not exist is 404', async () => {
    expectError(
      await injectJson(server.app, '/v1/events?agent=ghost-bot', { key: c.admin.key }),
      404,
      'not_found',
    );
  });
});

describe('security', () => {
  let c: CustomerWithKeys;
  let other: CustomerWithKeys;
  let bound: string;
  let ownAgent: AgentJson;
  before(async () => {
    c = customers[2] as CustomerWithKeys;
    other = customers[3] as CustomerWithKeys;
    ownAgent = await createAgent(server.app, c.admin.key, 'own-bot');
    await createAgent(server.app, c.admin.key, 'sibling-bot');
    expectStatus(
      await postEvent(server.app, { key: c.admin.key }, { agent: 'sibling-bot', cost_micros: 50 }),
      201,
    );
    bound = (await createKey(server.app, c.session, { kind: 'ingest', agent: 'own-bot' })).key;
  });

  it('no credential, an unknown key, a malformed key or a malformed Authorization header is 401', async () => {
    const body = { agent: 'own-bot', cost_micros: 1 };
    expectError(await postEvent(server.app, {}, body), 401, 'unauthenticated', 'none');
    expectError(await postEvent(server.app, { key: unknownKey() }, body), 401, 'unauthenticated', 'unknown');
    expectError(
      await postEvent(server.app, { key: 'sg_ingest_short' }, body),
      401,
      'unauthenticated',
      'short',
    );
    expectError(await injectJson(server.app, '/v1/events', { key: unknownKey() }), 401, 'unauthenticated');
    for (const authorization of ['Basic dXNlcjpwdw==', 'Bearer', `Token ${c.ingest.key}`]) {
      const res = await injectJson(server.app, '/v1/events', {
        body,
        session: c.session,
        idempotencyKey: idemKey(),
        headers: { authorization },
      });
      expectError(res, 401, 'unauthenticated', `${authorization} must not fall back to the cookie`);
    }
    assert.equal((await listEvents(c.admin.key, '?agent=own-bot')).data.length, 0);
  });

  it('a revoked key is 401 from the next request on', async () => {
    const key = await createKey(server.app, c.session, { kind: 'ingest' });
    expectStatus(await postEvent(server.app, { key: key.key }, { agent: 'own-bot', cost_micros: 1 }), 201);
    expectStatus(
      await injectJson(server.app, `/v1/api-keys/${key.id}`, { method: 'DELETE', key: c.admin.key }),
      204,
    );
    expectError(
      await postEvent(server.app, { key: key.key }, { agent: 'own-bot', cost_micros: 1 }),
      401,
      'unauthenticated',
    );
    expectError(await injectJson(server.app, '/v1/events', { key: key.key }), 401, 'unauthenticated');
  });

  it('a bound key posting for another agent is 403 forbidden and records nothing', async () => {
    const key = idemKey('bound-other');
    expectError(
      await postEvent(server.app, { key: bound }, { agent: 'sibling-bot', cost_micros: 7 }, key),
      403,
      'forbidden',
    );
    assert.equal((await getAgent(server.app, c.admin.key, 'sibling-bot')).spend.month_micros, 50);
    assert.equal((await listEvents(c.admin.key, '?agent=sibling-bot')).data.length, 1);
    // 403 forbidden saves no result: the same key for its own agent is processed as new.
    const own = expectStatus(
      await postEvent(server.app, { key: bound }, { agent: 'own-bot', cost_micros: 7 }, key),
      201,
    );
    assert.equal(header(own, 'idempotent-replayed'), undefined);
    assert.equal(own.body.event.agent, 'own-bot');
  });

  it('a bound key naming an unknown agent is 403 and never creates it', async () => {
    expectError(
      await postEvent(server.app, { key: bound }, { agent: 'brand-new-bot', cost_micros: 1 }),
      403,
      'forbidden',
    );
    expectError(
      await injectJson(server.app, '/v1/agents/brand-new-bot', { key: c.admin.key }),
      404,
      'not_found',
    );
  });

  it("a bound key lists only its own agent's events; filtering by another agent is 403", async () => {
    const page = await listEvents(bound);
    assert.ok(page.data.length > 0);
    assert.ok(page.data.every((e) => e.agent === ownAgent.name));
    expectError(
      await injectJson(server.app, '/v1/events?agent=sibling-bot', { key: bound }),
      403,
      'forbidden',
    );
    const all = await listEvents(c.admin.key);
    assert.ok(all.data.some((e) => e.agent === 'sibling-bot'));
  });

  it('a session write without X-CSRF-Token, or with a wrong one, is 403 csrf_failed and records nothing', async () => {
    const key = idemKey('csrf');
    const body = { agent: 'own-bot', cost_micros: 11 };
    const before = (await getAgent(server.app, c.admin.key, 'own-bot')).spend.month_micros;
    expectError(
      await injectJson(server.app, '/v1/events', {
        session: c.session,
        csrf: false,
        body,
        idempotencyKey: key,
      }),
      403,
      'csrf_failed',
    );
    expectError(
      await injectJson(server.app, '/v1/events', {
        session: c.session,
        csrf: 'wrong',
        body,
        idempotencyKey: key,
      }),
      403,
      'csrf_failed',
    );
    assert.equal((await getAgent(server.app, c.admin.key, 'own-bot')).spend.month_micros, before);
    const ok = expectStatus(
      await injectJson<EventCreatedJson>(server.app, '/v1/events', {
        session: c.session,
        body,
        idempotencyKey: key,
      }),
      201,
    );
    assert.equal(header(ok, 'idempotent-replayed'), undefined);
    assert.equal(ok.body.budget.agent.month.spent_micros, before + 11);
    // A read with the cookie needs no CSRF token.
    expectStatus(await injectJson(server.app, '/v1/events', { session: c.session }), 200);
  });

  it("another customer's agent name is its own agent there: spend and events never cross customers", async () => {
    const before = (await getAgent(server.app, c.admin.key, 'sibling-bot')).spend.month_micros;
    const res = expectStatus(
      await postEvent(server.app, { key: other.ingest.key }, { agent: 'sibling-bot', cost_micros: 999 }),
      201,
    );
    assert.equal(res.body.budget.agent.month.spent_micros, 999);
    assert.equal(res.body.budget.customer.month.spent_micros, 999);
    assert.equal((await getAgent(server.app, c.admin.key, 'sibling-bot')).spend.month_micros, before);
    const otherList = await listEvents(other.admin.key, '?limit=100');
    assert.deepEqual(
      otherList.data.map((e) => e.cost_micros),
      [999],
    );
    const ownList = await listEvents(c.admin.key, '?limit=100');
    assert.ok(ownList.data.every((e) => e.id !== res.body.event.id));
  });

  it('idempotency keys are scoped to the customer: the same key in two customers is two events', async () => {
    const key = idemKey('shared');
    const mine = expectStatus(
      await postEvent(server.app, { key: c.ingest.key }, { agent: 'own-bot', cost_micros: 3 }, key),
      201,
    );
    const theirs = expectStatus(
      await postEvent(server.app, { key: other.ingest.key }, { agent: 'own-bot', cost_micros: 4 }, key),
      201,
    );
    assert.equal(header(theirs, 'idempotent-replayed'), undefined);
    assert.notEqual(theirs.body.event.id, mine.body.event.id);
    assert.equal(theirs.body.event.cost_micros, 4);
  });

  it("another customer's cursor is refused or yields nothing of ours", async () => {
    const page = await listEvents(c.admin.key, '?limit=1');
    assert.ok(page.next_cursor);
    const res = await injectJson<EventPage>(
      server.app,
      `/v1/events?cursor=${encodeURIComponent(page.next_cursor)}`,
      {
        key: other.admin.key,
      },
    );
    if (res.status === 200) {
      const mine = new Set((await listEvents(c.admin.key, '?limit=100')).data.map((e) => e.id));
      assert.ok(res.body.data.every((e) => !mine.has(e.id)));
    } else {
      expectInvalid(res, 'cursor');
    }
  });
});
