// Cost from usage (issue 14, docs/api.md §5.1): the catalogue's prices read exactly, the providers' usage objects
// normalised, and the cost in integer micros. Every expected value below is worked out by hand from the providers'
// published prices (USD per million tokens = micros per token), written next to it — not produced by the code.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import { findProvider, type ModelInfo } from '@pydantic/genai-prices';
import { CATALOGUE_VERSION, cataloguePrices } from '../../src/pricing/catalogue.js';
import { costMicros, priceFromDecimal, priceToDecimal } from '../../src/pricing/exact-price.js';
import { priceUsage, type TokenUsage } from '../../src/pricing/price-usage.js';
import { normaliseRawUsage } from '../../src/pricing/raw-usage.js';

const AT = new Date('2026-12-02T00:00:00Z');

function cost(provider: string, model: string, usage: Partial<TokenUsage>) {
  const entry = cataloguePrices(provider, model, AT);
  assert.ok(entry, `${provider}/${model} is not in the catalogue`);
  return priceUsage(
    { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, ...usage },
    entry.prices,
  );
}

// [provider, model, usage (input counts every input token, cache included), expected micros, the working]
const TABLE: Array<[string, string, Partial<TokenUsage>, number, string]> = [
  ['openai', 'gpt-4o', { inputTokens: 1000, outputTokens: 500 }, 7500, '1000×2.5 + 500×10'],
  [
    'openai',
    'gpt-4o',
    { inputTokens: 1000, cacheReadTokens: 400, outputTokens: 100 },
    3000,
    '600×2.5 + 400×1.25 + 100×10',
  ],
  ['openai', 'gpt-4o-2024-08-06', { inputTokens: 1000, outputTokens: 500 }, 7500, 'dated snapshot = gpt-4o'],
  [
    'openai',
    'gpt-4o',
    { inputTokens: 100, cacheWriteTokens: 100 },
    250,
    'no cache-write price: 100×2.5 as input',
  ],
  [
    'openai',
    'gpt-4o-mini',
    { inputTokens: 1200, cacheReadTokens: 1000, outputTokens: 350 },
    315,
    '200×0.15 + 1000×0.075 + 350×0.6',
  ],
  [
    'openai',
    'gpt-4o-mini-2024-07-18',
    { inputTokens: 1200, cacheReadTokens: 1000, outputTokens: 350 },
    315,
    'snapshot',
  ],
  ['openai', 'gpt-4o-mini', { inputTokens: 1 }, 0, '0.15 rounds down'],
  ['openai', 'gpt-4o-mini', { inputTokens: 3 }, 0, '0.45 rounds down'],
  ['openai', 'gpt-4o-mini', { inputTokens: 7 }, 1, '1.05'],
  ['openai', 'gpt-4o-mini', { inputTokens: 10 }, 2, '1.5: half rounds up'],
  ['openai', 'gpt-4o-mini', { inputTokens: 1, cacheReadTokens: 1 }, 0, '1×0.075'],
  ['openai', 'gpt-4.1-nano', { inputTokens: 20, cacheReadTokens: 20 }, 1, '20×0.025 = 0.5: half up'],
  ['openai', 'gpt-4.1-nano', { inputTokens: 5 }, 1, '5×0.1 = 0.5'],
  [
    'openai',
    'gpt-4.1-nano',
    { inputTokens: 1, outputTokens: 1 },
    1,
    '0.1 + 0.4 = 0.5: summed, then rounded once',
  ],
  [
    'openai',
    'gpt-4.1',
    { inputTokens: 10_000, cacheReadTokens: 8000, outputTokens: 2000 },
    24_000,
    '2000×2 + 8000×0.5 + 2000×8',
  ],
  [
    'openai',
    'gpt-4.1-2025-04-14',
    { inputTokens: 10_000, cacheReadTokens: 8000, outputTokens: 2000 },
    24_000,
    'snapshot',
  ],
  ['openai', 'gpt-4.1-mini', { inputTokens: 1_000_000, outputTokens: 1_000_000 }, 2_000_000, '0.4 + 1.6 USD'],
  [
    'openai',
    'o3',
    { inputTokens: 5000, outputTokens: 12_000 },
    106_000,
    '5000×2 + 12000×8 (reasoning is output)',
  ],
  ['openai', 'o4-mini', { inputTokens: 3, outputTokens: 2 }, 12, '3.3 + 8.8 = 12.1'],
  ['openai', 'o4-mini', { inputTokens: 1000, cacheReadTokens: 1000 }, 275, '1000×0.275'],
  [
    'openai',
    'o1',
    { inputTokens: 100, cacheReadTokens: 50, outputTokens: 10 },
    1725,
    '50×15 + 50×7.5 + 10×60',
  ],
  ['openai', 'text-embedding-3-small', { inputTokens: 8191 }, 164, '163.82'],
  ['openai', 'text-embedding-3-large', { inputTokens: 8191 }, 1065, '1064.83'],
  [
    'anthropic',
    'claude-sonnet-4-5',
    { inputTokens: 10_000, cacheReadTokens: 5000, cacheWriteTokens: 3000, outputTokens: 1000 },
    33_750,
    '2000×3 + 5000×0.3 + 3000×3.75 + 1000×15',
  ],
  [
    'anthropic',
    'claude-sonnet-4-5-20250929',
    { inputTokens: 10_000, cacheReadTokens: 5000, cacheWriteTokens: 3000, outputTokens: 1000 },
    33_750,
    'dated id',
  ],
  [
    'anthropic',
    'claude-sonnet-4-5',
    { inputTokens: 200_000, outputTokens: 1000 },
    615_000,
    'at 200k, not above: 200000×3 + 1000×15',
  ],
  [
    'anthropic',
    'claude-sonnet-4-5',
    { inputTokens: 200_001, outputTokens: 1000 },
    1_222_506,
    'above 200k, all at the tier: 200001×6 + 1000×22.5',
  ],
  [
    'anthropic',
    'claude-sonnet-4-5',
    { inputTokens: 250_000, cacheReadTokens: 200_000, cacheWriteTokens: 10_000, outputTokens: 2000 },
    480_000,
    'tier from the whole input, cache included: 40000×6 + 200000×0.6 + 10000×7.5 + 2000×22.5',
  ],
  ['anthropic', 'claude-haiku-4-5', { inputTokens: 1, cacheWriteTokens: 1 }, 1, '1.25'],
  ['anthropic', 'claude-haiku-4-5', { inputTokens: 2, cacheWriteTokens: 2 }, 3, '2.5: half up'],
  ['anthropic', 'claude-haiku-4-5', { inputTokens: 5, cacheReadTokens: 5 }, 1, '5×0.1 = 0.5'],
  [
    'anthropic',
    'claude-opus-4-1-20250805',
    { inputTokens: 1000, cacheWriteTokens: 1000, outputTokens: 500 },
    56_250,
    '1000×18.75 + 500×75',
  ],
  [
    'anthropic',
    'claude-3-5-haiku-20241022',
    { inputTokens: 12_345, outputTokens: 678 },
    12_588,
    '12345×0.8 + 678×4',
  ],
  [
    'anthropic',
    'claude-opus-4-5',
    { inputTokens: 33, cacheReadTokens: 11, outputTokens: 7 },
    291,
    '22×5 + 11×0.5 + 7×25 = 290.5',
  ],
  ['anthropic', 'claude-3-5-sonnet-20241022', { outputTokens: 1 }, 15, '1×15'],
  ['openai', 'gpt-4o', {}, 0, 'no tokens, no cost'],
];

