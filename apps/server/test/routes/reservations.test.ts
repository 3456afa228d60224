// Reservations (docs/api.md §6): hold, commit, release, reads — one embedded server, app.inject, typed bodies.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Static } from 'typebox';
import type {
  EventPageSchema,
  ReservationCreatedSchema,
  ReservationEnvelopeSchema,
  ReservationPageSchema,
} from '../../src/schemas/spend.js';
import { startTestServer, type TestServer } from '../harness.js';
import {
  type Auth,
  type CustomerWithKeys,
  createAgent,
  createKey,
  customersWithKeys,
  declinedReservation,
  type EventCreatedJson,
  expectError,
  expectInvalid,
  expectStatus,
  getAgent,
  header,
  type Injected,
  idemKey,
  injectJson,
  nextMonthStart,
  postEvent,
  unknownKey,
} from './inject.js';

type Created = Static<typeof ReservationCreatedSchema>;
type Envelope = Static<typeof ReservationEnvelopeSchema>;
type ReservationPage = Static<typeof ReservationPageSchema>;
type EventPage = Static<typeof EventPageSchema>;

let server: TestServer;
let customers: CustomerWithKeys[];
before(async () => {
  server = await startTestServer({ embedded: true });
  customers = await customersWithKeys(server.app, 4);
});
after(async () => {
  await server.close();
});

function hold(
  auth: Auth,
  body: Record<string, unknown>,
  key: string = idemKey('rsv'),
): Promise<Injected<Created>> {
  return injectJson<Created>(server.app, '/v1/reservations', { ...auth, body, idempotencyKey: key });
}
async function held(auth: Auth, body: Record<string, unknown>): Promise<Created['reservation']> {
  return expectStatus(await hold(auth, body), 201, 'hold').body.reservation;
}
function commit(auth: Auth, id: string, body: Record<string, unknown>): Promise<Injected<EventCreatedJson>> {
  return injectJson<EventCreatedJson>(server.app, `/v1/reservations/${id}/commit`, { ...auth, body });
}
function release(auth: Auth, id: string, body?: unknown): Promise<Injected<Envelope>> {
  return injectJson<Envelope>(server.app, `/v1/reservations/${id}/release`, {
    ...auth,
    method: 'POST',
    ...(body !== undefined ? { body } : {}),
  });
}
async function read(key: string, id: string): Promise<Envelope['reservation']> {
  return expectStatus(await injectJson<Envelope>(server.app, `/v1/reservations/${id}`, { key }), 200, 'read')
    .body.reservation;
}
async function list(key: string, query = ''): Promise<ReservationPage> {
  return expectStatus(await injectJson<ReservationPage>(server.app, `/v1/reservations${query}`, { key }), 200)
    .body;
}

