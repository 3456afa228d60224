// A local stand-in for the OpenAI and Anthropic APIs, so the guarded clients are tested with the REAL client packages
// over a real socket. It speaks both wire formats as the providers document and send them — JSON bodies, SSE streams
// (OpenAI `data: {...}` … `data: [DONE]` with the usage-only last chunk under stream_options.include_usage;
// Anthropic's named events message_start … message_stop) — with ids and `usage` objects shaped exactly like the
// providers' own. Replies can be scripted (a provider error, other usage, a delay per chunk), and every request is
// recorded, so a test can assert the upstream was never called.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface UpstreamRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: Record<string, unknown>;
}

export interface Reply {
  /** An error status answered with the provider's error body (e.g. 500), instead of a completion. */
  errorStatus?: number;
  /** The generated text; streamed one word per chunk. */
  text?: string;
  /** Replaces the provider's usage object (its exact field names). */
  usage?: Record<string, unknown>;
  /** Waited before each streamed chunk. */
  chunkDelayMs?: number;
  /** Answered instead: a redirect to this URL (a gateway must not follow it). */
  redirectTo?: string;
  /** Extra response headers (rate limits, retry advice). */
  headers?: Record<string, string>;
  /** Answers a chat completion without its usage object, as some OpenAI-compatible servers do. */
  omitUsage?: boolean;
}

export interface LLMUpstream {
  /** Base URL for the clients: `${url}/v1` for OpenAI, `url` for Anthropic. */
  url: string;
  requests: UpstreamRequest[];
  /** Queues the replies of the next requests (afterwards: the defaults). */
  script(...replies: Reply[]): void;
  /** Chunks each stream has written so far (index of the request). */
  chunksWritten: number[];
  close(): Promise<void>;
}

export const DEFAULT_TEXT = 'The capital of France is Paris, a city on the Seine.';

/** OpenAI chat-completions usage, every field as the API returns it. */
export const openAIUsage = (prompt = 1117, completion = 46, cached = 1024, reasoning = 0) => ({
  prompt_tokens: prompt,
  completion_tokens: completion,
  total_tokens: prompt + completion,
  prompt_tokens_details: { cached_tokens: cached, audio_tokens: 0 },
  completion_tokens_details: {
    reasoning_tokens: reasoning,
    audio_tokens: 0,
    accepted_prediction_tokens: 0,
    rejected_prediction_tokens: 0,
  },
});

/** OpenAI responses usage. */
export const responsesUsage = (input = 1117, output = 46, cached = 1024, reasoning = 0) => ({
  input_tokens: input,
  input_tokens_details: { cached_tokens: cached },
  output_tokens: output,
  output_tokens_details: { reasoning_tokens: reasoning },
  total_tokens: input + output,
});

