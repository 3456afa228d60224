// The bundled price catalogue (docs/api.md §5.1, §14): @pydantic/genai-prices, pinned, read from its own bundled data
// — its remote update (updatePrices) is never called, so prices never come from the network at run time. The
// library finds the model (its match rules, dated snapshot ids, price changes by date); its float arithmetic
// (calcPrice's total_price) is not used: the prices are read back as exact decimals (exact-price.ts).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { calcPrice, type ModelPrice } from '@pydantic/genai-prices';
import { type NanoMicros, priceFromDecimal } from './exact-price.js';

/** One token class's price: `base`, or a tier's price when the request's whole input is above its `above`. */
export interface TokenPrice {
  base: NanoMicros;
  tiers: Array<{ above: number; price: NanoMicros }>;
}

/** A model's prices per token class; null = the model has no separate price for that class. */
export interface ModelPrices {
  input: TokenPrice | null;
  output: TokenPrice | null;
  cacheRead: TokenPrice | null;
  cacheWrite: TokenPrice | null;
}

export interface CatalogueEntry {
  provider: string;
  /** The catalogue's id of the model the name matched (a dated snapshot id resolves to its model). */
  model: string;
  prices: ModelPrices;
}

function packageVersion(): string {
  const entry = createRequire(import.meta.url).resolve('@pydantic/genai-prices');
  const manifest = JSON.parse(readFileSync(join(dirname(entry), '..', 'package.json'), 'utf8')) as {
    version: string;
  };
  return manifest.version;
}

/** Which catalogue priced an event: recorded with it (`price.catalogue_version`). */
export const CATALOGUE_VERSION = `genai-prices@${packageVersion()}`;

/** Thrown at lookup when a catalogue price cannot be read exactly (a test reads every OpenAI/Anthropic price). */
export class CataloguePriceError extends Error {}

function tokenPrice(prices: ModelPrice, key: string): TokenPrice | null {
  const raw = prices[key];
  if (raw === undefined) return null;
  const exact = (value: number) => {
    const price = priceFromDecimal(value);
    if (price === null)
      throw new CataloguePriceError(`the catalogue price ${key} = ${value} is not an exact decimal`);
    return price;
  };
  if (typeof raw === 'number') return { base: exact(raw), tiers: [] };
  return {
    base: exact(raw.base),
    tiers: [...raw.tiers]
      .sort((a, b) => a.start - b.start)
      .map((t) => ({ above: t.start, price: exact(t.price) })),
  };
}

type Found = ReturnType<typeof calcPrice>;

const MINUTE_MS = 60_000;
const MAX_REMEMBERED = 10_000;
const remembered = new Map<string, { minute: number; found: Found }>();

/**
 * The library's answer for `model` at `provider` at `at`. Finding the model walks the whole catalogue's match rules —
 * about a tenth of a gateway call's CPU, and a call asks up to four times — so the answer is remembered. It depends on
 * time only through the catalogue's price periods, which begin on whole UTC minutes (start dates, and times of day such
 * as 16:30:00Z; pricing.test.ts checks the bundled data), so one answer per (provider, model, UTC minute) is exact.
 */
function lookup(provider: string, model: string, at: Date): Found {
  const minute = Math.floor(at.getTime() / MINUTE_MS);
  const key = `${provider}\u0000${model}`;
  const hit = remembered.get(key);
  if (hit && hit.minute === minute) return hit.found;
  const found = calcPrice({ input_tokens: 0, output_tokens: 0 }, model, {
    providerId: provider,
    timestamp: at,
  });
  // Model names come from requests: the memory is bounded, and starts over when full.
  if (remembered.size >= MAX_REMEMBERED) remembered.clear();
  remembered.set(key, { minute, found });
  return found;
}

/** The catalogue's prices of `model` at `provider` in force at `at`, or null when the catalogue does not know it. */
export function cataloguePrices(provider: string, model: string, at: Date): CatalogueEntry | null {
  const found = lookup(provider, model, at);
  if (!found) return null;
  const p = found.model_price;
  return {
    provider: found.provider.id,
    model: found.model.id,
    prices: {
      input: tokenPrice(p, 'input_mtok'),
      output: tokenPrice(p, 'output_mtok'),
      cacheRead: tokenPrice(p, 'cache_read_mtok'),
      // The 5-minute cache write; one-hour writes (cache_write_1h_mtok) need a token class the usage does not have yet.
      cacheWrite: tokenPrice(p, 'cache_write_mtok'),
    },
  };
}

/**
 * The model's context window in tokens, when the catalogue knows it: no call can generate more, so a gateway estimate's
 * output is capped there (docs/api.md §12) — the catalogue carries no separate output limit.
 */
export function catalogueContextWindow(provider: string, model: string, at: Date): number | null {
  const found = lookup(provider, model, at);
  const window = found?.model.context_window;
  return typeof window === 'number' && Number.isSafeInteger(window) && window > 0 ? window : null;
}
