// Token estimates for a budget hold made before an LLM call. The hold must never be smaller than the call can cost,
// so the default counter over-counts on purpose: a BPE token (OpenAI's, Anthropic's) is at least one byte of UTF-8,
// hence a text's UTF-8 byte count is at least its token count. The real usage is committed afterwards, so the
// over-count only ever holds budget for the length of the call.

/** Counts the tokens of `text` for `model`; plug a real tokenizer here (e.g. gpt-tokenizer's `encode(t).length`). */
export type TokenCounter = (text: string, model: string) => number;

/** The default: UTF-8 bytes, an upper bound of the token count for BPE tokenizers. */
export const utf8Bytes: TokenCounter = (text) => {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) bytes += 1;
    else if (unit < 0x800) bytes += 2;
    else if (unit >= 0xd800 && unit <= 0xdbff && isLowSurrogate(text.charCodeAt(i + 1))) {
      bytes += 4; // one code point above U+FFFF, written as a surrogate pair
      i++;
    } else bytes += 3; // a lone surrogate is sent as U+FFFD, also 3 bytes
  }
  return bytes;
};

const isLowSurrogate = (unit: number) => unit >= 0xdc00 && unit <= 0xdfff;

/** Added per message for the role and separators each chat format wraps a message in (OpenAI documents 3–4). */
export const PER_MESSAGE_TOKENS = 4;
/** Added once per request: the tokens that prime the reply. */
export const PER_REQUEST_TOKENS = 3;
/**
 * Held for each image, audio or file part, whose tokens depend on its pixels or length rather than on text: the
 * most one image costs on Anthropic (about 1,600 tokens at 1568 px) and more than OpenAI's high-detail tiles.
 */
export const MEDIA_PART_TOKENS = 1_600;
/** `maxOutputTokens` of the hold when the request sets no `max_tokens` / `max_completion_tokens` / `max_output_tokens`. */
export const DEFAULT_MAX_OUTPUT_TOKENS = 4_096;

// Parts whose content is not text the model reads as tokens of its own string (pixels, audio, files).
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
// Keys whose strings are structure or opaque data, not text: counting a base64 image or a signature as text would
// hold thousands of times its real price.
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

export interface PromptText {
  /** Every string the model reads, joined by newlines. */
  text: string;
  /** Image, audio and file parts. */
  media: number;
}

/** The text of messages (any nesting of strings, parts and tool calls) and how many media parts they hold. */
export function promptText(value: unknown): PromptText {
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
  walk(value);
  return { text: strings.join('\n'), media };
}

export interface InputParts {
  /** Message-like content: walked for its text (system prompts, messages, responses `input`). */
  prompt: unknown[];
  /** How many messages the prompt has (each adds PER_MESSAGE_TOKENS). */
  messages: number;
  /** Definitions sent as JSON (tools, response formats): counted as their JSON text. */
  definitions: unknown[];
}

/**
 * The hold's input tokens: count(text of the prompt + JSON of the definitions) + 4 per message + 3 per request +
 * 1,600 per image/audio/file part.
 */
export function estimateInputTokens(parts: InputParts, model: string, count: TokenCounter): number {
  const { text, media } = promptText(parts.prompt);
  const definitions = parts.definitions
    .filter((d) => d !== undefined && d !== null)
    .map((d) => JSON.stringify(d))
    .join('\n');
  const counted = count(definitions === '' ? text : `${text}\n${definitions}`, model);
  return (
    wholeTokens(counted) +
    parts.messages * PER_MESSAGE_TOKENS +
    PER_REQUEST_TOKENS +
    media * MEDIA_PART_TOKENS
  );
}

/** A counter's answer as a whole non-negative count (the server takes integers only). */
export function wholeTokens(value: number): number {
  return Number.isFinite(value) && value > 0 ? Math.ceil(value) : 0;
}
