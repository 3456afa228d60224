// GET /v1/agents/{name}/timeseries?by=model (docs/api.md §9), on both stores: each bucket split by the model of its
// usage-priced events (events given a cost under model null), the split summing to the unsplit series, the answer
// without `by` unchanged, one customer never seeing another's, the per-bucket cap, and 400 for an unknown `by`.
// Expected values are computed here from the events as the API returned them (recorded_at, cost_micros, usage).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Static } from 'typebox';
import { MAX_MODELS_PER_BUCKET } from '../../src/agents/timeseries.js';
import type { TimeseriesSchema } from '../../src/schemas/agents.js';
import { startTestServer, type TestServer } from '../harness.js';
import {
  type Auth,
  type CustomerWithKeys,
  createAgent,
  createKey,
  customersWithKeys,
  type EventJson,
  expectError,
  expectInvalid,
  expectStatus,
  injectJson,
  postEvent,
} from './inject.js';

type Timeseries = Static<typeof TimeseriesSchema>;
type Bucket = Timeseries['data'][number];

const WIDTH = { minute: 60_000, hour: 3_600_000, day: 86_400_000 } as const;
type Granularity = keyof typeof WIDTH;

const MINI = {
  provider: 'openai',
  model: 'gpt-4o-mini',
  input_tokens: 1200,
  output_tokens: 350,
  cache_read_tokens: 1000,
};
const MINI_2 = { provider: 'openai', model: 'gpt-4o-mini', input_tokens: 5000, output_tokens: 20 };
const SONNET = {
  provider: 'anthropic',
  model: 'claude-sonnet-4-5-20250929',
  input_tokens: 10_000,
  output_tokens: 1000,
  cache_read_tokens: 5000,
  cache_write_tokens: 3000,
};

// Everything the catalogue prices (checked when the suite was written); 22 of them exceed the cap of 20.
const MANY_MODELS: Array<[string, string]> = [
  ['openai', 'gpt-4o'],
  ['openai', 'gpt-4o-mini'],
  ['openai', 'gpt-4.1'],
  ['openai', 'gpt-4.1-mini'],
  ['openai', 'gpt-4.1-nano'],
  ['openai', 'o1'],
  ['openai', 'o1-mini'],
  ['openai', 'o3'],
  ['openai', 'o3-mini'],
  ['openai', 'o4-mini'],
  ['openai', 'gpt-4o-2024-08-06'],
  ['openai', 'gpt-4o-2024-11-20'],
  ['openai', 'gpt-4o-mini-2024-07-18'],
  ['openai', 'gpt-4.1-2025-04-14'],
  ['openai', 'gpt-4.1-mini-2025-04-14'],
  ['openai', 'gpt-4.1-nano-2025-04-14'],
  ['anthropic', 'claude-3-5-haiku-20241022'],
  ['anthropic', 'claude-3-7-sonnet-20250219'],
  ['anthropic', 'claude-sonnet-4-20250514'],
  ['anthropic', 'claude-opus-4-20250514'],
  ['anthropic', 'claude-sonnet-4-5-20250929'],
  ['anthropic', 'claude-haiku-4-5-20251001'],
];

interface Expected {
  provider: string | null;
  model: string | null;
  spent_micros: number;
  event_count: number;
  input_tokens: number;
  output_tokens: number;
  cache_read_tokens: number;
  cache_write_tokens: number;
}