describe('happy', () => {
  let c: CustomerWithKeys;
  let shortHold: Created['reservation'];
  let lateHold: Created['reservation'];
  before(async () => {
    c = customers[0] as CustomerWithKeys;
    await createAgent(server.app, c.admin.key, 'llm-bot', { month_usd: '1' });
    // Expires while the tests below run; the expiry test waits only for what is left.
    shortHold = await held(
      { key: c.ingest.key },
      { agent: 'expiring-bot', amount_micros: 70000, ttl_seconds: 1 },
    );
    lateHold = await held({ key: c.ingest.key }, { agent: 'expiring-bot', amount_micros: 5, ttl_seconds: 1 });
  });

  let first: Created['reservation'];
  it('a hold is 201 with amount_usd "0.050000", status held, expires_at = created_at + ttl, and counts in the budget', async () => {
    const res = expectStatus(
      await hold(
        { key: c.ingest.key },
        { agent: 'llm-bot', amount_usd: '0.05', ttl_seconds: 120, run: 'r1' },
      ),
      201,
    );
    const { reservation, budget } = res.body;
    first = reservation;
    assert.match(reservation.id, /^rsv_[A-Za-z0-9]+$/);
    assert.equal(reservation.agent, 'llm-bot');
    assert.equal(reservation.run, 'r1');
    assert.equal(reservation.amount_micros, 50000);
    assert.equal(reservation.amount_usd, '0.050000');
    assert.equal(reservation.status, 'held');
    assert.equal(Date.parse(reservation.expires_at) - Date.parse(reservation.created_at), 120_000);
    assert.equal(reservation.finished_at, null);
    assert.equal(reservation.event_id, null);
    assert.deepEqual(budget.agent.month, {
      limit_micros: 1_000_000,
      spent_micros: 50000,
      remaining_micros: 950000,
      resets_at: nextMonthStart(),
    });
    assert.equal((await getAgent(server.app, c.admin.key, 'llm-bot')).spend.month_micros, 50000);
    assert.deepEqual(await read(c.ingest.key, reservation.id), reservation);
  });

  it('a hold without ttl_seconds expires after the default 300 s', async () => {
    const r = await held({ key: c.ingest.key }, { agent: 'ttl-bot', amount_micros: 1 });
    assert.equal(Date.parse(r.expires_at) - Date.parse(r.created_at), 300_000);
    assert.equal(r.run, null);
  });

  it('a repeated hold with the same Idempotency-Key replays the first answer and holds once', async () => {
    const key = idemKey('hold-replay');
    const body = { agent: 'replay-bot', amount_micros: 3000 };
    const a = expectStatus(await hold({ key: c.ingest.key }, body, key), 201);
    const b = expectStatus(
      await hold({ key: c.ingest.key }, { agent: 'replay-bot', amount_usd: '0.003' }, key),
      201,
    );
    assert.equal(header(b, 'idempotent-replayed'), 'true');
    assert.deepEqual(b.body, a.body);
    assert.equal((await getAgent(server.app, c.admin.key, 'replay-bot')).spend.month_micros, 3000);
    assert.equal((await list(c.admin.key, '?agent=replay-bot')).data.length, 1);
  });

  let committedEvent: EventCreatedJson['event'];
  it('a commit is 201 with the event (reservation_id set) and the hold replaced by the real cost', async () => {
    const res = expectStatus(
      await commit({ key: c.ingest.key }, first.id, { cost_usd: '0.0312', metadata: { model: 'gpt-4o' } }),
      201,
    );
    const { event, budget } = res.body;
    committedEvent = event;
    assert.match(event.id, /^evt_/);
    assert.equal(event.reservation_id, first.id);
    assert.equal(event.agent, 'llm-bot');
    assert.equal(event.cost_micros, 31200);
    assert.equal(event.cost_usd, '0.031200');
    assert.equal(event.status, 'accepted');
    assert.equal(event.run, 'r1');
    assert.deepEqual(event.metadata, { model: 'gpt-4o' });
    assert.equal(budget.agent.month.spent_micros, 31200);
    assert.equal(budget.agent.month.remaining_micros, 1_000_000 - 31200);
    assert.equal((await getAgent(server.app, c.admin.key, 'llm-bot')).spend.month_micros, 31200);

    const after = await read(c.admin.key, first.id);
    assert.equal(after.status, 'committed');
    assert.equal(after.event_id, event.id);
    assert.equal(typeof after.finished_at, 'string');
    const events = expectStatus(
      await injectJson<EventPage>(server.app, '/v1/events?agent=llm-bot', { key: c.admin.key }),
      200,
    ).body;
    assert.deepEqual(
      events.data.map((e) => [e.id, e.reservation_id, e.cost_micros]),
      [[event.id, first.id, 31200]],
    );
  });

  it('the same commit again replays the first answer with Idempotent-Replayed: true and records once', async () => {
    const again = expectStatus(
      await commit({ key: c.ingest.key }, first.id, { cost_micros: 31200, metadata: { model: 'gpt-4o' } }),
      201,
    );
    assert.equal(header(again, 'idempotent-replayed'), 'true');
    assert.equal(again.body.event.id, committedEvent.id);
    assert.equal((await getAgent(server.app, c.admin.key, 'llm-bot')).spend.month_micros, 31200);
  });

  it('a commit above the estimate records the real cost', async () => {
    const r = await held({ key: c.ingest.key }, { agent: 'llm-bot', amount_micros: 1000 });
    const res = expectStatus(await commit({ key: c.ingest.key }, r.id, { cost_micros: 5000 }), 201);
    assert.equal(res.body.event.cost_micros, 5000);
    assert.equal(res.body.budget.agent.month.spent_micros, 31200 + 5000);
  });

  it('a release is 200 with status released and gives the hold back; a second release replays it', async () => {
    const r = await held({ key: c.ingest.key }, { agent: 'llm-bot', amount_micros: 20000 });
    assert.equal((await getAgent(server.app, c.admin.key, 'llm-bot')).spend.month_micros, 36200 + 20000);
    const res = expectStatus(await release({ key: c.ingest.key }, r.id), 200, 'release without a body');
    assert.equal(res.body.reservation.id, r.id);
    assert.equal(res.body.reservation.status, 'released');
    assert.equal(res.body.reservation.amount_micros, 20000);
    assert.equal(typeof res.body.reservation.finished_at, 'string');
    assert.equal(header(res, 'idempotent-replayed'), undefined);
    assert.equal((await getAgent(server.app, c.admin.key, 'llm-bot')).spend.month_micros, 36200);
    const again = expectStatus(await release({ key: c.ingest.key }, r.id, {}), 200, 'release with {}');
    assert.equal(header(again, 'idempotent-replayed'), 'true');
    assert.deepEqual(again.body, res.body);
    assert.equal((await read(c.admin.key, r.id)).status, 'released');
  });

  it('a release with an empty {} body works like one without a body', async () => {
    const r = await held({ key: c.ingest.key }, { agent: 'llm-bot', amount_micros: 10 });
    const res = expectStatus(await release({ key: c.ingest.key }, r.id, {}), 200);
    assert.equal(res.body.reservation.status, 'released');
  });

  it('GET /v1/reservations lists newest first, filters by agent and status, and pages with next_cursor', async () => {
    const all = await list(c.admin.key, '?limit=100');
    assert.ok(all.data.length >= 6);
    for (let i = 1; i < all.data.length; i++) {
      assert.ok((all.data[i - 1]?.created_at ?? '') >= (all.data[i]?.created_at ?? ''), 'newest first');
    }
    const llm = await list(c.admin.key, '?agent=llm-bot&limit=100');
    assert.ok(llm.data.length === 4 && llm.data.every((r) => r.agent === 'llm-bot'));
    const committed = await list(c.admin.key, '?agent=llm-bot&status=committed');
    assert.deepEqual(
      committed.data.map((r) => r.status),
      ['committed', 'committed'],
    );
    const released = await list(c.admin.key, '?status=released');
    assert.equal(released.data.length, 2);
    assert.ok(released.data.every((r) => r.status === 'released'));

    const seen: string[] = [];
    let cursor: string | null = null;
    for (let n = 0; n < 50; n++) {
      const page: ReservationPage = await list(
        c.admin.key,
        `?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      );
      seen.push(...page.data.map((r) => r.id));
      cursor = page.next_cursor;
      if (cursor === null) break;
    }
    assert.deepEqual(
      seen,
      all.data.map((r) => r.id),
    );
  });

  it('an expired hold reads expired, stops counting, releases as 200 expired, and a commit still records the cost', async () => {
    const wait =
      Math.max(Date.parse(shortHold.expires_at), Date.parse(lateHold.expires_at)) - Date.now() + 50;
    if (wait > 0) await sleep(wait);
    const r = await read(c.admin.key, shortHold.id);
    assert.equal(r.status, 'expired');
    assert.equal(r.finished_at, shortHold.expires_at);
    assert.equal((await getAgent(server.app, c.admin.key, 'expiring-bot')).spend.month_micros, 0);
    assert.deepEqual(
      (await list(c.admin.key, '?status=expired')).data.map((x) => x.id).sort(),
      [shortHold.id, lateHold.id].sort(),
    );
    const released = expectStatus(await release({ key: c.ingest.key }, shortHold.id), 200);
    assert.equal(released.body.reservation.status, 'expired');
    // docs/api.md §6: the real cost is always recorded, also after the hold expired.
    assert.equal((await read(c.admin.key, lateHold.id)).status, 'expired');
    const res = expectStatus(await commit({ key: c.ingest.key }, lateHold.id, { cost_micros: 400 }), 201);
    assert.equal(res.body.event.cost_micros, 400);
    assert.equal((await getAgent(server.app, c.admin.key, 'expiring-bot')).spend.month_micros, 400);
  });
});

describe('errors', () => {
  let c: CustomerWithKeys;
  let target: Created['reservation'];
  let baseline: { spend: number; count: number };
  before(async () => {
    c = customers[1] as CustomerWithKeys;
    await createAgent(server.app, c.admin.key, 'err-bot');
    target = await held({ key: c.ingest.key }, { agent: 'err-bot', amount_micros: 4000 });
    baseline = {
      spend: (await getAgent(server.app, c.admin.key, 'err-bot')).spend.month_micros,
      count: (await list(c.admin.key, '?agent=err-bot')).data.length,
    };
  });

  it('a hold with a missing, doubled or bad amount is 400 naming the amount field', async () => {
    const auth = { key: c.ingest.key };
    expectInvalid(await hold(auth, { agent: 'err-bot' }), 'amount_usd', /required/);
    const both = await hold(auth, { agent: 'err-bot', amount_usd: '1', amount_micros: 1 });
    expectInvalid(both, 'amount_usd', /not both/);
    expectInvalid(both, 'amount_micros', /not both/);
    expectInvalid(await hold(auth, { agent: 'err-bot', amount_usd: '-0.01' }), 'amount_usd');
    expectInvalid(await hold(auth, { agent: 'err-bot', amount_usd: '1000000.1' }), 'amount_usd');
    expectInvalid(await hold(auth, { agent: 'err-bot', amount_micros: '5' }), 'amount_micros');
    expectInvalid(await hold(auth, { agent: 'err-bot', amount_micros: 0.5 }), 'amount_micros');
  });

  it('a hold with a bad ttl, name, run, unknown field or no Idempotency-Key is 400 naming it', async () => {
    const auth = { key: c.ingest.key };
    expectInvalid(await hold(auth, { agent: 'err-bot', amount_micros: 1, ttl_seconds: 0 }), 'ttl_seconds');
    expectInvalid(await hold(auth, { agent: 'err-bot', amount_micros: 1, ttl_seconds: 3601 }), 'ttl_seconds');
    expectInvalid(await hold(auth, { agent: 'err-bot', amount_micros: 1, ttl_seconds: '60' }), 'ttl_seconds');
    expectInvalid(await hold(auth, { agent: 'no spaces', amount_micros: 1 }), 'agent');
    expectInvalid(await hold(auth, { agent: 'err-bot', amount_micros: 1, run: '' }), 'run');
    expectInvalid(
      await hold(auth, { agent: 'err-bot', amount_micros: 1, metadata: {} }),
      'metadata',
      /unknown/,
    );
    const noKey = await injectJson(server.app, '/v1/reservations', {
      key: c.ingest.key,
      body: { agent: 'err-bot', amount_micros: 1 },
    });
    expectInvalid(noKey, 'Idempotency-Key', /required/);
  });

  it('a commit with a missing, doubled or bad cost, an unknown field or too much metadata is 400 naming it', async () => {
    const auth = { key: c.ingest.key };
    expectInvalid(await commit(auth, target.id, {}), 'cost_usd', /required/);
    expectInvalid(
      await commit(auth, target.id, { cost_usd: '1', cost_micros: 1 }),
      'cost_micros',
      /not both/,
    );
    expectInvalid(await commit(auth, target.id, { cost_usd: 'abc' }), 'cost_usd');
    expectInvalid(await commit(auth, target.id, { cost_micros: -3 }), 'cost_micros');
    expectInvalid(await commit(auth, target.id, { amount_micros: 3 }), 'amount_micros', /unknown/);
    const many: Record<string, number> = {};
    for (let i = 0; i < 65; i++) many[`k${i}`] = i;
    expectInvalid(await commit(auth, target.id, { cost_micros: 3, metadata: many }), 'metadata');
  });

  it('a release with a non-empty body is 400 naming body', async () => {
    expectInvalid(await release({ key: c.ingest.key }, target.id, { reason: 'done' }), 'body', /empty/);
    expectInvalid(await release({ key: c.ingest.key }, target.id, [1]), 'body');
  });

  it('a reservation id that cannot be one is 400 naming id; a well-formed unknown one is 404', async () => {
    for (const path of ['/v1/reservations/not-an-id', '/v1/reservations/rsv_bad!id']) {
      expectInvalid(await injectJson(server.app, path, { key: c.ingest.key }), 'id', undefined, path);
    }
    const ghost = 'rsv_doesnotexist0000000000';
    expectError(
      await injectJson(server.app, `/v1/reservations/${ghost}`, { key: c.ingest.key }),
      404,
      'not_found',
    );
    expectError(await commit({ key: c.ingest.key }, ghost, { cost_micros: 1 }), 404, 'not_found');
    expectError(await release({ key: c.ingest.key }, ghost), 404, 'not_found');
  });

  it('GET /v1/reservations with a bad status, limit or cursor is 400 naming it', async () => {
    for (const [query, field] of [
      ['?status=open', 'status'],
      ['?limit=0', 'limit'],
      ['?limit=101', 'limit'],
      ['?cursor=zzz', 'cursor'],
      ['?agent=a%20b', 'agent'],
      ['?extra=1', 'extra'],
    ] as const) {
      expectInvalid(
        await injectJson(server.app, `/v1/reservations${query}`, { key: c.admin.key }),
        field,
        undefined,
        query,
      );
    }
  });

  it('bodies over 16 KiB are 413 and text/plain bodies are 415 on hold, commit and release', async () => {
    const pad = 'x'.repeat(17 * 1024);
    expectError(
      await hold({ key: c.ingest.key }, { agent: 'err-bot', amount_micros: 1, pad }),
      413,
      'payload_too_large',
    );
    expectError(
      await commit({ key: c.ingest.key }, target.id, { cost_micros: 1, metadata: { pad } }),
      413,
      'payload_too_large',
    );
    expectError(await release({ key: c.ingest.key }, target.id, { pad }), 413, 'payload_too_large');
    const text = { key: c.ingest.key, raw: '{}', contentType: 'text/plain', method: 'POST' as const };
    expectError(
      await injectJson(server.app, '/v1/reservations', { ...text, idempotencyKey: idemKey() }),
      415,
      'unsupported_media_type',
    );
    expectError(
      await injectJson(server.app, `/v1/reservations/${target.id}/commit`, text),
      415,
      'unsupported_media_type',
    );
    expectError(
      await injectJson(server.app, `/v1/reservations/${target.id}/release`, text),
      415,
      'unsupported_media_type',
    );
  });

  it('none of the refused requests above changed the hold, the agent or the list', async () => {
    const r = await read(c.admin.key, target.id);
    assert.equal(r.status, 'held');
    assert.equal(r.amount_micros, 4000);
    assert.equal(r.event_id, null);
    assert.equal((await getAgent(server.app, c.admin.key, 'err-bot')).spend.month_micros, baseline.spend);
    assert.equal(baseline.spend, 4000);
    assert.equal((await list(c.admin.key, '?agent=err-bot')).data.length, baseline.count);
  });

  it('a commit with another cost or metadata is 422 idempotency_key_reused with the first event_id', async () => {
    const first = expectStatus(await commit({ key: c.ingest.key }, target.id, { cost_micros: 3500 }), 201);
    for (const other of [{ cost_micros: 3501 }, { cost_micros: 3500, metadata: { x: 1 } }]) {
      const error = expectError(
        await commit({ key: c.ingest.key }, target.id, other),
        422,
        'idempotency_key_reused',
        JSON.stringify(other),
      );
      assert.equal(error.event_id, first.body.event.id);
    }
    assert.equal((await getAgent(server.app, c.admin.key, 'err-bot')).spend.month_micros, 3500);
  });

  it('releasing a committed reservation is 409 conflict with field status and status committed', async () => {
    const error = expectError(await release({ key: c.ingest.key }, target.id), 409, 'conflict');
    assert.equal(error.field, 'status');
    assert.equal(error.status, 'committed');
    assert.equal((await read(c.admin.key, target.id)).status, 'committed');
  });

  it('committing a released reservation is 409 conflict with status released, and records nothing', async () => {
    const r = await held({ key: c.ingest.key }, { agent: 'err-bot', amount_micros: 100 });
    expectStatus(await release({ key: c.ingest.key }, r.id), 200);
    const error = expectError(
      await commit({ key: c.ingest.key }, r.id, { cost_micros: 100 }),
      409,
      'conflict',
    );
    assert.equal(error.field, 'status');
    assert.equal(error.status, 'released');
    assert.equal((await getAgent(server.app, c.admin.key, 'err-bot')).spend.month_micros, 3500);
  });

  it('a key used for an event and then for a reservation is 422 (one key space per customer)', async () => {
    const key = idemKey('shared-space');
    expectStatus(
      await postEvent(server.app, { key: c.ingest.key }, { agent: 'err-bot', cost_micros: 1 }, key),
      201,
    );
    expectError(
      await hold({ key: c.ingest.key }, { agent: 'err-bot', amount_micros: 1 }, key),
      422,
      'idempotency_key_reused',
    );
    const key2 = idemKey('shared-space-2');
    expectStatus(await hold({ key: c.ingest.key }, { agent: 'err-bot', amount_micros: 1 }, key2), 201);
    expectError(
      await hold({ key: c.ingest.key }, { agent: 'err-bot', amount_micros: 2 }, key2),
      422,
      'idempotency_key_reused',
    );
    expectError(
      await postEvent(server.app, { key: c.ingest.key }, { agent: 'err-bot', cost_micros: 1 }, key2),
      422,
      'idempotency_key_reused',
    );
  });

  it('a hold over the limit is 403 budget_exceeded with the declined reservation, and never flips the kill switch', async () => {
    await createAgent(server.app, c.admin.key, 'tight-bot', { month_micros: 1000 });
    await held({ key: c.ingest.key }, { agent: 'tight-bot', amount_micros: 800 });
    const error = expectError(
      await hold({ key: c.ingest.key }, { agent: 'tight-bot', amount_micros: 300 }),
      403,
      'budget_exceeded',
    );
    assert.equal(error.scope, 'agent');
    assert.equal(error.period, 'month');
    assert.equal(error.limit_micros, 1000);
    assert.equal(error.spent_micros, 800);
    const declined = declinedReservation(error);
    assert.equal(declined.status, 'declined');
    assert.equal(declined.decline_code, 'budget_exceeded');
    assert.equal(declined.amount_micros, 300);
    const agent = await getAgent(server.app, c.admin.key, 'tight-bot');
    assert.equal(agent.status, 'active');
    assert.equal(agent.spend.month_micros, 800);
    assert.equal((await read(c.admin.key, declined.id)).status, 'declined');

    const commitDeclined = expectError(
      await commit({ key: c.ingest.key }, declined.id, { cost_micros: 1 }),
      409,
      'conflict',
    );
    assert.equal(commitDeclined.status, 'declined');
    const releaseDeclined = expectError(await release({ key: c.ingest.key }, declined.id), 409, 'conflict');
    assert.equal(releaseDeclined.status, 'declined');
  });

  it('an open hold declines an event that would pass the limit, without suspending the agent', async () => {
    const error = expectError(
      await postEvent(server.app, { key: c.ingest.key }, { agent: 'tight-bot', cost_micros: 300 }),
      403,
      'budget_exceeded',
    );
    assert.equal(error.spent_micros, 800);
    assert.equal((await getAgent(server.app, c.admin.key, 'tight-bot')).status, 'active');
  });

  it('a commit over the limit is still recorded and flips the kill switch; a later commit of a suspended agent records too', async () => {
    await createAgent(server.app, c.admin.key, 'flip-bot', { month_micros: 1000 });
    const a = await held({ key: c.ingest.key }, { agent: 'flip-bot', amount_micros: 800 });
    const b = await held({ key: c.ingest.key }, { agent: 'flip-bot', amount_micros: 100 });
    const over = expectStatus(await commit({ key: c.ingest.key }, a.id, { cost_micros: 1200 }), 201);
    assert.equal(over.body.event.cost_micros, 1200);
    const agent = await getAgent(server.app, c.admin.key, 'flip-bot');
    assert.equal(agent.status, 'suspended');
    assert.equal(agent.suspended_reason, 'budget_exceeded');
    const late = expectStatus(await commit({ key: c.ingest.key }, b.id, { cost_micros: 50 }), 201);
    assert.equal(late.body.event.status, 'accepted');
    assert.equal((await getAgent(server.app, c.admin.key, 'flip-bot')).spend.month_micros, 1250);

    const suspended = expectError(
      await hold({ key: c.ingest.key }, { agent: 'flip-bot', amount_micros: 1 }),
      403,
      'agent_suspended',
    );
    assert.equal(suspended.reason, 'budget_exceeded');
    assert.equal(declinedReservation(suspended).decline_code, 'agent_suspended');
  });
});

describe('security', () => {
  let c: CustomerWithKeys;
  let other: CustomerWithKeys;
  let bound: string;
  let sibling: Created['reservation'];
  let own: Created['reservation'];
  before(async () => {
    c = customers[2] as CustomerWithKeys;
    other = customers[3] as CustomerWithKeys;
    await createAgent(server.app, c.admin.key, 'own-bot');
    await createAgent(server.app, c.admin.key, 'sibling-bot');
    bound = (await createKey(server.app, c.session, { kind: 'ingest', agent: 'own-bot' })).key;
    sibling = await held({ key: c.ingest.key }, { agent: 'sibling-bot', amount_micros: 600 });
    own = await held({ key: bound }, { agent: 'own-bot', amount_micros: 700 });
  });

  it('every reservation route is 401 without a credential or with an unknown key', async () => {
    for (const auth of [{}, { key: unknownKey() }]) {
      expectError(await hold(auth, { agent: 'own-bot', amount_micros: 1 }), 401, 'unauthenticated');
      expectError(await injectJson(server.app, '/v1/reservations', auth), 401, 'unauthenticated');
      expectError(await injectJson(server.app, `/v1/reservations/${own.id}`, auth), 401, 'unauthenticated');
      expectError(await commit(auth, own.id, { cost_micros: 1 }), 401, 'unauthenticated');
      expectError(await release(auth, own.id), 401, 'unauthenticated');
    }
    assert.equal((await read(c.admin.key, own.id)).status, 'held');
  });

  it("a bound key is 403 forbidden on another agent's reservations and they stay held", async () => {
    expectError(await hold({ key: bound }, { agent: 'sibling-bot', amount_micros: 1 }), 403, 'forbidden');
    expectError(
      await injectJson(server.app, `/v1/reservations/${sibling.id}`, { key: bound }),
      403,
      'forbidden',
    );
    expectError(await commit({ key: bound }, sibling.id, { cost_micros: 1 }), 403, 'forbidden');
    expectError(await release({ key: bound }, sibling.id), 403, 'forbidden');
    const r = await read(c.admin.key, sibling.id);
    assert.equal(r.status, 'held');
    assert.equal((await getAgent(server.app, c.admin.key, 'sibling-bot')).spend.month_micros, 600);
    assert.equal((await list(c.admin.key, '?agent=sibling-bot')).data.length, 1);
  });

  it('a bound key lists only its own agent; filtering by another agent is 403', async () => {
    const page = await list(bound);
    assert.deepEqual(
      page.data.map((r) => r.id),
      [own.id],
    );
    expectError(
      await injectJson(server.app, '/v1/reservations?agent=sibling-bot', { key: bound }),
      403,
      'forbidden',
    );
    assert.equal((await list(c.admin.key)).data.length, 2);
  });

  it("another customer's reservation id is 404 on read, commit and release, and nothing changes", async () => {
    for (const auth of [{ key: other.admin.key }, { key: other.ingest.key }, { session: other.session }]) {
      expectError(await injectJson(server.app, `/v1/reservations/${sibling.id}`, auth), 404, 'not_found');
      expectError(await commit(auth, sibling.id, { cost_micros: 1 }), 404, 'not_found');
      expectError(await release(auth, sibling.id), 404, 'not_found');
    }
    assert.deepEqual((await list(other.admin.key)).data, []);
    const r = await read(c.admin.key, sibling.id);
    assert.equal(r.status, 'held');
    assert.equal(r.amount_micros, 600);
  });

  it('session writes without X-CSRF-Token are 403 csrf_failed; with it they work', async () => {
    const noCsrf = { session: c.session, csrf: false as const };
    expectError(await hold(noCsrf, { agent: 'own-bot', amount_micros: 1 }), 403, 'csrf_failed');
    expectError(await commit(noCsrf, sibling.id, { cost_micros: 1 }), 403, 'csrf_failed');
    expectError(await release(noCsrf, sibling.id), 403, 'csrf_failed');
    expectError(await release({ session: c.session, csrf: 'forged' }, sibling.id), 403, 'csrf_failed');
    assert.equal((await read(c.admin.key, sibling.id)).status, 'held');
    const res = expectStatus(await release({ session: c.session }, sibling.id), 200);
    assert.equal(res.body.reservation.status, 'released');
    // Reads with the cookie need no token.
    expectStatus(await injectJson(server.app, `/v1/reservations/${own.id}`, { session: c.session }), 200);
  });

  it('a bound key commits its own agent’s reservation', async () => {
    const res = expectStatus(await commit({ key: bound }, own.id, { cost_micros: 650 }), 201);
    assert.equal(res.body.event.agent, 'own-bot');
    assert.equal(res.body.event.reservation_id, own.id);
  });
});
