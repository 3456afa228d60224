// Prices (docs/api.md §14), on both deployments: GET answers the catalogue's price or the customer's own; PUT (admin)
// sets a customer's price exactly or refuses it with a 400 naming the field, changing nothing; usage-priced events are
// then charged at it; `*` prices only the models the catalogue does not know; DELETE brings the catalogue back; another
// customer never sees any of it; every change is in the audit log.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Static } from 'typebox';
import { CATALOGUE_VERSION, cataloguePrices } from '../../src/pricing/catalogue.js';
import { modelPricesJson } from '../../src/pricing/customer-prices.js';
import type { AuditPageSchema } from '../../src/schemas/agents.js';
import type { CustomerPricePageSchema, ModelPriceSchema } from '../../src/schemas/prices.js';
import { startTestServer, type TestServer } from '../harness.js';
import {
  type Auth,
  type CustomerWithKeys,
  customersWithKeys,
  type EventCreatedJson,
  expectError,
  expectInvalid,
  expectStatus,
  idemKey,
  injectJson,
  postEvent,
} from './inject.js';

type ModelPrice = Static<typeof ModelPriceSchema>;
type CustomerPricePage = Static<typeof CustomerPricePageSchema>;
type AuditPage = Static<typeof AuditPageSchema>;

const MINI = {
  provider: 'openai',
  model: 'gpt-4o-mini',
  input_tokens: 1200,
  output_tokens: 350,
  cache_read_tokens: 1000,
};
// The customer's negotiated gpt-4o-mini price, nine decimal places on the input.
const MY_MINI = {
  input_per_mtok_usd: '0.123456789',
  output_per_mtok_usd: 0.4,
  cache_read_per_mtok_usd: '0.025',
};
// 200 uncached × 0.123456789 + 1000 cached × 0.025 + 350 × 0.4 = 24.6913578 + 25 + 140 = 189.6913578 → 190 micros.
const MY_MINI_MICROS = 190;
// gpt-4o-mini from the catalogue: 200 × 0.15 + 1000 × 0.075 + 350 × 0.6 = 315 micros.
const CATALOGUE_MINI_MICROS = 315;

