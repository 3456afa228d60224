// One endpoint of the gateway (docs/api.md §12): how its request is estimated and fingerprinted, what is forwarded,
// and how its answer — a JSON body or an SSE stream — tells what the call cost. One file per endpoint.
import type { PromptParts, TokenCount } from '../estimate.js';
import type { SseFrame } from '../sse.js';

export type ProviderName = 'openai' | 'anthropic';

export type Body = Record<string, unknown>;

/** Token counts in Spendguard's terms (docs/api.md §5.1: input counts every input token, cache included). */
export interface TokenCounts {
  input_tokens: number;
  output_tokens: number;
  cache_read_tokens: number;
  cache_write_tokens: number;
}

/** What a provider's answer says about the call: its usage object as sent, the model it ran, its id. */
export interface Reported {
  /** The provider's own usage object (normalised by pricing/raw-usage.ts); null when it sent none. */
  usage: Record<string, unknown> | null;
  model: string | null;
  id: string | null;
}

/** Reads one stream on its way to the client. */
export interface StreamMeter {
  /** Takes one frame; `false` drops it (the usage-only chunk the client did not ask for). */
  read(frame: SseFrame): boolean;
  /** The usage, model and id seen so far; `usage` only once the provider sent its final count. */
  reported(): Reported;
  /**
   * Counts for a stream that stopped before its final usage: what the provider said so far, the rest counted —
   * `promptTokens` the prompt's count, `count` the tokenizer for the generated text.
   */
  partial(promptTokens: number, count: TokenCount): TokenCounts;
}

export interface Endpoint {
  provider: ProviderName;
  /** Appended to the provider's base_url. */
  upstreamPath: string;
  /** The text the model reads, for the estimate (and the count of a cut stream). */
  prompt(body: Body): PromptParts;
  /** The request's own output limit; null: the customer's gateway_default_max_output_tokens. */
  maxOutputTokens(body: Body): number | null;
  /** What a loop repeats (with the model): the fingerprint of docs/api.md §7. */
  fingerprintSource(body: Body): unknown;
  /** A request the gateway cannot meter (refused with 400 before anything is held): the field and why. */
  unmeterable?(body: Body): { field: string; problem: string } | null;
  /** The body sent upstream (streams: usage asked for) and whether the usage chunk is hidden from the client. */
  forward(body: Body): { body: Body; hideUsage: boolean };
  /** A non-streamed answer's usage, model and id. */
  reported(json: Body): Reported;
  meter(hideUsage: boolean): StreamMeter;
}

/** What a stream has reported so far, each field updated by the frame that carries it (null keeps the last). */
export const reportedSoFar = (seen: Reported, now: Reported): Reported => ({
  usage: now.usage ?? seen.usage,
  model: now.model ?? seen.model,
  id: now.id ?? seen.id,
});

export const record = (value: unknown): Body | null =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Body) : null;

export const text = (value: unknown): string | null => (typeof value === 'string' ? value : null);

/** A positive integer limit, else null. */
export const limit = (...values: unknown[]): number | null => {
  for (const v of values) if (Number.isSafeInteger(v) && (v as number) > 0) return v as number;
  return null;
};

/** The usage of a call the provider never reported: the prompt's tokens in, the generated text's tokens out. */
export const countedUsage = (inputTokens: number, generated: string, count: TokenCount): TokenCounts => ({
  input_tokens: inputTokens,
  output_tokens: generated === '' ? 0 : count(generated),
  cache_read_tokens: 0,
  cache_write_tokens: 0,
});
