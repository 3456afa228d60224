// An event's `usage` (docs/api.md §5.1) → its cost in micros and what the event records about it: the normalised
// usage and the price it used. Unknown model → 422 unknown_model: never $0, which would defeat every limit.
// costOfUsage is the pure core (a usage at given prices); costOfUsageFor adds the one lookup of the customer's prices
// and the catalogue (pricing/customer-prices.ts) that every usage-priced request goes through.
import type { Queryable } from '../db/types.js';
import { invalidRequest } from '../http/errors.js';
import { pricesFor, type ResolvedPrices, unknownModel } from './customer-prices.js';
import { priceToDecimal } from './exact-price.js';
import { priceUsage, type TokenUsage } from './price-usage.js';
import { normaliseRawUsage } from './raw-usage.js';

/** The `usage` field of a request, as the schema let it through. */
export interface UsageInput {
  provider: string;
  model: string;
  input_tokens?: number | undefined;
  output_tokens?: number | undefined;
  cache_read_tokens?: number | undefined;
  cache_write_tokens?: number | undefined;
  raw?: Record<string, unknown> | undefined;
}

/** A reservation's `estimate` (docs/api.md §6), as the schema let it through. */
export interface EstimateInput {
  provider: string;
  model: string;
  input_tokens: number;
  max_output_tokens: number;
}

export interface UsageJson {
  provider: string;
  model: string;
  input_tokens: number;
  output_tokens: number;
  cache_read_tokens: number;
  cache_write_tokens: number;
}

export interface PriceJson {
  source: 'catalogue' | 'customer';
  /** null for the customer's own price. */
  catalogue_version: string | null;
  input_per_mtok_usd: string | null;
  output_per_mtok_usd: string | null;
  cache_read_per_mtok_usd: string | null;
  cache_write_per_mtok_usd: string | null;
}

export interface UsageCost {
  costMicros: number;
  /** Stored with the event (events.pricing) and returned by the API. */
  pricing: { usage: UsageJson; price: PriceJson };
}

const TOKEN_FIELDS = ['input_tokens', 'output_tokens', 'cache_read_tokens', 'cache_write_tokens'] as const;

function tokenUsage(input: UsageInput, field: string): TokenUsage {
  const given = TOKEN_FIELDS.some((f) => input[f] !== undefined);
  if (input.raw !== undefined) {
    if (given)
      throw invalidRequest([
        { field: `${field}.raw`, problem: 'give either raw or the token counts, not both' },
      ]);
    const normal = normaliseRawUsage(input.provider.toLowerCase(), input.raw);
    if (!normal.ok) throw invalidRequest([{ field: `${field}.raw`, problem: normal.problem }]);
    return normal.usage;
  }
  if (!given)
    throw invalidRequest([
      { field, problem: 'give the token counts (input_tokens, output_tokens, …) or raw' },
    ]);
  return {
    inputTokens: input.input_tokens ?? 0,
    outputTokens: input.output_tokens ?? 0,
    cacheReadTokens: input.cache_read_tokens ?? 0,
    cacheWriteTokens: input.cache_write_tokens ?? 0,
  };
}

const decimal = (p: bigint | null) => (p === null ? null : priceToDecimal(p));

function costAt(
  input: UsageInput,
  usage: TokenUsage,
  resolved: ResolvedPrices | null,
  field: string,
): UsageCost {
  if (!resolved) throw unknownModel(input.provider, input.model);
  const priced = priceUsage(usage, resolved.prices);
  if (!priced.ok) {
    if (priced.problem === 'cache_exceeds_input') {
      throw invalidRequest([
        {
          field: `${field}.input_tokens`,
          problem: 'counts every input token: it must be at least cache_read_tokens + cache_write_tokens',
        },
      ]);
    }
    const whose = resolved.source === 'customer' ? 'Your own price' : 'The catalogue';
    throw unknownModel(
      input.provider,
      input.model,
      `${whose} has no ${priced.problem === 'no_output_price' ? 'output' : 'input'} price for ${input.provider} model ${input.model}; nothing was counted.`,
    );
  }
  return {
    costMicros: priced.costMicros,
    pricing: {
      usage: {
        provider: input.provider,
        model: input.model,
        input_tokens: usage.inputTokens,
        output_tokens: usage.outputTokens,
        cache_read_tokens: usage.cacheReadTokens,
        cache_write_tokens: usage.cacheWriteTokens,
      },
      price: {
        source: resolved.source,
        catalogue_version: resolved.catalogueVersion,
        input_per_mtok_usd: decimal(priced.applied.input),
        output_per_mtok_usd: decimal(priced.applied.output),
        cache_read_per_mtok_usd: decimal(priced.applied.cacheRead),
        cache_write_per_mtok_usd: decimal(priced.applied.cacheWrite),
      },
    },
  };
}

/**
 * The cost of a usage at `resolved` prices (null: nobody prices the model → 422 unknown_model). Pure. `field`: where
 * the usage sits in the request ("usage"), for error details.
 */
export function costOfUsage(input: UsageInput, resolved: ResolvedPrices | null, field = 'usage'): UsageCost {
  return costAt(input, tokenUsage(input, field), resolved, field);
}

/**
 * The cost of a usage for this customer at `at`: its own price of the model, else the catalogue's, else its `*` price
 * of the provider (pricesFor: one indexed read). A malformed usage is a 400 before anything is read.
 */
export async function costOfUsageFor(
  q: Queryable,
  customerId: string,
  input: UsageInput,
  at: number,
  field = 'usage',
): Promise<UsageCost> {
  const usage = tokenUsage(input, field);
  const resolved = await pricesFor(q, customerId, input.provider, input.model, new Date(at));
  return costAt(input, usage, resolved, field);
}

/**
 * What an estimate holds (docs/api.md §6): the call at its largest — `max_output_tokens` generated, every input token
 * uncached — priced as a usage is. A reservation's `estimate` and every LLM gateway call (§12) are priced here.
 */
export function costOfEstimateFor(
  q: Queryable,
  customerId: string,
  estimate: EstimateInput,
  at: number,
): Promise<UsageCost> {
  return costOfUsageFor(
    q,
    customerId,
    {
      provider: estimate.provider,
      model: estimate.model,
      input_tokens: estimate.input_tokens,
      output_tokens: estimate.max_output_tokens,
    },
    at,
    'estimate',
  );
}

/** `usage` and `price` of an event priced from usage (docs/api.md §5.1); nothing for one whose client gave the cost. */
export function pricingJson(pricing: unknown): Partial<UsageCost['pricing']> {
  const p = (typeof pricing === 'string' ? JSON.parse(pricing) : pricing) as UsageCost['pricing'] | null;
  return p ? { usage: p.usage, price: p.price } : {};
}
