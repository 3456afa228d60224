// The providers' own usage objects, as their APIs return them, normalised to Spendguard's TokenUsage (docs/api.md
// §5.1) — where the field goes wrong most: OpenAI's prompt_tokens / input_tokens already include the cached tokens,
// Anthropic's input_tokens excludes both cache reads and cache writes; reasoning tokens are part of the output on
// both, never added again.
import type { TokenUsage } from './price-usage.js';

export type RawUsageResult = { ok: true; usage: TokenUsage } | { ok: false; problem: string };

type Raw = Record<string, unknown>;

const count = (v: unknown): number | null =>
  Number.isSafeInteger(v) && (v as number) >= 0 ? (v as number) : null;

/** An optional count: absent (or null, as OpenAI sends for some details) is 0. */
const optional = (v: unknown): number | null => (v === undefined || v === null ? 0 : count(v));

const nested = (raw: Raw, key: string): Raw =>
  typeof raw[key] === 'object' && raw[key] !== null ? (raw[key] as Raw) : {};

function result(
  fields: Record<string, number | null>,
  make: (f: Record<string, number>) => TokenUsage,
): RawUsageResult {
  for (const [name, value] of Object.entries(fields)) {
    if (value === null) return { ok: false, problem: `${name} must be a non-negative integer` };
  }
  return { ok: true, usage: make(fields as Record<string, number>) };
}

/** OpenAI chat completions: {prompt_tokens, completion_tokens, prompt_tokens_details: {cached_tokens}}. */
function openAiChat(raw: Raw): RawUsageResult {
  return result(
    {
      prompt_tokens: count(raw.prompt_tokens),
      completion_tokens: optional(raw.completion_tokens),
      'prompt_tokens_details.cached_tokens': optional(nested(raw, 'prompt_tokens_details').cached_tokens),
    },
    (f) => ({
      inputTokens: f.prompt_tokens as number,
      cacheReadTokens: f['prompt_tokens_details.cached_tokens'] as number,
      cacheWriteTokens: 0,
      outputTokens: f.completion_tokens as number,
    }),
  );
}

/** OpenAI responses: {input_tokens, output_tokens, input_tokens_details: {cached_tokens}}. */
function openAiResponses(raw: Raw): RawUsageResult {
  return result(
    {
      input_tokens: count(raw.input_tokens),
      output_tokens: optional(raw.output_tokens),
      'input_tokens_details.cached_tokens': optional(nested(raw, 'input_tokens_details').cached_tokens),
    },
    (f) => ({
      inputTokens: f.input_tokens as number,
      cacheReadTokens: f['input_tokens_details.cached_tokens'] as number,
      cacheWriteTokens: 0,
      outputTokens: f.output_tokens as number,
    }),
  );
}

/** Anthropic messages: {input_tokens (uncached only), cache_read_input_tokens, cache_creation_input_tokens, output_tokens}. */
function anthropic(raw: Raw): RawUsageResult {
  return result(
    {
      input_tokens: count(raw.input_tokens),
      output_tokens: optional(raw.output_tokens),
      cache_read_input_tokens: optional(raw.cache_read_input_tokens),
      cache_creation_input_tokens: optional(raw.cache_creation_input_tokens),
    },
    (f) => ({
      inputTokens:
        (f.input_tokens as number) +
        (f.cache_read_input_tokens as number) +
        (f.cache_creation_input_tokens as number),
      cacheReadTokens: f.cache_read_input_tokens as number,
      cacheWriteTokens: f.cache_creation_input_tokens as number,
      outputTokens: f.output_tokens as number,
    }),
  );
}

export function normaliseRawUsage(provider: string, raw: unknown): RawUsageResult {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return { ok: false, problem: 'must be the provider’s usage object' };
  }
  const r = raw as Raw;
  switch (provider) {
    case 'anthropic':
      return anthropic(r);
    case 'openai':
      return 'prompt_tokens' in r ? openAiChat(r) : openAiResponses(r);
    default:
      return {
        ok: false,
        problem: 'raw usage is understood for openai and anthropic; give the token counts instead',
      };
  }
}