/** Per bucket start (ms) and per "provider/model" (or "null"), what the accepted events add up to. */
function expectedSplit(events: EventJson[], granularity: Granularity): Map<number, Map<string, Expected>> {
  const width = WIDTH[granularity];
  const out = new Map<number, Map<string, Expected>>();
  for (const e of events) {
    assert.equal(e.status, 'accepted');
    const start = Math.floor(Date.parse(e.recorded_at) / width) * width;
    const models = out.get(start) ?? new Map<string, Expected>();
    out.set(start, models);
    const key = e.usage ? `${e.usage.provider}/${e.usage.model}` : 'null';
    const m = models.get(key) ?? {
      provider: e.usage?.provider ?? null,
      model: e.usage?.model ?? null,
      spent_micros: 0,
      event_count: 0,
      input_tokens: 0,
      output_tokens: 0,
      cache_read_tokens: 0,
      cache_write_tokens: 0,
    };
    models.set(key, m);
    m.spent_micros += e.cost_micros;
    m.event_count += 1;
    m.input_tokens += e.usage?.input_tokens ?? 0;
    m.output_tokens += e.usage?.output_tokens ?? 0;
    m.cache_read_tokens += e.usage?.cache_read_tokens ?? 0;
    m.cache_write_tokens += e.usage?.cache_write_tokens ?? 0;
  }
  return out;
}

const keyOf = (m: { provider: string | null; model: string | null }) =>
  m.provider === null ? 'null' : `${m.provider}/${m.model}`;

/** The bucket's own totals equal its split: listed models plus the folded rest. */
function assertSplitAddsUp(bucket: Bucket, what: string): void {
  const parts = [...(bucket.by_model ?? []), ...(bucket.other_models ? [bucket.other_models] : [])];
  assert.equal(
    parts.reduce((s, p) => s + p.spent_micros, 0),
    bucket.spent_micros,
    `${what}: spend`,
  );
  assert.equal(
    parts.reduce((s, p) => s + p.event_count, 0),
    bucket.event_count,
    `${what}: events`,
  );
}

