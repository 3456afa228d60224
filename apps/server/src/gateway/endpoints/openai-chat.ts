// POST /v1/chat/completions. Streams: usage is asked for (stream_options.include_usage) so a streamed call is never
// counted at $0; the final usage-only chunk (no choices) is dropped again for a client that had not asked for it.
import { frameJson } from '../sse.js';
import {
  type Body,
  countedUsage,
  type Endpoint,
  limit,
  type Reported,
  record,
  reportedSoFar,
  type StreamMeter,
  text,
} from './types.js';

function reportedOf(json: Body): Reported {
  return { usage: record(json.usage), model: text(json.model), id: text(json.id) };
}

export const openAIChat: Endpoint = {
  provider: 'openai',
  upstreamPath: '/chat/completions',
  prompt: (body) => {
    const messages = Array.isArray(body.messages) ? body.messages : [];
    return {
      prompt: messages,
      messages: messages.length,
      definitions: [body.tools, body.functions, body.response_format],
    };
  },
  maxOutputTokens: (body) => {
    const max = limit(body.max_completion_tokens, body.max_tokens);
    const choices = limit(body.n) ?? 1;
    return max === null ? null : max * choices;
  },
  fingerprintSource: (body) => body.messages,
  forward(body) {
    if (body.stream !== true) return { body, hideUsage: false };
    const options = record(body.stream_options) ?? {};
    const asked = options.include_usage === true;
    return { body: { ...body, stream_options: { ...options, include_usage: true } }, hideUsage: !asked };
  },
  reported: reportedOf,
  meter(hideUsage): StreamMeter {
    let seen: Reported = { usage: null, model: null, id: null };
    let generated = '';
    return {
      read(frame) {
        const chunk = frameJson(frame);
        if (!chunk) return true;
        seen = reportedSoFar(seen, reportedOf(chunk));
        const choices = Array.isArray(chunk.choices) ? chunk.choices : [];
        for (const choice of choices) {
          const delta = record(record(choice)?.delta);
          if (!delta) continue;
          generated += (text(delta.content) ?? '') + (text(delta.refusal) ?? '');
          for (const call of Array.isArray(delta.tool_calls) ? delta.tool_calls : []) {
            const fn = record(record(call)?.function);
            generated += (text(fn?.name) ?? '') + (text(fn?.arguments) ?? '');
          }
        }
        // The usage-only chunk: no choices, a usage object. Everything else passes unchanged.
        return !(hideUsage && choices.length === 0 && record(chunk.usage) !== null);
      },
      reported: () => seen,
      partial: (promptTokens, count) => countedUsage(promptTokens, generated, count),
    };
  },
};