/** Anthropic messages usage (input_tokens excludes the cache tokens). */
export const anthropicUsage = (input = 2095, output = 503, cacheRead = 4000, cacheWrite = 120) => ({
  input_tokens: input,
  cache_creation_input_tokens: cacheWrite,
  cache_read_input_tokens: cacheRead,
  cache_creation: { ephemeral_5m_input_tokens: cacheWrite, ephemeral_1h_input_tokens: 0 },
  output_tokens: output,
  service_tier: 'standard',
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const words = (text: string) => text.match(/\S+\s*/g) ?? [];

let serial = 0;
const id = (prefix: string) => `${prefix}${(++serial).toString(36).padStart(6, '0')}Xq9LmT2vB8nRk4Wz`;

export async function startLLMUpstream(): Promise<LLMUpstream> {
  const requests: UpstreamRequest[] = [];
  const queue: Reply[] = [];
  const chunksWritten: number[] = [];
  const server = createServer(async (req, res) => {
    const parts: Buffer[] = [];
    for await (const part of req) parts.push(part as Buffer);
    const text = Buffer.concat(parts).toString('utf8');
    const request: UpstreamRequest = {
      method: req.method ?? '',
      path: (req.url ?? '').split('?')[0] ?? '',
      headers: req.headers,
      body: text === '' ? {} : JSON.parse(text),
    };
    const index = requests.push(request) - 1;
    chunksWritten[index] = 0;
    const reply = queue.shift() ?? {};
    if (reply.redirectTo !== undefined) {
      res.writeHead(302, { location: reply.redirectTo });
      return res.end();
    }
    for (const [name, value] of Object.entries(reply.headers ?? {})) res.setHeader(name, value);
    if (request.method === 'GET' && request.path.startsWith('/v1/models'))
      return json(res, 200, models(request.path));
    const route = ROUTES[request.path];
    if (!route)
      return json(res, 404, {
        error: { message: `no route ${request.path}`, type: 'invalid_request_error' },
      });
    if (reply.errorStatus !== undefined) return json(res, reply.errorStatus, route.error(reply.errorStatus));
    if (request.body.stream !== true) return json(res, 200, route.complete(request.body, reply));
    await stream(
      res,
      route.events(request.body, reply),
      reply.chunkDelayMs ?? 0,
      () => chunksWritten[index]!++,
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    chunksWritten,
    script: (...replies) => void queue.push(...replies),
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json', 'x-request-id': id('req_') });
  res.end(JSON.stringify(body));
}

/** An SSE frame: `event:` only for the formats that name their events. */
type Frame = { event?: string; data: unknown };

async function stream(
  res: ServerResponse,
  frames: Frame[],
  delayMs: number,
  wrote: () => void,
): Promise<void> {
  let closed = false;
  res.on('close', () => {
    closed = true;
  });
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    'x-request-id': id('req_'),
  });
  for (const frame of frames) {
    if (delayMs > 0) await sleep(delayMs);
    if (closed) return; // the client aborted: a provider stops generating too
    const data = typeof frame.data === 'string' ? frame.data : JSON.stringify(frame.data);
    res.write(`${frame.event ? `event: ${frame.event}\n` : ''}data: ${data}\n\n`);
    wrote();
  }
  res.end();
}

interface Route {
  complete(body: Record<string, unknown>, reply: Reply): unknown;
  events(body: Record<string, unknown>, reply: Reply): Frame[];
  error(status: number): unknown;
}

const created = () => Math.floor(Date.now() / 1000);
const servedModel = (body: Record<string, unknown>) => `${String(body.model)}-2024-07-18`;

const openAIError = (status: number) => ({
  error: {
    message:
      status >= 500
        ? 'The server had an error while processing your request. Sorry about that!'
        : 'Invalid request.',
    type: status >= 500 ? 'server_error' : 'invalid_request_error',
    param: null,
    code: null,
  },
});

const chat: Route = {
  complete(body, reply) {
    const text = reply.text ?? DEFAULT_TEXT;
    return {
      id: id('chatcmpl-'),
      object: 'chat.completion',
      created: created(),
      model: servedModel(body),
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: text, refusal: null, annotations: [] },
          logprobs: null,
          finish_reason: 'stop',
        },
      ],
      usage: reply.omitUsage ? undefined : (reply.usage ?? openAIUsage(1117, words(text).length)),
      service_tier: 'default',
      system_fingerprint: 'fp_06737a9306',
    };
  },
  events(body, reply) {
    const text = reply.text ?? DEFAULT_TEXT;
    const includeUsage =
      (body.stream_options as { include_usage?: boolean } | undefined)?.include_usage === true;
    const chunkId = id('chatcmpl-');
    const chunk = (choices: unknown[], usage?: unknown) => ({
      id: chunkId,
      object: 'chat.completion.chunk',
      created: created(),
      model: servedModel(body),
      service_tier: 'default',
      system_fingerprint: 'fp_06737a9306',
      choices,
      // With include_usage every chunk carries `usage`: null until the last one.
      ...(includeUsage ? { usage: usage ?? null } : {}),
    });
    const delta = (d: unknown, finish: string | null = null) => ({
      index: 0,
      delta: d,
      logprobs: null,
      finish_reason: finish,
    });
    const frames: Frame[] = [{ data: chunk([delta({ role: 'assistant', content: '', refusal: null })]) }];
    for (const word of words(text)) frames.push({ data: chunk([delta({ content: word })]) });
    frames.push({ data: chunk([delta({}, 'stop')]) });
    if (includeUsage) frames.push({ data: chunk([], reply.usage ?? openAIUsage(1117, words(text).length)) });
    frames.push({ data: '[DONE]' });
    return frames;
  },
  error: openAIError,
};

const responses: Route = {
  complete(body, reply) {
    const text = reply.text ?? DEFAULT_TEXT;
    return responseObject(body, text, 'completed', reply.usage ?? responsesUsage(1117, words(text).length));
  },
  events(body, reply) {
    const text = reply.text ?? DEFAULT_TEXT;
    const final = responseObject(
      body,
      text,
      'completed',
      reply.usage ?? responsesUsage(1117, words(text).length),
    );
    const item = (final.output[0] as { id: string }).id;
    let sequence = 0;
    const event = (type: string, fields: Record<string, unknown>): Frame => ({
      event: type,
      data: { type, sequence_number: sequence++, ...fields },
    });
    const pending = { ...final, status: 'in_progress', output: [], usage: null };
    const part = { type: 'output_text', text: '', annotations: [], logprobs: [] };
    const frames: Frame[] = [
      event('response.created', { response: pending }),
      event('response.in_progress', { response: pending }),
      event('response.output_item.added', {
        output_index: 0,
        item: { id: item, type: 'message', status: 'in_progress', role: 'assistant', content: [] },
      }),
      event('response.content_part.added', { item_id: item, output_index: 0, content_index: 0, part }),
    ];
    for (const word of words(text)) {
      frames.push(
        event('response.output_text.delta', {
          item_id: item,
          output_index: 0,
          content_index: 0,
          delta: word,
          logprobs: [],
        }),
      );
    }
    frames.push(
      event('response.output_text.done', { item_id: item, output_index: 0, content_index: 0, text }),
    );
    frames.push(
      event('response.content_part.done', {
        item_id: item,
        output_index: 0,
        content_index: 0,
        part: { ...part, text },
      }),
    );
    frames.push(event('response.output_item.done', { output_index: 0, item: final.output[0] }));
    frames.push(event('response.completed', { response: final }));
    return frames;
  },
  error: openAIError,
};

