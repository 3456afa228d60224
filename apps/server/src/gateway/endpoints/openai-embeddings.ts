// POST /v1/embeddings: input only (a string, strings, or token arrays), never streamed.
import { countedUsage, type Endpoint, record, type StreamMeter, text } from './types.js';

/** Token arrays are already tokens: counted as themselves, not as text. */
function tokenArrays(input: unknown): number {
  if (!Array.isArray(input)) return 0;
  if (input.every((v) => typeof v === 'number')) return input.length;
  return input.reduce<number>((n, item) => n + (Array.isArray(item) ? item.length : 0), 0);
}

const noStream: StreamMeter = {
  read: () => true,
  reported: () => ({ usage: null, model: null, id: null }),
  partial: (promptTokens, count) => countedUsage(promptTokens, '', count),
};

export const openAIEmbeddings: Endpoint = {
  provider: 'openai',
  upstreamPath: '/embeddings',
  prompt: (body) => {
    const strings = Array.isArray(body.input)
      ? body.input.filter((v) => typeof v === 'string')
      : [body.input];
    return { prompt: strings, messages: 0, definitions: [], tokens: tokenArrays(body.input) };
  },
  maxOutputTokens: () => 0,
  fingerprintSource: (body) => body.input,
  forward: (body) => ({ body, hideUsage: false }),
  reported: (json) => ({ usage: record(json.usage), model: text(json.model), id: null }),
  meter: () => noStream,
};
