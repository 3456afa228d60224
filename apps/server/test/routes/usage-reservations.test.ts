// Reservations from an `estimate` and commits from `usage` (docs/api.md §6), on both stores: the hold is the call's
// usage at its largest (max_output_tokens, every input token uncached) priced from the catalogue; the commit records
// the real usage with its price; replays hash the estimate/usage as sent; at the last dollar no race lets estimates
// hold more than the budget.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Static } from 'typebox';
import type { EventPageSchema, ReservationCreatedSchema } from '../../src/schemas/spend.js';
import { retryUntilSettled } from '../engine/outage-helpers.js';
import { startTestServer, type TestServer } from '../harness.js';
import { dbRows } from '../reservations/helpers.js';
import {
  type CustomerWithKeys,
  createAgent,
  customersWithKeys,
  type EventCreatedJson,
  expectError,
  expectInvalid,
  expectStatus,
  getAgent,
  header,
  idemKey,
  injectJson,
} from './inject.js';

type Created = Static<typeof ReservationCreatedSchema>;
type EventPage = Static<typeof EventPageSchema>;

// gpt-4o-mini: 0.15 USD per million input tokens, 0.60 output, 0.075 cached input (OpenAI's published prices).
const ESTIMATE = { provider: 'openai', model: 'gpt-4o-mini', input_tokens: 1200, max_output_tokens: 1000 };
// 1200 × 0.15 + 1000 × 0.6 = 180 + 600
const ESTIMATE_MICROS = 780;
const USAGE = {
  provider: 'openai',
  model: 'gpt-4o-mini',
  input_tokens: 1200,
  output_tokens: 350,
  cache_read_tokens: 1000,
};
// 200 × 0.15 + 1000 × 0.075 + 350 × 0.6 = 30 + 75 + 210
const USAGE_MICROS = 315;

