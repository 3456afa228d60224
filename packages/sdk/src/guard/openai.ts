// `guardOpenAI(client, options)`: an OpenAI client whose `chat.completions.create` and `responses.create` hold
// budget before each call and commit what the call used (docs: packages/sdk/README.md, "Guarded LLM clients").

import { type Endpoint, guardedMethod } from './call.js';
import { checkOptions, type GuardLLMOptions, type LLMRequest } from './options.js';
import { type Members, overlay } from './overlay.js';
import type { StreamReader } from './stream.js';
import { estimateInputTokens } from './tokens.js';

type Create = (body: never, options?: never) => unknown;

/** What `guardOpenAI` needs of a client: the `openai` package's `OpenAI` (v4–v6) fits, and so do look-alikes. */
export interface OpenAILike {
  chat: { completions: { create: Create } };
  responses?: { create: Create } | undefined;
}

type Json = Record<string, unknown>;
const record = (value: unknown): Json | null =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : null;
const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
const text = (value: unknown): string => (typeof value === 'string' ? value : '');

function modelOf(request: LLMRequest): string {
  if (typeof request.model !== 'string' || request.model === '') {
    throw new TypeError('guardOpenAI: the request names no model, so its cost cannot be held');
  }
  return request.model;
}

function positive(value: unknown): number | null {
  return typeof value === 'number' && Number.isInteger(value) && value > 0 ? value : null;
}

/** Chat completions: the prompt is `messages`, the limit `max_completion_tokens` (or the older `max_tokens`) per choice. */
export const openAIChat: Endpoint = {
  provider: 'openai',
  plan(request, count, defaultMax) {
    const model = modelOf(request);
    const messages = list(request.messages);
    const perChoice = positive(request.max_completion_tokens) ?? positive(request.max_tokens) ?? defaultMax;
    return {
      model,
      inputTokens: estimateInputTokens(
        {
          prompt: messages,
          messages: messages.length,
          definitions: [request.tools, request.functions, request.response_format],
        },
        model,
        count,
      ),
      maxOutputTokens: perChoice * (positive(request.n) ?? 1),
      fingerprintSource: { model, messages: request.messages },
    };
  },
  prepareStream(request) {
    const asked = record(request.stream_options)?.include_usage === true;
    return {
      // Without include_usage a chat stream carries no usage at all.
      request: { ...request, stream_options: { ...record(request.stream_options), include_usage: true } },
      hideUsage: !asked,
    };
  },
  responseUsage: (response) => record(record(response)?.usage),
  responseText(response) {
    return list(record(response)?.choices)
      .map((choice) => messageText(record(record(choice)?.message)))
      .join('');
  },
  streamReader: (hideUsage) => chatStreamReader(hideUsage),
};

/** A chat message's or delta's generated text: content, refusal, tool-call and function-call arguments. */
function messageText(message: Json | null): string {
  if (message === null) return '';
  const calls = list(message.tool_calls).map((call) => text(record(record(call)?.function)?.arguments));
  return [
    text(message.content),
    text(message.refusal),
    text(record(message.function_call)?.arguments),
    ...calls,
  ].join('');
}

function chatStreamReader(hideUsage: boolean): StreamReader {
  let seen = false;
  let usage: Json | null = null;
  const generated: string[] = [];
  return {
    get seen() {
      return seen;
    },
    read(chunk) {
      seen = true;
      const choices = record(chunk)?.choices;
      for (const choice of list(choices)) generated.push(messageText(record(record(choice)?.delta)));
      const chunkUsage = record(record(chunk)?.usage);
      if (chunkUsage === null) return true;
      usage = chunkUsage;
      // The final chunk of include_usage: no choices, only the usage. Shown only to a caller who asked for it.
      return !(hideUsage && Array.isArray(choices) && choices.length === 0);
    },
    text: () => generated.join(''),
    usage: () => usage,
  };
}

/** Responses: the prompt is `instructions` + `input`, the limit `max_output_tokens`; the usage comes with the last event. */
export const openAIResponses: Endpoint = {
  provider: 'openai',
  plan(request, count, defaultMax) {
    const model = modelOf(request);
    const input = request.input;
    return {
      model,
      inputTokens: estimateInputTokens(
        {
          prompt: [request.instructions, input],
          messages: (Array.isArray(input) ? input.length : 1) + (request.instructions ? 1 : 0),
          definitions: [request.tools, request.text],
        },
        model,
        count,
      ),
      maxOutputTokens: positive(request.max_output_tokens) ?? defaultMax,
      fingerprintSource: { model, instructions: request.instructions, input },
    };
  },
  responseUsage: (response) => record(record(response)?.usage),
  responseText(response) {
    return list(record(response)?.output)
      .map((item) => {
        const output = record(item);
        const parts = list(output?.content).map((part) => text(record(part)?.text));
        return [text(output?.arguments), ...parts].join('');
      })
      .join('');
  },
  streamReader() {
    let seen = false;
    let usage: Json | null = null;
    const generated: string[] = [];
    return {
      get seen() {
        return seen;
      },
      read(event) {
        seen = true;
        const e = record(event);
        // response.output_text.delta, response.function_call_arguments.delta, response.refusal.delta, …
        if (typeof e?.type === 'string' && e.type.endsWith('.delta')) generated.push(text(e.delta));
        // response.completed / .incomplete / .failed carry the whole response with its usage.
        usage = record(record(e?.response)?.usage) ?? usage;
        return true;
      },
      text: () => generated.join(''),
      usage: () => usage,
    };
  },
};

/**
 * Returns a view of `client` (the same type; the client passed in stays unguarded) in which
 * `chat.completions.create` and `responses.create` — streamed or not, and the helpers built on them
 * (`chat.completions.stream()`, `.parse()`, `.runTools()`, `responses.stream()`, `.parse()`) — hold the call's
 * estimated cost before calling OpenAI and commit the usage OpenAI reports. See {@link GuardLLMOptions}.
 */
export function guardOpenAI<C extends OpenAILike>(client: C, options: GuardLLMOptions): C {
  checkOptions(options, 'guardOpenAI');
  let guarded: C | undefined;
  const routed = (resource: object, create: Create, endpoint: Endpoint): object => {
    const guardedCreate = guardedMethod(create as never, resource, endpoint, options);
    const members: Members = new Map([['create', () => guardedCreate]]);
    // The clients' helpers call `this._client.<resource>.create`: through the guarded client, they are guarded too.
    if ('_client' in resource) members.set('_client', () => guarded);
    return overlay(resource, members, false);
  };
  const completions = routed(client.chat.completions, client.chat.completions.create, openAIChat);
  const chat = overlay(client.chat, new Map([['completions', () => completions]]), false);
  const top: Members = new Map([['chat', () => chat]]);
  const responses = client.responses;
  if (typeof responses?.create === 'function') {
    const guardedResponses = routed(responses, responses.create, openAIResponses);
    top.set('responses', () => guardedResponses);
  }
  guarded = overlay(client, top, true);
  return guarded;
}
