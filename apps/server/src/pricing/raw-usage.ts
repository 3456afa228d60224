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

/**
 * OpenAI's two shapes differ only in names — chat completions {prompt_tokens, completion_tokens,
 * prompt_tokens_details.cached_tokens}, responses {input_tokens, output_tokens, input_tokens_details.cached_tokens} —
 * and in both the input count already includes the cached tokens.
 */
function openAi(raw: Raw, input: string, output: string): RawUsageResult {
  const cached = `${input}_details.cached_tokens`;
  return result(
    {
      [input]: count(raw[input]),
      [output]: optional(raw[output]),
      [cached]: optional(nested(raw, `${input}_details`).cached_tokens),
    },
    (f) => ({
      inputTokens: f[input] as number,
      cacheReadTokens: f[cached] as number,
      cacheWriteTokens: 0,
      outputTokens: f[output] as number,
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
      return 'prompt_tokens' in r
        ? openAi(r, 'prompt_tokens', 'completion_tokens')
        : openAi(r, 'input_tokens', 'output_tokens');
    default:
      return {
        ok: false,
        problem: 'raw usage is understood for openai and anthropic; give the token counts instead',
      };
  }
}