for (const backend of ['embedded', 'postgres+redis'] as const) {
  describe(`reservations from estimates, commits from usage (${backend})`, () => {
    let server: TestServer;
    let c: CustomerWithKeys;
    before(async () => {
      server = await startTestServer(backend === 'embedded' ? { embedded: true } : {});
      [c] = (await customersWithKeys(server.app, 1)) as [CustomerWithKeys];
    });
    after(() => server.close());

    const reserve = (body: Record<string, unknown>, key = idemKey('est')) =>
      injectJson<Created>(server.app, '/v1/reservations', { key: c.ingest.key, body, idempotencyKey: key });
    const commit = (id: string, body: Record<string, unknown>) =>
      injectJson<EventCreatedJson>(server.app, `/v1/reservations/${id}/commit`, { key: c.ingest.key, body });
    const heldMicros = async (agent: string) =>
      Number(
        (
          await dbRows<{ micros: string }>(
            server.app,
            `SELECT coalesce(sum(r.amount_micros), 0) AS micros FROM reservations r JOIN agents a ON a.id = r.agent_id
              WHERE a.name = $1 AND r.status = 'held'`,
            [agent],
          )
        )[0]?.micros ?? 0,
      );

    it('an estimate holds the priced maximum; a usage commit records the real cost with its usage and price', async () => {
      const held = expectStatus(await reserve({ agent: 'est-bot', estimate: ESTIMATE }), 201).body;
      assert.equal(held.reservation.amount_micros, ESTIMATE_MICROS);
      assert.equal(held.reservation.status, 'held');
      assert.equal(await heldMicros('est-bot'), ESTIMATE_MICROS);

      const committed = expectStatus(await commit(held.reservation.id, { usage: USAGE }), 201).body;
      assert.equal(committed.event.cost_micros, USAGE_MICROS);
      assert.equal(committed.event.reservation_id, held.reservation.id);
      assert.deepEqual(committed.event.usage, { ...USAGE, cache_write_tokens: 0 });
      assert.equal(committed.event.price?.source, 'catalogue');
      assert.equal(committed.event.price?.input_per_mtok_usd, '0.15');
      assert.equal(await heldMicros('est-bot'), 0);
      assert.equal((await getAgent(server.app, c.admin.key, 'est-bot')).spend.month_micros, USAGE_MICROS);

      const list = expectStatus(
        await injectJson<EventPage>(server.app, '/v1/events?agent=est-bot', { key: c.admin.key }),
        200,
      ).body;
      assert.deepEqual(list.data[0]?.usage, committed.event.usage);
      assert.deepEqual(list.data[0]?.price, committed.event.price);
    });

    it('a commit from the provider’s own usage object (Anthropic) is normalised and priced', async () => {
      const held = expectStatus(
        await reserve({
          agent: 'claude-est',
          estimate: {
            provider: 'anthropic',
            model: 'claude-sonnet-4-5',
            input_tokens: 10_000,
            max_output_tokens: 2000,
          },
        }),
        201,
      ).body;
      // 10,000 × 3 + 2,000 × 15 (claude-sonnet-4-5: 3 USD per million input, 15 output)
      assert.equal(held.reservation.amount_micros, 60_000);
      const committed = expectStatus(
        await commit(held.reservation.id, {
          usage: {
            provider: 'anthropic',
            model: 'claude-sonnet-4-5',
            raw: {
              input_tokens: 2000,
              cache_read_input_tokens: 5000,
              cache_creation_input_tokens: 3000,
              output_tokens: 1000,
            },
          },
        }),
        201,
      ).body;
      // 2000 × 3 + 5000 × 0.3 + 3000 × 3.75 + 1000 × 15
      assert.equal(committed.event.cost_micros, 33_750);
      assert.equal(committed.event.usage?.input_tokens, 10_000);
    });

    it('an estimate for an unknown model is 422 unknown_model and holds nothing; the same key then works', async () => {
      const key = idemKey('unknown');
      const error = expectError(
        await reserve({ agent: 'mystery-est', estimate: { ...ESTIMATE, model: 'gpt-9-ultra' } }, key),
        422,
        'unknown_model',
      );
      assert.equal(error.model, 'gpt-9-ultra');
      assert.equal(await heldMicros('mystery-est'), 0);
      expectStatus(await reserve({ agent: 'mystery-est', estimate: ESTIMATE }, key), 201);
      assert.equal(await heldMicros('mystery-est'), ESTIMATE_MICROS);
    });

    it('an estimate and an amount together, or an incomplete estimate, are 400 and hold nothing', async () => {
      expectInvalid(
        await reserve({ agent: 'bad-est', amount_usd: '0.01', estimate: ESTIMATE }),
        'estimate',
        /exactly one/,
      );
      const { max_output_tokens: _dropped, ...noMax } = ESTIMATE;
      expectError(await reserve({ agent: 'bad-est', estimate: noMax }), 400, 'invalid_request');
      expectError(
        await reserve({ agent: 'bad-est', estimate: { ...ESTIMATE, cache_read_tokens: 5 } }),
        400,
        'invalid_request',
      );
      expectError(
        await reserve({ agent: 'bad-est', estimate: { ...ESTIMATE, input_tokens: 1.5 } }),
        400,
        'invalid_request',
      );
      assert.equal(await heldMicros('bad-est'), 0);
    });

    it('a commit with both a cost and usage, or unpriceable usage, is 400/422 and leaves the hold held', async () => {
      const held = expectStatus(await reserve({ agent: 'bad-commit', estimate: ESTIMATE }), 201).body;
      const id = held.reservation.id;
      expectInvalid(await commit(id, { cost_usd: '0.01', usage: USAGE }), 'usage', /exactly one/);
      expectError(await commit(id, { usage: { ...USAGE, model: 'gpt-9-ultra' } }), 422, 'unknown_model');
      assert.equal(await heldMicros('bad-commit'), ESTIMATE_MICROS);
      expectStatus(await commit(id, { usage: USAGE }), 201);
    });

    it('replays hash the estimate and the usage as sent: the same body replays, another is 422', async () => {
      const key = idemKey('replay');
      const first = expectStatus(await reserve({ agent: 'replay-est', estimate: ESTIMATE }, key), 201);
      const again = expectStatus(await reserve({ agent: 'replay-est', estimate: ESTIMATE }, key), 201);
      assert.equal(header(again, 'idempotent-replayed'), 'true');
      assert.deepEqual(again.body, first.body);
      expectError(
        await reserve({ agent: 'replay-est', estimate: { ...ESTIMATE, max_output_tokens: 999 } }, key),
        422,
        'idempotency_key_reused',
      );
      // The same micros given as an amount is another body, too.
      expectError(
        await reserve({ agent: 'replay-est', amount_micros: ESTIMATE_MICROS }, key),
        422,
        'idempotency_key_reused',
      );

      const id = first.body.reservation.id;
      const committed = expectStatus(await commit(id, { usage: USAGE }), 201);
      const replayed = expectStatus(await commit(id, { usage: USAGE }), 201);
      assert.equal(header(replayed, 'idempotent-replayed'), 'true');
      assert.equal(replayed.body.event.id, committed.body.event.id);
      expectError(
        await commit(id, { usage: { ...USAGE, output_tokens: 351 } }),
        422,
        'idempotency_key_reused',
      );
      expectError(await commit(id, { cost_micros: USAGE_MICROS }), 422, 'idempotency_key_reused');
      assert.equal((await getAgent(server.app, c.admin.key, 'replay-est')).spend.month_micros, USAGE_MICROS);
    });

    it('200 concurrent estimates at the last dollar: exactly as many as fit are held; their usage commits add up', async () => {
      await createAgent(server.app, c.admin.key, 'tight-est', { month_micros: 10_000 });
      // A fast 503 past the deadline is retried with the same key, as a client does (see usage-events.test.ts).
      const results = await Promise.all(
        Array.from({ length: 200 }, () => {
          const key = idemKey('tight');
          return retryUntilSettled(() => reserve({ agent: 'tight-est', estimate: ESTIMATE }, key));
        }),
      );
      for (const r of results) assert.ok(r.status === 201 || r.status === 403, `unexpected ${r.status}`);
      const held = results.filter((r) => r.status === 201);
      assert.equal(
        held.length,
        Math.floor(10_000 / ESTIMATE_MICROS),
        '12 × 780 = 9,360 fits; a 13th would be 10,140',
      );
      for (const r of results.filter((x) => x.status === 403)) expectError(r, 403, 'budget_exceeded');
      assert.equal(await heldMicros('tight-est'), held.length * ESTIMATE_MICROS);

      await Promise.all(
        held.map(async (r) =>
          expectStatus(await retryUntilSettled(() => commit(r.body.reservation.id, { usage: USAGE })), 201),
        ),
      );
      assert.equal(await heldMicros('tight-est'), 0);
      const rows = await dbRows<{ micros: string }>(
        server.app,
        `SELECT coalesce(sum(e.cost_micros), 0) AS micros FROM events e JOIN agents a ON a.id = e.agent_id
          WHERE a.name = 'tight-est' AND e.status = 'accepted'`,
      );
      assert.equal(Number(rows[0]?.micros), held.length * USAGE_MICROS);
      assert.equal(
        (await getAgent(server.app, c.admin.key, 'tight-est')).spend.month_micros,
        held.length * USAGE_MICROS,
      );
    });
  });
}
