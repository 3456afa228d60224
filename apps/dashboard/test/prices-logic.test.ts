// The settings page's price form (lib/prices.ts): what it sends for what a person typed, and what it refuses to send.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pricePath } from '../src/lib/api';
import { draftFromPrice, EMPTY_PRICE_DRAFT, pricePut, priceText } from '../src/lib/prices';

test('a draft becomes the PUT path and body: trimmed, empty prices left out (null on the server)', () => {
  const put = pricePut({
    ...EMPTY_PRICE_DRAFT,
    provider: ' openai ',
    model: 'gpt-4o',
    input: ' 2.5 ',
    output: '10',
  });
  assert.deepEqual(put, {
    ok: true,
    provider: 'openai',
    model: 'gpt-4o',
    body: { prices: { input_per_mtok_usd: '2.5', output_per_mtok_usd: '10' } },
  });
  // Prices go as typed: the server judges them exactly (and names the field when it refuses one).
  const odd = pricePut({ ...EMPTY_PRICE_DRAFT, provider: 'x', model: 'y', output: '1e-3' });
  assert.equal(odd.ok && odd.body.prices.output_per_mtok_usd, '1e-3');
});

test('nothing is sent without a provider, a model, or an input or output price', () => {
  assert.equal(pricePut({ ...EMPTY_PRICE_DRAFT, model: 'm', input: '1' }).ok, false);
  assert.equal(pricePut({ ...EMPTY_PRICE_DRAFT, provider: 'p', input: '1' }).ok, false);
  const noPrice = pricePut({ ...EMPTY_PRICE_DRAFT, provider: 'p', model: 'm', cacheRead: '1' });
  assert.deepEqual(noPrice, { ok: false, error: 'Give at least an input or an output price.' });
});

test('editing a stored price fills the form with it; null prices are empty fields and "—" in the table', () => {
  const stored = {
    provider: 'openai',
    model: '*',
    prices: {
      input_per_mtok_usd: '1',
      output_per_mtok_usd: '2',
      cache_read_per_mtok_usd: null,
      cache_write_per_mtok_usd: null,
    },
    updated_at: '2026-12-02T00:00:00.000Z',
  };
  const draft = draftFromPrice(stored);
  assert.deepEqual(draft, {
    provider: 'openai',
    model: '*',
    input: '1',
    output: '2',
    cacheRead: '',
    cacheWrite: '',
  });
  assert.deepEqual(pricePut(draft), {
    ok: true,
    provider: 'openai',
    model: '*',
    body: { prices: { input_per_mtok_usd: '1', output_per_mtok_usd: '2' } },
  });
  assert.equal(priceText(null), '—');
  assert.equal(priceText('0.075'), '$0.075');
});

test('a "/" in a model id is one path segment (%2F); "*" stays readable', () => {
  assert.equal(
    pricePath('together', 'meta-llama/Llama-3.1-70B'),
    '/v1/prices/together/meta-llama%2FLlama-3.1-70B',
  );
  assert.equal(pricePath('openai', '*'), '/v1/prices/openai/*');
});