for (const backend of ['postgres+redis', 'embedded'] as const) {
  describe(`prices (${backend})`, () => {
    let server: TestServer;
    let a: CustomerWithKeys;
    let b: CustomerWithKeys;
    before(async () => {
      server = await startTestServer(backend === 'embedded' ? { embedded: true } : {});
      [a, b] = (await customersWithKeys(server.app, 2)) as [CustomerWithKeys, CustomerWithKeys];
    });
    after(() => server.close());

    const getPrice = (auth: Auth, provider: string, model: string) =>
      injectJson<ModelPrice>(
        server.app,
        `/v1/prices?provider=${encodeURIComponent(provider)}&model=${encodeURIComponent(model)}`,
        auth,
      );
    const pricePath = (provider: string, model: string) =>
      `/v1/prices/${encodeURIComponent(provider)}/${encodeURIComponent(model)}`;
    const putPrice = (auth: Auth, provider: string, model: string, prices: unknown) =>
      injectJson<ModelPrice>(server.app, pricePath(provider, model), {
        ...auth,
        method: 'PUT',
        body: { prices },
      });
    const deletePrice = (auth: Auth, provider: string, model: string) =>
      injectJson<null>(server.app, pricePath(provider, model), { ...auth, method: 'DELETE' });
    const listPrices = (auth: Auth, query = '') =>
      injectJson<CustomerPricePage>(server.app, `/v1/prices/customer${query}`, auth);
    const chargedFor = async (c: CustomerWithKeys, usage: Record<string, unknown>) => {
      const res = expectStatus(
        await postEvent(server.app, { key: c.ingest.key }, { agent: 'priced-bot', usage }),
        201,
      );
      return res.body.event;
    };

    it('GET answers the catalogue’s price (source catalogue, its version) for any key; a dated id names its model', async () => {
      const res = expectStatus(await getPrice({ key: a.ingest.key }, 'openai', 'gpt-4o-mini'), 200);
      const entry = cataloguePrices('openai', 'gpt-4o-mini', new Date());
      assert.ok(entry);
      assert.deepEqual(res.body, {
        provider: 'openai',
        model: 'gpt-4o-mini',
        source: 'catalogue',
        catalogue_version: CATALOGUE_VERSION,
        matched_model: 'gpt-4o-mini',
        prices: modelPricesJson(entry.prices),
      });
      // By hand, so a wrong conversion of the catalogue cannot pass by agreeing with itself.
      assert.deepEqual(res.body.prices, {
        input_per_mtok_usd: '0.15',
        output_per_mtok_usd: '0.6',
        cache_read_per_mtok_usd: '0.075',
        cache_write_per_mtok_usd: null,
      });
      const dated = expectStatus(
        await getPrice({ session: a.session }, 'OpenAI', 'gpt-4o-2024-08-06'),
        200,
      ).body;
      assert.equal(dated.provider, 'openai');
      assert.equal(dated.model, 'gpt-4o-2024-08-06');
      assert.equal(dated.matched_model, 'gpt-4o');
      assert.equal(dated.prices.input_per_mtok_usd, '2.5');
    });

    it('GET of a model nobody prices is 422 unknown_model naming it; a bad query is 400', async () => {
      const error = expectError(
        await getPrice({ key: a.ingest.key }, 'openai', 'gpt-9-ultra'),
        422,
        'unknown_model',
      );
      assert.equal(error.provider, 'openai');
      assert.equal(error.model, 'gpt-9-ultra');
      expectError(
        await injectJson(server.app, '/v1/prices?provider=openai', { key: a.ingest.key }),
        400,
        'invalid_request',
      );
      expectError(await injectJson(server.app, '/v1/prices?provider=openai&model=x'), 401, 'unauthenticated');
    });

    it('PUT as admin → 200 source customer; GET, the list and usage-priced events then use it', async () => {
      const put = expectStatus(await putPrice({ key: a.admin.key }, 'openai', 'gpt-4o-mini', MY_MINI), 200);
      assert.deepEqual(put.body, {
        provider: 'openai',
        model: 'gpt-4o-mini',
        source: 'customer',
        catalogue_version: null,
        matched_model: 'gpt-4o-mini',
        prices: {
          input_per_mtok_usd: '0.123456789',
          output_per_mtok_usd: '0.4',
          cache_read_per_mtok_usd: '0.025',
          cache_write_per_mtok_usd: null,
        },
      });
      const got = expectStatus(await getPrice({ key: a.ingest.key }, 'openai', 'gpt-4o-mini'), 200).body;
      assert.deepEqual(got, put.body);
      const list = expectStatus(await listPrices({ key: a.ingest.key }), 200).body;
      assert.deepEqual(
        list.data.map((p) => [p.provider, p.model, p.prices]),
        [['openai', 'gpt-4o-mini', put.body.prices]],
      );

      const event = await chargedFor(a, MINI);
      assert.equal(event.cost_micros, MY_MINI_MICROS);
      assert.deepEqual(event.price, {
        source: 'customer',
        catalogue_version: null,
        input_per_mtok_usd: '0.123456789',
        output_per_mtok_usd: '0.4',
        cache_read_per_mtok_usd: '0.025',
        // No cache-write price of its own: charged (had there been any) at the input price.
        cache_write_per_mtok_usd: '0.123456789',
      });
    });

    it('a price for a model covers its dated snapshot ids, and is matched without regard to case', async () => {
      expectStatus(
        await putPrice({ session: a.session }, 'OpenAI', 'GPT-4o', {
          input_per_mtok_usd: 2,
          output_per_mtok_usd: '8',
        }),
        200,
      );
      const dated = expectStatus(
        await getPrice({ key: a.ingest.key }, 'openai', 'gpt-4o-2024-08-06'),
        200,
      ).body;
      assert.equal(dated.source, 'customer');
      assert.equal(dated.matched_model, 'gpt-4o');
      // 1000 × 2 + 500 × 8 = 6000 micros (the catalogue: 1000 × 2.5 + 500 × 10 = 7500).
      const event = await chargedFor(a, {
        provider: 'openai',
        model: 'gpt-4o-2024-08-06',
        input_tokens: 1000,
        output_tokens: 500,
      });
      assert.equal(event.cost_micros, 6000);
      expectStatus(await deletePrice({ key: a.admin.key }, 'openai', 'gpt-4o'), 204);
    });

    it('PUT with an ingest key is 403, without credentials 401, and a session needs its CSRF token', async () => {
      expectError(
        await putPrice({ key: a.ingest.key }, 'openai', 'gpt-4o', { input_per_mtok_usd: 1 }),
        403,
        'forbidden',
      );
      expectError(await putPrice({}, 'openai', 'gpt-4o', { input_per_mtok_usd: 1 }), 401, 'unauthenticated');
      expectError(
        await putPrice({ session: a.session, csrf: false }, 'openai', 'gpt-4o', { input_per_mtok_usd: 1 }),
        403,
        'csrf_failed',
      );
      expectError(await deletePrice({ key: a.ingest.key }, 'openai', 'gpt-4o-mini'), 403, 'forbidden');
      assert.equal(
        expectStatus(await getPrice({ key: a.ingest.key }, 'openai', 'gpt-4o'), 200).body.source,
        'catalogue',
      );
    });

    it('bad prices are 400 naming the field, and change nothing', async () => {
      const before = expectStatus(await listPrices({ key: a.admin.key }), 200).body;
      const cases: Array<[unknown, string, RegExp]> = [
        [{ input_per_mtok_usd: -1 }, 'prices.input_per_mtok_usd', /negative/],
        [{ input_per_mtok_usd: '-0.5' }, 'prices.input_per_mtok_usd', /negative/],
        [{ input_per_mtok_usd: '1e-3' }, 'prices.input_per_mtok_usd', /exponent/],
        [{ output_per_mtok_usd: 1e-7 }, 'prices.output_per_mtok_usd', /exponent/],
        [{ input_per_mtok_usd: 1e21 }, 'prices.input_per_mtok_usd', /exponent/],
        [{ input_per_mtok_usd: '0.1234567891' }, 'prices.input_per_mtok_usd', /9 decimal places/],
        [{ input_per_mtok_usd: '10000.000000001' }, 'prices.input_per_mtok_usd', /at most 10000/],
        [{ input_per_mtok_usd: 20000 }, 'prices.input_per_mtok_usd', /at most 10000/],
        [{ input_per_mtok_usd: 'NaN' }, 'prices.input_per_mtok_usd', /plain decimal/],
        [{ input_per_mtok_usd: 'Infinity' }, 'prices.input_per_mtok_usd', /plain decimal/],
        [{ input_per_mtok_usd: ' 1' }, 'prices.input_per_mtok_usd', /plain decimal/],
        [{ input_per_mtok_usd: '' }, 'prices.input_per_mtok_usd', /plain decimal/],
        [{ input_per_mtok_usd: '0x10' }, 'prices.input_per_mtok_usd', /plain decimal/],
        [
          { input_per_mtok_usd: 1, cache_read_per_mtok_usd: '1.' },
          'prices.cache_read_per_mtok_usd',
          /plain decimal/,
        ],
        [{ cache_read_per_mtok_usd: '0.5' }, 'prices.input_per_mtok_usd', /at least/],
        [{}, 'prices.input_per_mtok_usd', /at least/],
      ];
      for (const [prices, field, problem] of cases) {
        expectInvalid(
          await putPrice({ key: a.admin.key }, 'openai', 'gpt-4o-mini', prices),
          field,
          problem,
          JSON.stringify(prices),
        );
      }
      // Refused by the schema: wrong types, unknown fields, no prices object, a model id that is not one.
      for (const body of [
        { prices: { input_per_mtok_usd: true } },
        { prices: { input_per_mtok_usd: [1] } },
        { prices: { input_usd: 1 } },
        { prices: { input_per_mtok_usd: 1 }, note: 'x' },
        {},
      ]) {
        expectError(
          await injectJson(server.app, pricePath('openai', 'gpt-4o-mini'), {
            key: a.admin.key,
            method: 'PUT',
            body,
          }),
          400,
          'invalid_request',
          JSON.stringify(body),
        );
      }
      expectError(
        await putPrice({ key: a.admin.key }, 'openai', 'my model', { input_per_mtok_usd: 1 }),
        400,
        'invalid_request',
      );
      expectError(
        await putPrice({ key: a.admin.key }, 'open ai', 'x', { input_per_mtok_usd: 1 }),
        400,
        'invalid_request',
      );
      assert.deepEqual(expectStatus(await listPrices({ key: a.admin.key }), 200).body, before);
      assert.equal((await chargedFor(a, MINI)).cost_micros, MY_MINI_MICROS);
    });

    it('`*` prices the provider’s models the catalogue does not know, never one it knows', async () => {
      expectStatus(
        await putPrice({ key: a.admin.key }, 'openai', '*', {
          input_per_mtok_usd: '1',
          output_per_mtok_usd: '2',
        }),
        200,
      );
      const unknown = expectStatus(
        await getPrice({ key: a.ingest.key }, 'openai', 'ft:my-finetune-v1'),
        200,
      ).body;
      assert.equal(unknown.source, 'customer');
      assert.equal(unknown.model, 'ft:my-finetune-v1');
      assert.equal(unknown.matched_model, '*');
      // 1000 × 1 + 500 × 2 = 2000 micros.
      const tokens = { input_tokens: 1000, output_tokens: 500 };
      const ft = await chargedFor(a, { provider: 'openai', model: 'ft:my-finetune-v1', ...tokens });
      assert.equal(ft.cost_micros, 2000);
      assert.equal(ft.price?.source, 'customer');
      // gpt-4o is in the catalogue: 1000 × 2.5 + 500 × 10 = 7500 micros, not the `*` price.
      const known = await chargedFor(a, { provider: 'openai', model: 'gpt-4o', ...tokens });
      assert.equal(known.cost_micros, 7500);
      assert.equal(known.price?.source, 'catalogue');
      assert.equal(known.price?.catalogue_version, CATALOGUE_VERSION);
      // `*` is per provider: another provider's unknown model stays unknown.
      expectError(
        await getPrice({ key: a.ingest.key }, 'anthropic', 'ft:my-finetune-v1'),
        422,
        'unknown_model',
      );
    });

    it('a model id with "/" is one path segment sent as %2F (a raw "/" is no such route)', async () => {
      const model = 'meta-llama/Llama-3.1-70B-Instruct';
      const put = expectStatus(
        await putPrice({ key: a.admin.key }, 'together', model, {
          input_per_mtok_usd: '0.88',
          output_per_mtok_usd: '0.88',
        }),
        200,
      ).body;
      assert.equal(put.model, model.toLowerCase());
      const got = expectStatus(await getPrice({ key: a.ingest.key }, 'together', model), 200).body;
      assert.equal(got.source, 'customer');
      assert.equal(got.prices.output_per_mtok_usd, '0.88');
      expectError(
        await injectJson(server.app, `/v1/prices/together/${model}`, {
          key: a.admin.key,
          method: 'PUT',
          body: { prices: { input_per_mtok_usd: 1 } },
        }),
        404,
        'not_found',
      );
      expectStatus(await deletePrice({ key: a.admin.key }, 'together', model), 204);
      expectError(await getPrice({ key: a.ingest.key }, 'together', model), 422, 'unknown_model');
    });

    it('the list pages by provider, then model', async () => {
      const all = expectStatus(await listPrices({ key: a.admin.key }), 200).body;
      assert.deepEqual(
        all.data.map((p) => `${p.provider}/${p.model}`),
        ['openai/*', 'openai/gpt-4o-mini'],
      );
      const first = expectStatus(await listPrices({ key: a.admin.key }, '?limit=1'), 200).body;
      assert.equal(first.data.length, 1);
      assert.ok(first.next_cursor);
      const second = expectStatus(
        await listPrices({ key: a.admin.key }, `?limit=1&cursor=${encodeURIComponent(first.next_cursor)}`),
        200,
      ).body;
      assert.deepEqual([...first.data, ...second.data], all.data);
      assert.equal(second.next_cursor, null);
      expectInvalid(await listPrices({ key: a.admin.key }, '?cursor=nonsense'), 'cursor');
    });

    it('another customer sees none of it: the catalogue’s prices, an empty list, and its DELETE touches nothing', async () => {
      const theirs = expectStatus(await getPrice({ key: b.ingest.key }, 'openai', 'gpt-4o-mini'), 200).body;
      assert.equal(theirs.source, 'catalogue');
      expectError(await getPrice({ key: b.ingest.key }, 'openai', 'ft:my-finetune-v1'), 422, 'unknown_model');
      assert.deepEqual(expectStatus(await listPrices({ key: b.admin.key }), 200).body, {
        data: [],
        next_cursor: null,
      });
      assert.equal((await chargedFor(b, MINI)).cost_micros, CATALOGUE_MINI_MICROS);
      expectStatus(await deletePrice({ key: b.admin.key }, 'openai', 'gpt-4o-mini'), 204);
      assert.equal(
        expectStatus(await getPrice({ key: a.ingest.key }, 'openai', 'gpt-4o-mini'), 200).body.source,
        'customer',
      );
    });

    it('DELETE → 204 and the catalogue prices the model again; a second DELETE is 204 too', async () => {
      expectStatus(await deletePrice({ session: a.session }, 'openai', 'gpt-4o-mini'), 204);
      const got = expectStatus(await getPrice({ key: a.ingest.key }, 'openai', 'gpt-4o-mini'), 200).body;
      assert.equal(got.source, 'catalogue');
      assert.equal((await chargedFor(a, MINI)).cost_micros, CATALOGUE_MINI_MICROS);
      expectStatus(await deletePrice({ key: a.admin.key }, 'openai', 'gpt-4o-mini'), 204);
      expectStatus(await deletePrice({ key: a.admin.key }, 'openai', '*'), 204);
      expectError(await getPrice({ key: a.ingest.key }, 'openai', 'ft:my-finetune-v1'), 422, 'unknown_model');
      assert.deepEqual(expectStatus(await listPrices({ key: a.admin.key }), 200).body.data, []);
    });

    it('every change is audited with who, before and after; a DELETE of nothing and refused PUTs are not', async () => {
      const log = expectStatus(
        await injectJson<AuditPage>(server.app, '/v1/audit-log?limit=100', { key: a.admin.key }),
        200,
      ).body.data.filter((e) => e.target_type === 'price');
      const mini = log.filter((e) => e.target_id === 'openai/gpt-4o-mini');
      // Newest first: the delete (by the session), then the one put (by the admin key).
      assert.deepEqual(
        mini.map((e) => [e.action, e.actor_type]),
        [
          ['price.delete', 'user'],
          ['price.put', 'api_key'],
        ],
      );
      const [deleted, put] = mini as [AuditPage['data'][number], AuditPage['data'][number]];
      assert.equal(put.actor_id, a.admin.id);
      assert.equal(put.before, null);
      assert.deepEqual(put.after, {
        provider: 'openai',
        model: 'gpt-4o-mini',
        input_per_mtok_usd: '0.123456789',
        output_per_mtok_usd: '0.4',
        cache_read_per_mtok_usd: '0.025',
        cache_write_per_mtok_usd: null,
      });
      assert.deepEqual(deleted.before, put.after);
      assert.equal(deleted.after, null);
      assert.equal(deleted.actor_id, a.userId);
      assert.deepEqual(log.map((e) => `${e.action} ${e.target_id}`).sort(), [
        'price.delete openai/*',
        'price.delete openai/gpt-4o',
        'price.delete openai/gpt-4o-mini',
        'price.delete together/meta-llama/llama-3.1-70b-instruct',
        'price.put openai/*',
        'price.put openai/gpt-4o',
        'price.put openai/gpt-4o-mini',
        'price.put together/meta-llama/llama-3.1-70b-instruct',
      ]);
      const theirs = expectStatus(
        await injectJson<AuditPage>(server.app, '/v1/audit-log?limit=100', { key: b.admin.key }),
        200,
      ).body.data.filter((e) => e.target_type === 'price');
      assert.deepEqual(theirs, []);
    });

    it('a PUT replacing a price audits the price it replaced', async () => {
      expectStatus(
        await putPrice({ key: a.admin.key }, 'mistral', 'my-model', { input_per_mtok_usd: '1' }),
        200,
      );
      expectStatus(
        await putPrice({ key: a.admin.key }, 'mistral', 'my-model', { input_per_mtok_usd: '1.5' }),
        200,
      );
      const [latest] = expectStatus(
        await injectJson<AuditPage>(server.app, '/v1/audit-log?limit=1', { key: a.admin.key }),
        200,
      ).body.data;
      assert.ok(latest);
      type Audited = { input_per_mtok_usd: string };
      assert.equal(latest.action, 'price.put');
      assert.equal((latest.before as Audited).input_per_mtok_usd, '1');
      assert.equal((latest.after as Audited).input_per_mtok_usd, '1.5');
      expectStatus(await deletePrice({ key: a.admin.key }, 'mistral', 'my-model'), 204);
    });

    it('reservations: an estimate is held, and a commit with usage recorded, at the customer’s price', async () => {
      expectStatus(
        await putPrice({ key: a.admin.key }, 'anthropic', 'claude-sonnet-4-5', {
          input_per_mtok_usd: '2',
          output_per_mtok_usd: '12',
        }),
        200,
      );
      const held = expectStatus(
        await injectJson<{ reservation: { id: string; amount_micros: number } }>(
          server.app,
          '/v1/reservations',
          {
            key: a.ingest.key,
            idempotencyKey: idemKey('rsv'),
            body: {
              agent: 'priced-bot',
              // A dated id: the customer's price of its model applies.
              estimate: {
                provider: 'anthropic',
                model: 'claude-sonnet-4-5-20250929',
                input_tokens: 1000,
                max_output_tokens: 2000,
              },
            },
          },
        ),
        201,
      ).body.reservation;
      // 1000 × 2 + 2000 × 12 = 26,000 micros (the catalogue: 1000 × 3 + 2000 × 15 = 33,000).
      assert.equal(held.amount_micros, 26_000);
      const committed = expectStatus(
        await injectJson<EventCreatedJson>(server.app, `/v1/reservations/${held.id}/commit`, {
          key: a.ingest.key,
          body: {
            usage: {
              provider: 'anthropic',
              model: 'claude-sonnet-4-5-20250929',
              input_tokens: 1000,
              output_tokens: 500,
            },
          },
        }),
        201,
      ).body.event;
      // 1000 × 2 + 500 × 12 = 8,000 micros.
      assert.equal(committed.cost_micros, 8_000);
      assert.equal(committed.price?.source, 'customer');
      assert.equal(committed.price?.catalogue_version, null);
      expectStatus(await deletePrice({ key: a.admin.key }, 'anthropic', 'claude-sonnet-4-5'), 204);
    });

    it('a customer price without an output price refuses output tokens (422), never charging them $0', async () => {
      expectStatus(
        await putPrice({ key: a.admin.key }, 'local', 'my-embedder', { input_per_mtok_usd: '0.01' }),
        200,
      );
      // 1,000,000 × 0.01 = 10,000 micros.
      const embedded = await chargedFor(a, {
        provider: 'local',
        model: 'my-embedder',
        input_tokens: 1_000_000,
      });
      assert.equal(embedded.cost_micros, 10_000);
      const error = expectError(
        await postEvent(
          server.app,
          { key: a.ingest.key },
          {
            agent: 'priced-bot',
            usage: { provider: 'local', model: 'my-embedder', input_tokens: 10, output_tokens: 10 },
          },
        ),
        422,
        'unknown_model',
      );
      assert.match(error.message, /own price has no output price/);
      expectStatus(await deletePrice({ key: a.admin.key }, 'local', 'my-embedder'), 204);
    });
  });
}
