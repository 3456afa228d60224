// A call's cost from its token usage (docs/api.md §5.1): uncached input, cache reads, cache writes and output, each
// at its price — a class without a price of its own at the uncached input price — with a tier's price for every
// class when the request's whole input is above the tier's start (Anthropic's long-context pricing: the whole request
// at the higher rate), summed exactly and rounded half-up once.
import type { ModelPrices, TokenPrice } from './catalogue.js';
import { costMicros, type NanoMicros } from './exact-price.js';

/** Usage as Spendguard speaks it: input_tokens counts every input token, cache reads and writes included. */
export interface TokenUsage {
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
}

/** The price each class was charged at (null: no tokens of it and no price), for the event's `price`. */
export interface AppliedPrices {
  input: NanoMicros | null;
  output: NanoMicros | null;
  cacheRead: NanoMicros | null;
  cacheWrite: NanoMicros | null;
}

export type Priced =
  | { ok: true; costMicros: number; applied: AppliedPrices }
  | { ok: false; problem: 'cache_exceeds_input' | 'no_input_price' | 'no_output_price' };

function at(price: TokenPrice, totalInput: number): NanoMicros {
  let chosen = price.base;
  for (const tier of price.tiers) if (totalInput > tier.above) chosen = tier.price;
  return chosen;
}

export function priceUsage(usage: TokenUsage, prices: ModelPrices): Priced {
  const uncached = usage.inputTokens - usage.cacheReadTokens - usage.cacheWriteTokens;
  if (uncached < 0) return { ok: false, problem: 'cache_exceeds_input' };
  const total = usage.inputTokens;
  const input = prices.input ? at(prices.input, total) : null;
  const needsInput =
    uncached > 0 ||
    (usage.cacheReadTokens > 0 && !prices.cacheRead) ||
    (usage.cacheWriteTokens > 0 && !prices.cacheWrite);
  if (input === null && needsInput) return { ok: false, problem: 'no_input_price' };
  const output = prices.output ? at(prices.output, total) : null;
  if (output === null && usage.outputTokens > 0) return { ok: false, problem: 'no_output_price' };
  const cacheRead = prices.cacheRead ? at(prices.cacheRead, total) : input;
  const cacheWrite = prices.cacheWrite ? at(prices.cacheWrite, total) : input;
  const zero = 0n;
  return {
    ok: true,
    costMicros: costMicros([
      { tokens: uncached, price: input ?? zero },
      { tokens: usage.cacheReadTokens, price: cacheRead ?? zero },
      { tokens: usage.cacheWriteTokens, price: cacheWrite ?? zero },
      { tokens: usage.outputTokens, price: output ?? zero },
    ]),
    applied: { input, output, cacheRead, cacheWrite },
  };
}
