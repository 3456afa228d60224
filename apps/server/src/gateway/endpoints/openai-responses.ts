// POST /v1/responses. A stream reports its usage in the final response.completed (or .incomplete / .failed) event;
// the text arrives in *.delta events (output text, refusals, function-call arguments, reasoning summaries).
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

const reportedOf = (response: Body): Reported => ({
  usage: record(response.usage),
  model: text(response.model),
  id: text(response.id),
});

export const openAIResponses: Endpoint = {
  provider: 'openai',
  upstreamPath: '/responses',
  prompt: (body) => {
    const input = body.input;
    const messages = Array.isArray(input) ? input.length : 1;
    const textFormat = record(body.text)?.format;
    return { prompt: [body.instructions, input], messages, definitions: [body.tools, textFormat] };
  },
  maxOutputTokens: (body) => limit(body.max_output_tokens),
  fingerprintSource: (body) => ({ instructions: body.instructions, input: body.input }),
  // A background response answers at once and generates later, out of the gateway's sight: its cost could never be
  // committed, so it is refused rather than let through unmetered.
  unmeterable: (body) =>
    body.background === true
      ? {
          field: 'background',
          problem:
            'cannot be metered through the gateway (a background response generates after its answer); omit it',
        }
      : null,
  forward: (body) => ({ body, hideUsage: false }),
  reported: reportedOf,
  meter(): StreamMeter {
    let seen: Reported = { usage: null, model: null, id: null };
    let generated = '';
    return {
      read(frame) {
        const event = frameJson(frame);
        if (!event) return true;
        const response = record(event.response);
        if (response) {
          seen = reportedSoFar(seen, reportedOf(response));
        }
        const type = text(event.type) ?? '';
        if (type.endsWith('.delta')) generated += text(event.delta) ?? '';
        return true;
      },
      reported: () => seen,
      partial: (promptTokens, count) => countedUsage(promptTokens, generated, count),
    };
  },
};
