// The customer's own prices (docs/api.md §14) on the settings page: the wire shapes and the form ↔ PUT body mapping.
// The server checks every price exactly (decimal, ≤ 9 places, ≤ 10000, input or output given) and names the field;
// the form only leaves out what is empty, so what the person typed is what the server judges.

import type { CustomerPrice } from './types';

export interface PriceDraft {
  provider: string;
  model: string;
  input: string;
  output: string;
  cacheRead: string;
  cacheWrite: string;
}

export const EMPTY_PRICE_DRAFT: PriceDraft = {
  provider: '',
  model: '',
  input: '',
  output: '',
  cacheRead: '',
  cacheWrite: '',
};

export function draftFromPrice(price: CustomerPrice): PriceDraft {
  const p = price.prices;
  return {
    provider: price.provider,
    model: price.model,
    input: p.input_per_mtok_usd ?? '',
    output: p.output_per_mtok_usd ?? '',
    cacheRead: p.cache_read_per_mtok_usd ?? '',
    cacheWrite: p.cache_write_per_mtok_usd ?? '',
  };
}

export type PricePut =
  | { ok: true; provider: string; model: string; body: { prices: Record<string, string> } }
  | { ok: false; error: string };

/** The PUT of a draft: provider and model trimmed, each price as typed (trimmed), an empty one left out (= null). */
export function pricePut(draft: PriceDraft): PricePut {
  const provider = draft.provider.trim();
  const model = draft.model.trim();
  if (!provider) return { ok: false, error: 'Provider: required (openai, anthropic, …).' };
  if (!model)
    return { ok: false, error: 'Model: required (a model id, or * for every model the catalogue lacks).' };
  const prices: Record<string, string> = {};
  const fields: Array<[keyof CustomerPrice['prices'], string]> = [
    ['input_per_mtok_usd', draft.input],
    ['output_per_mtok_usd', draft.output],
    ['cache_read_per_mtok_usd', draft.cacheRead],
    ['cache_write_per_mtok_usd', draft.cacheWrite],
  ];
  for (const [field, text] of fields) {
    const value = text.trim();
    if (value) prices[field] = value;
  }
  if (!prices.input_per_mtok_usd && !prices.output_per_mtok_usd) {
    return { ok: false, error: 'Give at least an input or an output price.' };
  }
  return { ok: true, provider, model, body: { prices } };
}

/** A price cell: "$2.5" or "—" (no price of its own: charged at the input price). */
export function priceText(price: string | null): string {
  return price === null ? '—' : `$${price}`;
}