for (const backend of ['embedded', 'postgres+redis'] as const) {
  describe(`timeseries ?by=model (${backend})`, () => {
    let server: TestServer;
    let c: CustomerWithKeys;
    let other: CustomerWithKeys;
    const mixed: EventJson[] = [];
    before(async () => {
      server = await startTestServer(backend === 'embedded' ? { embedded: true } : {});
      [c, other] = (await customersWithKeys(server.app, 2)) as [CustomerWithKeys, CustomerWithKeys];
      // Room for the accepted events below, not for the last one, which is declined (and so not in the series).
      await createAgent(server.app, c.admin.key, 'mix-bot', { month_micros: 100_000 });
      for (const body of [
        { usage: MINI },
        { usage: SONNET },
        { cost_usd: '0.0123' },
        { usage: MINI_2 },
        { cost_micros: 7 },
      ]) {
        const res = expectStatus(
          await postEvent(server.app, { key: c.ingest.key }, { agent: 'mix-bot', ...body }),
          201,
        );
        mixed.push(res.body.event);
      }
      expectError(
        await postEvent(
          server.app,
          { key: c.ingest.key },
          { agent: 'mix-bot', usage: { ...SONNET, input_tokens: 1_000_000, cache_read_tokens: 0 } },
        ),
        403,
        'budget_exceeded',
      );
      // The other customer: an agent of the same name with another model, which c must never see.
      expectStatus(
        await postEvent(
          server.app,
          { key: other.ingest.key },
          {
            agent: 'mix-bot',
            usage: { provider: 'openai', model: 'gpt-4.1', input_tokens: 999, output_tokens: 9 },
          },
        ),
        201,
      );
    });
    after(() => server.close());

    const series = (auth: Auth, name: string, query: string) =>
      injectJson<Timeseries>(server.app, `/v1/agents/${encodeURIComponent(name)}/timeseries${query}`, auth);

    it('each bucket is split by model, events given a cost under model null, largest spend first', async () => {
      for (const granularity of ['minute', 'hour', 'day'] as const) {
        const res = expectStatus(
          await series({ key: c.admin.key }, 'mix-bot', `?granularity=${granularity}&by=model`),
          200,
          granularity,
        );
        const expected = expectedSplit(mixed, granularity);
        assert.deepEqual(
          res.body.data.map((b) => Date.parse(b.bucket_start)),
          [...expected.keys()].sort((a, b) => a - b),
          granularity,
        );
        for (const bucket of res.body.data) {
          const want = expected.get(Date.parse(bucket.bucket_start));
          assert.ok(want && bucket.by_model, granularity);
          assert.equal(bucket.other_models, null, `${granularity}: every model listed`);
          assert.deepEqual(
            new Map(bucket.by_model.map((m) => [keyOf(m), m])),
            want,
            `${granularity} ${bucket.bucket_start}`,
          );
          for (let i = 1; i < bucket.by_model.length; i++) {
            assert.ok(
              (bucket.by_model[i - 1]?.spent_micros ?? 0) >= (bucket.by_model[i]?.spent_micros ?? 0),
              `${granularity}: ordered by spend`,
            );
          }
          assertSplitAddsUp(bucket, granularity);
        }
        // Over the whole range (one day bucket, unless the events straddled midnight UTC): two models and the
        // cost-given events, the declined event nowhere.
        const models = new Set(res.body.data.flatMap((b) => (b.by_model ?? []).map(keyOf)));
        assert.deepEqual(
          [...models].sort(),
          ['anthropic/claude-sonnet-4-5-20250929', 'null', 'openai/gpt-4o-mini'],
          granularity,
        );
        const unpriced = res.body.data.flatMap((b) => (b.by_model ?? []).filter((m) => m.model === null));
        for (const m of unpriced) {
          assert.equal(m.provider, null);
          assert.deepEqual(
            [m.input_tokens, m.output_tokens, m.cache_read_tokens, m.cache_write_tokens],
            [0, 0, 0, 0],
          );
        }
        assert.equal(
          unpriced.reduce((s, m) => s + m.spent_micros, 0),
          12_300 + 7,
        );
      }
    });

    it('the split sums to the unsplit series, which is unchanged without `by` (no new fields)', async () => {
      for (const granularity of ['minute', 'hour', 'day'] as const) {
        // One `to` for both, so both read the same range.
        const to = new Date(Date.now() + 1000).toISOString();
        const plain = expectStatus(
          await series({ key: c.ingest.key }, 'mix-bot', `?granularity=${granularity}&to=${to}`),
          200,
        );
        const split = expectStatus(
          await series({ key: c.ingest.key }, 'mix-bot', `?granularity=${granularity}&to=${to}&by=model`),
          200,
        );
        for (const bucket of plain.body.data) {
          assert.deepEqual(Object.keys(bucket), ['bucket_start', 'spent_micros', 'event_count']);
        }
        // The bytes of the unsplit answer are the documented shape and nothing more.
        assert.equal(
          plain.text,
          JSON.stringify({
            granularity,
            from: plain.body.from,
            to,
            data: plain.body.data.map((b) => ({
              bucket_start: b.bucket_start,
              spent_micros: b.spent_micros,
              event_count: b.event_count,
            })),
          }),
        );
        assert.deepEqual(
          split.body.data.map(({ by_model: _m, other_models: _o, ...rest }) => rest),
          plain.body.data,
          granularity,
        );
        assert.deepEqual({ ...split.body, data: [] }, { ...plain.body, data: [] });
        const total = mixed.reduce((s, e) => s + e.cost_micros, 0);
        assert.equal(
          split.body.data.reduce((s, b) => s + (b.by_model ?? []).reduce((t, m) => t + m.spent_micros, 0), 0),
          total,
        );
      }
    });

    it('a customer sees only its own agent of that name; a key bound to another agent is 403', async () => {
      const theirs = expectStatus(
        await series({ key: other.admin.key }, 'mix-bot', '?granularity=day&by=model'),
        200,
      ).body;
      const models = theirs.data.flatMap((b) => (b.by_model ?? []).map(keyOf));
      assert.deepEqual([...new Set(models)], ['openai/gpt-4.1']);
      const ours = expectStatus(
        await series({ key: c.admin.key }, 'mix-bot', '?granularity=day&by=model'),
        200,
      ).body;
      assert.ok(!ours.data.some((b) => (b.by_model ?? []).some((m) => m.model === 'gpt-4.1')));
      // An agent only the other customer has is 404 for c, split or not.
      await createAgent(server.app, other.admin.key, 'their-only-bot');
      expectError(await series({ key: c.admin.key }, 'their-only-bot', '?by=model'), 404, 'not_found');
      const bound = await createKey(server.app, c.session, { kind: 'ingest', agent: 'mix-bot' });
      await createAgent(server.app, c.admin.key, 'sibling-bot');
      expectError(await series({ key: bound.key }, 'sibling-bot', '?by=model'), 403, 'forbidden');
      expectStatus(await series({ key: bound.key }, 'mix-bot', '?by=model'), 200);
    });

    it('an unknown `by` is 400 naming the field', async () => {
      for (const by of ['agent', 'MODEL', '', 'model,provider']) {
        expectInvalid(
          await series({ key: c.admin.key }, 'mix-bot', `?by=${encodeURIComponent(by)}`),
          'by',
          /^must be "model"$/,
          `by=${by}`,
        );
      }
      expectInvalid(await series({ key: c.admin.key }, 'mix-bot', '?by=model&by=model'), 'by');
    });

    it(`more than ${MAX_MODELS_PER_BUCKET} models in a bucket: the largest listed, the rest summed in other_models`, async () => {
      const events: EventJson[] = [];
      for (const [i, [provider, model]] of MANY_MODELS.entries()) {
        const res = expectStatus(
          await postEvent(
            server.app,
            { key: c.ingest.key },
            {
              agent: 'zoo-bot',
              usage: { provider, model, input_tokens: 1000 + i * 100, output_tokens: 10 + i },
            },
          ),
          201,
          model,
        );
        events.push(res.body.event);
      }
      assert.ok(MANY_MODELS.length > MAX_MODELS_PER_BUCKET);
      const res = expectStatus(
        await series({ key: c.admin.key }, 'zoo-bot', '?granularity=day&by=model'),
        200,
      );
      const expected = expectedSplit(events, 'day');
      for (const bucket of res.body.data) {
        const want = expected.get(Date.parse(bucket.bucket_start));
        assert.ok(want && bucket.by_model);
        assertSplitAddsUp(bucket, bucket.bucket_start);
        const listed = bucket.by_model;
        assert.equal(listed.length, Math.min(want.size, MAX_MODELS_PER_BUCKET));
        for (const m of listed) assert.deepEqual(m, want.get(keyOf(m)));
        const rest = [...want.entries()]
          .filter(([k]) => !listed.some((m) => keyOf(m) === k))
          .map(([, m]) => m);
        if (rest.length === 0) {
          assert.equal(bucket.other_models, null);
          continue;
        }
        // The folded ones are never larger than the smallest listed one.
        const smallest = Math.min(...listed.map((m) => m.spent_micros));
        assert.ok(rest.every((m) => m.spent_micros <= smallest));
        assert.deepEqual(bucket.other_models, {
          models: rest.length,
          spent_micros: rest.reduce((s, m) => s + m.spent_micros, 0),
          event_count: rest.reduce((s, m) => s + m.event_count, 0),
          input_tokens: rest.reduce((s, m) => s + m.input_tokens, 0),
          output_tokens: rest.reduce((s, m) => s + m.output_tokens, 0),
          cache_read_tokens: rest.reduce((s, m) => s + m.cache_read_tokens, 0),
          cache_write_tokens: rest.reduce((s, m) => s + m.cache_write_tokens, 0),
        });
      }
      // Unless the 22 events straddled midnight UTC, their one bucket is over the cap.
      if (res.body.data.length === 1) assert.notEqual(res.body.data[0]?.other_models, null);
    });
  });
}