function responseObject(body: Record<string, unknown>, text: string, status: string, usage: unknown) {
  return {
    id: id('resp_'),
    object: 'response',
    created_at: created(),
    status,
    error: null,
    incomplete_details: null,
    instructions: body.instructions ?? null,
    max_output_tokens: body.max_output_tokens ?? null,
    model: servedModel(body),
    output: [
      {
        type: 'message',
        id: id('msg_'),
        status: 'completed',
        role: 'assistant',
        content: [{ type: 'output_text', text, annotations: [], logprobs: [] }],
      },
    ],
    parallel_tool_calls: true,
    previous_response_id: null,
    reasoning: { effort: null, summary: null },
    store: true,
    temperature: 1,
    text: { format: { type: 'text' } },
    tool_choice: 'auto',
    tools: [],
    top_p: 1,
    truncation: 'disabled',
    usage,
    user: null,
    metadata: {},
  };
}

const messages: Route = {
  complete(body, reply) {
    const text = reply.text ?? DEFAULT_TEXT;
    return {
      id: id('msg_01'),
      type: 'message',
      role: 'assistant',
      model: String(body.model),
      content: [{ type: 'text', text }],
      stop_reason: 'end_turn',
      stop_sequence: null,
      usage: reply.usage ?? anthropicUsage(2095, words(text).length),
    };
  },
  events(body, reply) {
    const text = reply.text ?? DEFAULT_TEXT;
    const usage = (reply.usage ?? anthropicUsage(2095, words(text).length)) as Record<string, unknown>;
    const event = (type: string, fields: Record<string, unknown> = {}): Frame => ({
      event: type,
      data: { type, ...fields },
    });
    const frames: Frame[] = [
      event('message_start', {
        message: {
          id: id('msg_01'),
          type: 'message',
          role: 'assistant',
          model: String(body.model),
          content: [],
          stop_reason: null,
          stop_sequence: null,
          // At the start Anthropic reports the input counts and an output count of about one token.
          usage: { ...usage, output_tokens: 1 },
        },
      }),
      event('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }),
      event('ping'),
    ];
    for (const word of words(text)) {
      frames.push(event('content_block_delta', { index: 0, delta: { type: 'text_delta', text: word } }));
    }
    frames.push(event('content_block_stop', { index: 0 }));
    frames.push(
      event('message_delta', {
        delta: { stop_reason: 'end_turn', stop_sequence: null },
        usage: { output_tokens: usage.output_tokens },
      }),
    );
    frames.push(event('message_stop'));
    return frames;
  },
  error: (status) => ({
    type: 'error',
    error: {
      type: status >= 500 ? 'api_error' : 'invalid_request_error',
      message: status >= 500 ? 'Internal server error' : 'Invalid request',
    },
    request_id: id('req_011C'),
  }),
};

/** OpenAI embeddings usage: input only. */
export const embeddingsUsage = (prompt = 8) => ({ prompt_tokens: prompt, total_tokens: prompt });

const embeddings: Route = {
  complete(body, reply) {
    const inputs = Array.isArray(body.input) ? body.input : [body.input];
    return {
      object: 'list',
      data: inputs.map((_, index) => ({
        object: 'embedding',
        index,
        embedding: [0.0023064255, -0.009327292, 0.015797347],
      })),
      model: String(body.model),
      usage: reply.usage ?? embeddingsUsage(),
    };
  },
  events: () => [],
  error: openAIError,
};

function models(path: string) {
  const model = (id: string) => ({ id, object: 'model', created: 1715367049, owned_by: 'system' });
  const one = path.slice('/v1/models/'.length);
  return one
    ? model(decodeURIComponent(one))
    : { object: 'list', data: [model('gpt-4o-mini'), model('gpt-4o')] };
}

const ROUTES: Record<string, Route> = {
  '/v1/embeddings': embeddings,
  '/v1/chat/completions': chat,
  '/v1/responses': responses,
  '/v1/messages': messages,
};