describe('pricing table (hand-computed from published prices)', () => {
  it(`has at least 30 cases across OpenAI and Anthropic (${TABLE.length})`, () => {
    assert.ok(TABLE.length >= 30);
    assert.ok(TABLE.some((c) => c[0] === 'openai') && TABLE.some((c) => c[0] === 'anthropic'));
  });
  for (const [provider, model, usage, expected, working] of TABLE) {
    it(`${provider}/${model} ${JSON.stringify(usage)} = ${expected} µ$ (${working})`, () => {
      const priced = cost(provider, model, usage);
      assert.ok(priced.ok, priced.ok ? '' : priced.problem);
      assert.equal(priced.costMicros, expected);
    });
  }

  it('refuses what cannot be priced instead of counting $0', () => {
    assert.deepEqual(cost('openai', 'text-embedding-3-small', { inputTokens: 10, outputTokens: 1 }), {
      ok: false,
      problem: 'no_output_price',
    });
    assert.deepEqual(cost('openai', 'gpt-4o', { inputTokens: 10, cacheReadTokens: 8, cacheWriteTokens: 3 }), {
      ok: false,
      problem: 'cache_exceeds_input',
    });
    assert.equal(cataloguePrices('openai', 'gpt-nonexistent', AT), null);
    assert.equal(cataloguePrices('anthropic', 'gpt-4o', AT), null, 'a model of another provider');
    assert.equal(cataloguePrices('nobody', 'gpt-4o', AT), null);
  });

  it('names the catalogue and the prices it used', () => {
    assert.equal(CATALOGUE_VERSION, 'genai-prices@0.1.8');
    const priced = cost('anthropic', 'claude-sonnet-4-5', { inputTokens: 200_001, outputTokens: 1 });
    assert.ok(priced.ok);
    assert.deepEqual(
      Object.fromEntries(
        Object.entries(priced.applied).map(([k, v]) => [k, v === null ? null : priceToDecimal(v)]),
      ),
      { input: '6', output: '22.5', cacheRead: '0.6', cacheWrite: '7.5' },
    );
  });
});

