// POST /v1/messages. Anthropic reports usage twice in a stream: message_start carries the input counts (and an
// output count of about one token), message_delta the final output count — merged here. max_tokens is required by
// Anthropic, so the estimate's output limit is the request's own.
import { normaliseRawUsage } from '../../pricing/raw-usage.js';
import { frameJson } from '../sse.js';
import { type Body, countedUsage, type Endpoint, limit, record, type StreamMeter, text } from './types.js';

export const anthropicMessages: Endpoint = {
  provider: 'anthropic',
  upstreamPath: '/v1/messages',
  prompt: (body) => {
    const messages = Array.isArray(body.messages) ? body.messages : [];
    return { prompt: [body.system, messages], messages: messages.length, definitions: [body.tools] };
  },
  maxOutputTokens: (body) => limit(body.max_tokens),
  fingerprintSource: (body) => ({ system: body.system, messages: body.messages }),
  forward: (body) => ({ body, hideUsage: false }),
  reported: (json) => ({ usage: record(json.usage), model: text(json.model), id: text(json.id) }),
  meter(): StreamMeter {
    let start: Body | null = null;
    let final: Body | null = null;
    let model: string | null = null;
    let id: string | null = null;
    let generated = '';
    return {
      read(frame) {
        const event = frameJson(frame);
        if (!event) return true;
        const message = record(event.message);
        if (event.type === 'message_start' && message) {
          start = record(message.usage);
          model = text(message.model);
          id = text(message.id);
        } else if (event.type === 'message_delta') {
          final = { ...(start ?? {}), ...(final ?? {}), ...(record(event.usage) ?? {}) };
        } else if (event.type === 'content_block_delta') {
          const delta = record(event.delta);
          generated +=
            (text(delta?.text) ?? '') + (text(delta?.partial_json) ?? '') + (text(delta?.thinking) ?? '');
        }
        return true;
      },
      reported: () => ({ usage: final, model, id }),
      partial(promptTokens, count) {
        const known = start ? normaliseRawUsage('anthropic', start) : null;
        if (!known?.ok) return countedUsage(promptTokens, generated, count);
        const counted = countedUsage(known.usage.inputTokens, generated, count);
        return {
          ...counted,
          cache_read_tokens: known.usage.cacheReadTokens,
          cache_write_tokens: known.usage.cacheWriteTokens,
          output_tokens: Math.max(known.usage.outputTokens, counted.output_tokens),
        };
      },
    };
  },
};
