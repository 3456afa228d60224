// What a gateway call may cost at most, from its request alone (docs/api.md §12): the hold is made before the provider
// is called, so it must never be smaller than the call can cost. Input: the UTF-8 byte count of the text the model
// reads — a BPE token (OpenAI's, Anthropic's) is at least one byte, so bytes bound the token count from above and cost
// no tokenizer on the hot path — plus per-message overheads and a fixed amount per image/audio/file part. Output: the
// request's own maximum, else the customer's gateway_default_max_output_tokens. The real usage is committed afterwards,
// so the over-count holds budget only for the length of the call. When a stream stops before the provider reported
// usage, what it cost is counted with a real tokenizer instead (the byte bound would charge ~4×): tokenCounter() loads
// gpt-tokenizer on that first use only — its tables take ~66 MB, which a server that never cuts a stream never pays.

/** Counts the tokens of a text. */
export type TokenCount = (text: string) => number;

let loading: Promise<TokenCount> | undefined;

/** gpt-tokenizer's counter (o200k_base), imported on first use. */
export function tokenCounter(): Promise<TokenCount> {
  loading ??= import('gpt-tokenizer').then((m) => m.countTokens);
  return loading;
}

/** Added per message for the role and separators each chat format wraps a message in (OpenAI documents 3–4). */
const PER_MESSAGE_TOKENS = 4;
/** Added once per request: the tokens that prime the reply. */
const PER_REQUEST_TOKENS = 3;
/** Held per image, audio or file part: the most one image costs on Anthropic (~1,600 tokens at 1568 px). */
const MEDIA_PART_TOKENS = 1_600;

const MEDIA_TYPES = new Set([
  'image',
  'image_url',
  'input_image',
  'input_audio',
  'audio',
  'file',
  'input_file',
  'document',
]);
// Strings that are structure or opaque data, not text the model reads: a base64 image counted as text would hold
// thousands of times its price.
const NON_TEXT_KEYS = new Set([
  'type',
  'role',
  'id',
  'tool_call_id',
  'tool_use_id',
  'call_id',
  'cache_control',
  'detail',
  'signature',
  'data',
  'media_type',
  'url',
  'status',
]);

export interface PromptParts {
  /** Message-like content walked for its text: system prompts, messages, a responses `input`. */
  prompt: unknown[];
  /** Messages in the prompt (each adds PER_MESSAGE_TOKENS). */
  messages: number;
  /** Definitions sent as JSON (tools, response formats), counted as their JSON text. */
  definitions: unknown[];
  /** Input sent as token ids (embeddings): counted as they are. */
  tokens?: number;
}

/** The prompt's text (every string the model reads, newline-joined) and its media parts. */
export function promptText(parts: PromptParts): { text: string; media: number } {
  const strings: string[] = [];
  let media = 0;
  const walk = (node: unknown): void => {
    if (typeof node === 'string') strings.push(node);
    else if (Array.isArray(node)) for (const item of node) walk(item);
    else if (typeof node === 'object' && node !== null) {
      const record = node as Record<string, unknown>;
      if (typeof record.type === 'string' && MEDIA_TYPES.has(record.type)) {
        media++;
        return;
      }
      for (const [key, child] of Object.entries(record)) if (!NON_TEXT_KEYS.has(key)) walk(child);
    }
  };
  walk(parts.prompt);
  for (const definition of parts.definitions) {
    if (definition !== undefined && definition !== null) strings.push(JSON.stringify(definition));
  }
  return { text: strings.join('\n'), media };
}

const overhead = (parts: PromptParts, media: number) =>
  parts.messages * PER_MESSAGE_TOKENS + PER_REQUEST_TOKENS + media * MEDIA_PART_TOKENS + (parts.tokens ?? 0);

/** The hold's input tokens: an upper bound of what the provider will count. */
export function inputTokensUpperBound(parts: PromptParts): number {
  const { text, media } = promptText(parts);
  return Buffer.byteLength(text, 'utf8') + overhead(parts, media);
}

/** The input tokens of a call the provider never reported usage for (a stream cut before its usage). */
export function countPromptTokens(parts: PromptParts, count: TokenCount): number {
  const { text, media } = promptText(parts);
  return count(text) + overhead(parts, media);
}