describe('the providers’ own usage objects', () => {
  const priced = (provider: string, model: string, raw: unknown) => {
    const normal = normaliseRawUsage(provider, raw);
    assert.ok(normal.ok, JSON.stringify(normal));
    const entry = cataloguePrices(provider, model, AT);
    assert.ok(entry);
    const result = priceUsage(normal.usage, entry.prices);
    assert.ok(result.ok);
    return { usage: normal.usage, micros: result.costMicros };
  };

  it('OpenAI chat completions: prompt_tokens include the cached ones; reasoning is inside completion_tokens', () => {
    const r = priced('openai', 'gpt-4o-mini', {
      prompt_tokens: 1200,
      completion_tokens: 350,
      total_tokens: 1550,
      prompt_tokens_details: { cached_tokens: 1000, audio_tokens: 0 },
      completion_tokens_details: { reasoning_tokens: 200, audio_tokens: 0 },
    });
    assert.deepEqual(r.usage, {
      inputTokens: 1200,
      cacheReadTokens: 1000,
      cacheWriteTokens: 0,
      outputTokens: 350,
    });
    assert.equal(r.micros, 315, '200×0.15 + 1000×0.075 + 350×0.6 — cached counted once, reasoning once');
  });

  it('OpenAI responses: input_tokens include the cached ones', () => {
    const r = priced('openai', 'gpt-4o-mini', {
      input_tokens: 1200,
      input_tokens_details: { cached_tokens: 1000 },
      output_tokens: 350,
      output_tokens_details: { reasoning_tokens: 100 },
      total_tokens: 1550,
    });
    assert.equal(r.micros, 315);
  });

  it('Anthropic: input_tokens exclude cache reads and writes, which add to the input (and to the tier)', () => {
    const r = priced('anthropic', 'claude-sonnet-4-5', {
      input_tokens: 2000,
      cache_read_input_tokens: 5000,
      cache_creation_input_tokens: 3000,
      output_tokens: 1000,
    });
    assert.deepEqual(r.usage, {
      inputTokens: 10_000,
      cacheReadTokens: 5000,
      cacheWriteTokens: 3000,
      outputTokens: 1000,
    });
    assert.equal(r.micros, 33_750);
    // 150k uncached + 60k read = 210k input: above the 200k tier, which leaving the cache out would miss.
    const long = priced('anthropic', 'claude-sonnet-4-5', {
      input_tokens: 150_000,
      cache_read_input_tokens: 60_000,
    });
    assert.equal(long.micros, 936_000, '150000×6 + 60000×0.6');
  });

  it('a usage object that is not one is refused, naming the field', () => {
    assert.deepEqual(normaliseRawUsage('openai', { prompt_tokens: -1 }), {
      ok: false,
      problem: 'prompt_tokens must be a non-negative integer',
    });
    assert.equal(normaliseRawUsage('openai', { prompt_tokens: '12' }).ok, false);
    assert.equal(normaliseRawUsage('anthropic', { output_tokens: 5 }).ok, false, 'input_tokens missing');
    assert.equal(normaliseRawUsage('anthropic', [1, 2]).ok, false);
    assert.equal(normaliseRawUsage('mistral', { input_tokens: 1 }).ok, false);
  });
});

