// Events priced from usage (docs/api.md §5.1), on both stores: the cost comes from the token counts (or the provider's
// own usage object) and the bundled catalogue, exactly; the event keeps the usage and the price; an unknown model is
// 422 and counts nothing; replays hash the usage; at the last dollar no race lets usage-priced events overspend.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Static } from 'typebox';
import type { EventPageSchema } from '../../src/schemas/spend.js';
import { retryUntilSettled } from '../engine/outage-helpers.js';
import { startTestServer, type TestServer } from '../harness.js';
import { dbRows } from '../reservations/helpers.js';
import {
  type CustomerWithKeys,
  createAgent,
  customersWithKeys,
  expectError,
  expectInvalid,
  expectStatus,
  getAgent,
  header,
  idemKey,
  injectJson,
  postEvent,
} from './inject.js';

type EventPage = Static<typeof EventPageSchema>;

const MINI = {
  provider: 'openai',
  model: 'gpt-4o-mini',
  input_tokens: 1200,
  output_tokens: 350,
  cache_read_tokens: 1000,
};
// 200×0.15 + 1000×0.075 + 350×0.6 = 315 micros (gpt-4o-mini: 0.15 / 0.075 cached / 0.60 per million tokens).
const MINI_MICROS = 315;

for (const backend of ['embedded', 'postgres+redis'] as const) {
  describe(`usage-priced events (${backend})`, () => {
    let server: TestServer;
    let c: CustomerWithKeys;
    before(async () => {
      server = await startTestServer(backend === 'embedded' ? { embedded: true } : {});
      [c] = (await customersWithKeys(server.app, 1)) as [CustomerWithKeys];
    });
    after(() => server.close());
    const send = (body: Record<string, unknown>, key = idemKey('use')) =>
      postEvent(server.app, { key: c.ingest.key }, body, key);

    it('token counts: 201 with the exact cost, the normalised usage and the price it used; the list shows them', async () => {
      const res = expectStatus(await send({ agent: 'llm-bot', usage: MINI }), 201);
      const event = res.body.event;
      assert.equal(event.cost_micros, MINI_MICROS);
      assert.equal(event.cost_usd, '0.000315');
      assert.deepEqual(event.usage, { ...MINI, cache_write_tokens: 0 });
      assert.deepEqual(event.price, {
        source: 'catalogue',
        catalogue_version: 'genai-prices@0.1.8',
        input_per_mtok_usd: '0.15',
        output_per_mtok_usd: '0.6',
        cache_read_per_mtok_usd: '0.075',
        cache_write_per_mtok_usd: '0.15',
      });
      assert.equal(res.body.budget.agent.month.spent_micros, MINI_MICROS);
      const list = expectStatus(
        await injectJson<EventPage>(server.app, '/v1/events?agent=llm-bot', { key: c.admin.key }),
        200,
      ).body;
      assert.deepEqual(list.data[0]?.usage, event.usage);
      assert.deepEqual(list.data[0]?.price, event.price);
    });

    it('the provider’s own usage object: Anthropic’s input_tokens leave out the cache, Spendguard adds it', async () => {
      const res = expectStatus(
        await send({
          agent: 'claude-bot',
          usage: {
            provider: 'anthropic',
            model: 'claude-sonnet-4-5-20250929',
            raw: {
              input_tokens: 2000,
              cache_read_input_tokens: 5000,
              cache_creation_input_tokens: 3000,
              output_tokens: 1000,
            },
          },
        }),
        201,
      );
      // 2000×3 + 5000×0.3 + 3000×3.75 + 1000×15
      assert.equal(res.body.event.cost_micros, 33_750);
      assert.equal(res.body.event.usage?.input_tokens, 10_000);
    });

    it('an unknown model is 422 unknown_model and counts nothing; the same key then works (nothing was saved)', async () => {
      const key = idemKey('unknown');
      const unknown = await send({ agent: 'mystery-bot', usage: { ...MINI, model: 'gpt-9-ultra' } }, key);
      const error = expectError(unknown, 422, 'unknown_model');
      assert.match(error.message, /gpt-9-ultra/);
      const rows = await dbRows<{ n: number }>(
        server.app,
        `SELECT count(*)::int AS n FROM events e JOIN agents a ON a.id = e.agent_id WHERE a.name = 'mystery-bot'`,
      );
      assert.equal(rows[0]?.n ?? 0, 0);
      expectStatus(await send({ agent: 'mystery-bot', usage: MINI }, key), 201);
      assert.equal((await getAgent(server.app, c.admin.key, 'mystery-bot')).spend.month_micros, MINI_MICROS);
    });

    it('usage that cannot be priced as given is 400 naming the field, and counts nothing', async () => {
      expectInvalid(await send({ agent: 'bad-bot', cost_usd: '0.01', usage: MINI }), 'usage', /exactly one/);
      expectInvalid(
        await send({ agent: 'bad-bot', usage: { provider: 'openai', model: 'gpt-4o' } }),
        'usage',
      );
      expectInvalid(
        await send({ agent: 'bad-bot', usage: { ...MINI, raw: { prompt_tokens: 1 } } }),
        'usage.raw',
        /not both/,
      );
      expectInvalid(
        await send({ agent: 'bad-bot', usage: { ...MINI, input_tokens: 10, cache_read_tokens: 11 } }),
        'usage.input_tokens',
      );
      expectInvalid(
        await send({
          agent: 'bad-bot',
          usage: { provider: 'openai', model: 'gpt-4o', raw: { prompt_tokens: -3 } },
        }),
        'usage.raw',
        /non-negative/,
      );
      expectError(
        await send({ agent: 'bad-bot', usage: { ...MINI, input_tokens: -1 } }),
        400,
        'invalid_request',
      );
      expectError(
        await send({ agent: 'bad-bot', usage: { ...MINI, input_tokens: '1200' } }),
        400,
        'invalid_request',
      );
      expectError(await send({ agent: 'bad-bot', usage: { ...MINI, tokens: 5 } }), 400, 'invalid_request');
      const rows = await dbRows<{ n: number }>(
        server.app,
        `SELECT count(*)::int AS n FROM events e JOIN agents a ON a.id = e.agent_id WHERE a.name = 'bad-bot'`,
      );
      assert.equal(rows[0]?.n ?? 0, 0);
    });

    it('the same key and usage replays; the same key with other usage is 422 idempotency_key_reused', async () => {
      const key = idemKey('replay');
      const first = expectStatus(await send({ agent: 'replay-bot', usage: MINI }, key), 201);
      const again = expectStatus(await send({ agent: 'replay-bot', usage: MINI }, key), 201);
      assert.equal(header(again, 'idempotent-replayed'), 'true');
      assert.deepEqual(again.body, first.body);
      expectError(
        await send({ agent: 'replay-bot', usage: { ...MINI, output_tokens: 351 } }, key),
        422,
        'idempotency_key_reused',
      );
      assert.equal((await getAgent(server.app, c.admin.key, 'replay-bot')).spend.month_micros, MINI_MICROS);
    });

    it('200 concurrent usage-priced events at the last dollar: exactly as many as fit are accepted', async () => {
      await createAgent(server.app, c.admin.key, 'tight-bot', { month_micros: 10_000 });
      // A request past its deadline is a fast 503 (docs/api.md §4); the client retries it with the same key, as the SDK
      // does — the invariant is about what is counted, whatever the load of the machine running the test.
      const results = await Promise.all(
        Array.from({ length: 200 }, () => {
          const key = idemKey('tight');
          return retryUntilSettled(() => send({ agent: 'tight-bot', usage: MINI }, key));
        }),
      );
      for (const r of results) assert.ok(r.status === 201 || r.status === 403, `unexpected ${r.status}`);
      const accepted = results.filter((r) => r.status === 201).length;
      assert.equal(
        accepted,
        Math.floor(10_000 / MINI_MICROS),
        '31 × 315 = 9,765 fits; a 32nd would be 10,080',
      );
      const rows = await dbRows<{ micros: number }>(
        server.app,
        `SELECT coalesce(sum(e.cost_micros), 0)::bigint AS micros FROM events e JOIN agents a ON a.id = e.agent_id
          WHERE a.name = 'tight-bot' AND e.status = 'accepted'`,
      );
      assert.equal(Number(rows[0]?.micros), accepted * MINI_MICROS);
    });
  });
}
