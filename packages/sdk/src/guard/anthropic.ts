// `guardAnthropic(client, options)`: an Anthropic client whose `messages.create` (and `messages.stream()`, built on
// it) holds budget before each call and commits what the call used (docs: packages/sdk/README.md).

import { type Endpoint, guardedMethod } from './call.js';
import { checkOptions, type GuardLLMOptions } from './options.js';
import { type Members, overlay } from './overlay.js';
import type { StreamReader } from './stream.js';
import { estimateInputTokens } from './tokens.js';

type Create = (body: never, options?: never) => unknown;

/** What `guardAnthropic` needs of a client: the `@anthropic-ai/sdk` package's `Anthropic` fits. */
export interface AnthropicLike {
  messages: { create: Create };
}

type Json = Record<string, unknown>;
const record = (value: unknown): Json | null =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : null;
const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
const text = (value: unknown): string => (typeof value === 'string' ? value : '');

/** A content block's or delta's generated text: text, thinking, tool input JSON. */
function blockText(block: Json | null): string {
  if (block === null) return '';
  const input = block.input === undefined ? '' : JSON.stringify(block.input);
  return [text(block.text), text(block.thinking), text(block.partial_json), input].join('');
}

/** Messages: the prompt is `system` + `messages`, the limit `max_tokens` (required by the API). */
export const anthropicMessages: Endpoint = {
  provider: 'anthropic',
  plan(request, count, defaultMax) {
    if (typeof request.model !== 'string' || request.model === '') {
      throw new TypeError('guardAnthropic: the request names no model, so its cost cannot be held');
    }
    const model = request.model;
    const messages = list(request.messages);
    const maxTokens = request.max_tokens;
    return {
      model,
      inputTokens: estimateInputTokens(
        {
          prompt: [request.system, messages],
          messages: messages.length + (request.system ? 1 : 0),
          definitions: [request.tools, request.output_config],
        },
        model,
        count,
      ),
      maxOutputTokens:
        typeof maxTokens === 'number' && Number.isInteger(maxTokens) && maxTokens > 0
          ? maxTokens
          : defaultMax,
      fingerprintSource: { model, system: request.system, messages: request.messages },
    };
  },
  responseUsage: (response) => record(record(response)?.usage),
  responseText: (response) =>
    list(record(response)?.content)
      .map((block) => blockText(record(block)))
      .join(''),
  streamReader: () => messagesStreamReader(),
};

/**
 * message_start carries the input usage (and an output count of a token or so); message_delta the final output
 * count (newer API versions repeat the input counts there). Merged, they are the usage the provider bills.
 */
function messagesStreamReader(): StreamReader {
  let seen = false;
  let usage: Json | null = null;
  let final = false;
  const generated: string[] = [];
  const merge = (more: Json | null) => {
    if (more === null) return;
    const present = Object.entries(more).filter(([, v]) => v !== null && v !== undefined);
    usage = { ...usage, ...Object.fromEntries(present) };
  };
  return {
    get seen() {
      return seen;
    },
    read(event) {
      seen = true;
      const e = record(event);
      if (e?.type === 'message_start') merge(record(record(e.message)?.usage));
      else if (e?.type === 'content_block_delta') generated.push(blockText(record(e.delta)));
      else if (e?.type === 'message_delta') {
        merge(record(e.usage));
        final = true;
      }
      return true;
    },
    text: () => generated.join(''),
    usage(outputEstimate) {
      if (usage === null || final) return usage;
      // Stopped before message_delta: the input counts are real, the output is what arrived, estimated.
      const sent = typeof usage.output_tokens === 'number' ? usage.output_tokens : 0;
      return { ...usage, output_tokens: Math.max(sent, outputEstimate) };
    },
  };
}

/**
 * Returns a view of `client` (the same type; the client passed in stays unguarded) in which `messages.create` —
 * streamed or not — and the helpers built on it (`messages.stream()`, `messages.parse()`) hold the call's estimated
 * cost before calling Anthropic and commit the usage Anthropic reports. See {@link GuardLLMOptions}.
 */
export function guardAnthropic<C extends AnthropicLike>(client: C, options: GuardLLMOptions): C {
  checkOptions(options, 'guardAnthropic');
  const resource = client.messages;
  const create = guardedMethod(resource.create as never, resource, anthropicMessages, options);
  // messages.stream() and .parse() call `this.create`: read through this view, that is the guarded one.
  const messages = overlay(resource, new Map([['create', () => create]]) as Members, false);
  return overlay(client, new Map([['messages', () => messages]]), true);
}