describe('exact prices', () => {
  it('reads decimals exactly, in nano-micros per token, and refuses what it cannot hold exactly', () => {
    assert.equal(priceFromDecimal('0.075'), 75_000_000n);
    assert.equal(priceFromDecimal(0.075), 75_000_000n, 'the double 0.075 reads back as the decimal 0.075');
    assert.equal(priceFromDecimal(1e-7), 100n);
    assert.equal(priceFromDecimal('22.5'), 22_500_000_000n);
    assert.equal(priceFromDecimal('1e3'), 1_000_000_000_000n);
    assert.equal(priceFromDecimal(0.1 + 0.2), null, '0.30000000000000004 has more digits than a price holds');
    assert.equal(priceFromDecimal('0.0000000001'), null);
    assert.equal(priceFromDecimal(-1), null);
    assert.equal(priceFromDecimal('abc'), null);
    assert.equal(priceToDecimal(priceFromDecimal('0.275') as bigint), '0.275');
    assert.equal(priceToDecimal(priceFromDecimal('3') as bigint), '3');
  });

  it('sums before it rounds, half up, once', () => {
    const half = priceFromDecimal('0.5') as bigint;
    assert.equal(costMicros([{ tokens: 1, price: half }]), 1);
    assert.equal(costMicros([{ tokens: 1, price: priceFromDecimal('0.25') as bigint }]), 0);
    assert.equal(
      costMicros([
        { tokens: 1, price: priceFromDecimal('0.25') as bigint },
        { tokens: 1, price: priceFromDecimal('0.25') as bigint },
      ]),
      1,
      '0.25 + 0.25 = 0.5 rounds up; rounding each line would give 0',
    );
    // 10^9 tokens at 1,000 USD per million: far past 2^53 nano-micros, still exact.
    assert.equal(costMicros([{ tokens: 1_000_000_000, price: priceFromDecimal('1000') as bigint }]), 1e12);
  });

  it('the catalogue remembers one answer per UTC minute: every price period of the bundled data starts on a whole minute', () => {
    // catalogue.ts keeps the library's answer per (provider, model, minute); exact only while this holds.
    const bundled = readFileSync(createRequire(import.meta.url).resolve('@pydantic/genai-prices'), 'utf8');
    const times = [...bundled.matchAll(/(?:start|end)_time:\s*"([^"]*)"/g)].map((m) => m[1]);
    const dates = [...bundled.matchAll(/start_date:\s*"([^"]*)"/g)].map((m) => m[1]);
    assert.ok(times.length > 0 && dates.length > 0, 'the scan found the constraints');
    for (const t of times) assert.match(t ?? '', /^\d\d:\d\d:00Z$/, `time of day ${t}`);
    for (const d of dates) assert.match(d ?? '', /^\d{4}-\d\d-\d\d$/, `start date ${d}`);
  });

  it('a remembered answer never outlives its minute: DeepSeek off-peak prices start at 16:30:00Z', () => {
    // deepseek-chat: 0.27 USD/M input from 00:30 to 16:30 UTC, 0.135 off-peak (DeepSeek's published discount).
    const input = (at: string) =>
      cataloguePrices('deepseek', 'deepseek-chat', new Date(at))?.prices.input?.base;
    assert.equal(input('2026-12-02T16:29:00Z'), priceFromDecimal('0.27'));
    assert.equal(input('2026-12-02T16:29:59.999Z'), priceFromDecimal('0.27'), 'same minute: remembered');
    assert.equal(input('2026-12-02T16:30:00Z'), priceFromDecimal('0.135'), 'next minute: looked up again');
    assert.equal(input('2026-12-02T16:29:30Z'), priceFromDecimal('0.27'), 'an earlier minute again');
  });

  it('every OpenAI and Anthropic price in the catalogue is an exact decimal', () => {
    let read = 0;
    for (const id of ['openai', 'anthropic']) {
      const provider = findProvider({ providerId: id });
      assert.ok(provider);
      const priceSets = (m: ModelInfo) =>
        Array.isArray(m.prices) ? m.prices.map((c) => c.prices) : [m.prices];
      for (const model of provider.models) {
        for (const set of priceSets(model)) {
          for (const [key, value] of Object.entries(set)) {
            const numbers =
              typeof value === 'number'
                ? [value]
                : value
                  ? [value.base, ...value.tiers.map((t) => t.price)]
                  : [];
            for (const n of numbers) {
              assert.notEqual(priceFromDecimal(n), null, `${id}/${model.id} ${key} = ${n}`);
              read += 1;
            }
          }
        }
      }
    }
    assert.ok(read > 200, `only ${read} prices read`);
  });
});
