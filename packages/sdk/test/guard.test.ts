// The guarded LLM clients with the REAL `openai` and `@anthropic-ai/sdk` packages, pointed at a local upstream that
// speaks their wire formats, and a scripted Spendguard: what is held before each call (the estimate, the
// fingerprint), what is committed after it, and that a refusal stops the call before the provider sees it.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import { encode } from 'gpt-tokenizer';
import OpenAI from 'openai';
import {
  BudgetExceededError,
  DEFAULT_MAX_OUTPUT_TOKENS,
  guardAnthropic,
  guardOpenAI,
  LoopDetectedError,
  PER_MESSAGE_TOKENS,
  PER_REQUEST_TOKENS,
  Spendguard,
} from '../src/index.js';
import { DEFAULT_TEXT, type LLMUpstream, startLLMUpstream } from './support/llm-upstream.js';
import {
  errorBody,
  type Reply,
  type ScriptedServer,
  startScriptedServer,
  trackResponse,
} from './support/scripted-server.js';

const reservation = {
  reservation: {
    id: 'rsv_1',
    agent: 'bot',
    amount_micros: 5_000,
    status: 'held',
    expires_at: '2026-11-25T10:05:00Z',
  },
  budget: { agent: {}, customer: {} },
};

let spendguard: ScriptedServer;
let upstream: LLMUpstream;
let sg: Spendguard;
/** What the scripted Spendguard answers a reservation with (a refusal when a test sets one). */
let reserveReply: Reply;

beforeEach(async () => {
  reserveReply = { status: 201, body: reservation };
  spendguard = await startScriptedServer((request) => {
    if (request.path === '/v1/reservations') return reserveReply;
    if (request.path.endsWith('/commit')) return { status: 201, body: trackResponse };
    return { status: 200, body: { reservation: { ...reservation.reservation, status: 'released' } } };
  });
  upstream = await startLLMUpstream();
  sg = new Spendguard({ apiKey: 'sg_ingest_test', baseUrl: spendguard.url, retryBaseDelayMs: 1 });
});

afterEach(async () => {
  await spendguard.close();
  await upstream.close();
});

const openai = () => new OpenAI({ apiKey: 'sk-test', baseURL: `${upstream.url}/v1`, maxRetries: 0 });
const anthropic = () => new Anthropic({ apiKey: 'sk-ant-test', baseURL: upstream.url, maxRetries: 0 });

const calls = () => spendguard.requests.map((r) => r.path.replace(/rsv_1/, ':id'));
const reserveBody = (n = 0) =>
  spendguard.requests.filter((r) => r.path === '/v1/reservations')[n]?.body as Record<string, unknown>;
const commitBody = (n = 0) =>
  spendguard.requests.filter((r) => r.path.endsWith('/commit'))[n]?.body as {
    usage: Record<string, unknown> & { raw?: Record<string, unknown> };
  };

const question = [
  { role: 'system' as const, content: 'Be brief.' },
  { role: 'user' as const, content: 'What is the capital of France?' },
];
/** The documented default estimate: UTF-8 bytes of the text + 4 per message + 3 per request. */
const byteEstimate = (texts: string[]) =>
  Buffer.byteLength(texts.join('\n')) + texts.length * PER_MESSAGE_TOKENS + PER_REQUEST_TOKENS;

describe('guardOpenAI — chat.completions.create', () => {
  it('holds the estimate, calls OpenAI, commits its usage object as it came, and returns the completion', async () => {
    const client = openai();
    const guarded = guardOpenAI(client, { sg, agent: 'bot', run: 'task-1' });
    const completion = await guarded.chat.completions.create({ model: 'gpt-4o-mini', messages: question });
    assert.equal(completion.choices[0]?.message.content, DEFAULT_TEXT);
    assert.deepEqual(calls(), ['/v1/reservations', '/v1/reservations/:id/commit']);
    const held = reserveBody();
    assert.deepEqual(held.estimate, {
      provider: 'openai',
      model: 'gpt-4o-mini',
      input_tokens: byteEstimate(['Be brief.', 'What is the capital of France?']),
      max_output_tokens: DEFAULT_MAX_OUTPUT_TOKENS,
    });
    assert.equal(held.agent, 'bot');
    assert.equal(held.run, 'task-1');
    assert.match(String(held.fingerprint), /^[0-9a-f]{64}$/);
    assert.deepEqual(commitBody().usage, { provider: 'openai', model: 'gpt-4o-mini', raw: completion.usage });
    assert.equal(commitBody().usage.raw?.prompt_tokens, 1117);
    assert.equal(upstream.requests.length, 1);
    assert.notEqual(guarded, client, 'a view: the client passed in stays unguarded');
    await client.chat.completions.create({ model: 'gpt-4o-mini', messages: question });
    assert.equal(spendguard.requests.length, 2, 'the original client is not guarded');
  });

  it('holds max_completion_tokens (or max_tokens) for each of n choices', async () => {
    const guarded = guardOpenAI(openai(), { sg, agent: 'bot' });
    await guarded.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: question,
      max_completion_tokens: 300,
      n: 2,
    });
    await guarded.chat.completions.create({ model: 'gpt-4o-mini', messages: question, max_tokens: 77 });
    assert.equal((reserveBody(0).estimate as { max_output_tokens: number }).max_output_tokens, 600);
    assert.equal((reserveBody(1).estimate as { max_output_tokens: number }).max_output_tokens, 77);
  });

  it('counts with a plugged tokenizer (gpt-tokenizer) instead of bytes', async () => {
    const seen: string[] = [];
    const guarded = guardOpenAI(openai(), {
      sg,
      agent: 'bot',
      countTokens: (text, model) => {
        seen.push(model);
        return encode(text).length;
      },
    });
    await guarded.chat.completions.create({ model: 'gpt-4o-mini', messages: question });
    const expected =
      encode('Be brief.\nWhat is the capital of France?').length +
      2 * PER_MESSAGE_TOKENS +
      PER_REQUEST_TOKENS;
    const input = (reserveBody().estimate as { input_tokens: number }).input_tokens;
    assert.equal(input, expected);
    assert.ok(input < byteEstimate(['Be brief.', 'What is the capital of France?']), 'tighter than bytes');
    assert.deepEqual(seen, ['gpt-4o-mini']);
  });

  it('counts tools as JSON and images at a flat allowance, never their base64 bytes', async () => {
    const guarded = guardOpenAI(openai(), { sg, agent: 'bot' });
    const tools = [
      { type: 'function' as const, function: { name: 'lookup', parameters: { type: 'object' } } },
    ];
    await guarded.chat.completions.create({
      model: 'gpt-4o-mini',
      tools,
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What is this?' },
            { type: 'image_url', image_url: { url: `data:image/png;base64,${'A'.repeat(100_000)}` } },
          ],
        },
      ],
    });
    const input = (reserveBody().estimate as { input_tokens: number }).input_tokens;
    const expected = Buffer.byteLength(`What is this?\n${JSON.stringify(tools)}`) + 4 + 3 + 1_600;
    assert.equal(input, expected);
  });

  it('fingerprints model + messages independent of key order; fingerprint: false sends none', async () => {
    const guarded = guardOpenAI(openai(), { sg, agent: 'bot' });
    await guarded.chat.completions.create({ model: 'gpt-4o-mini', messages: question, temperature: 0 });
    const reordered = question.map(({ role, content }) => ({ content, role }));
    await guarded.chat.completions.create({ messages: reordered, model: 'gpt-4o-mini' });
    await guarded.chat.completions.create({ model: 'gpt-4o', messages: question });
    const [a, b, c] = [0, 1, 2].map((n) => reserveBody(n).fingerprint);
    assert.equal(a, b);
    assert.notEqual(a, c);
    const unprinted = guardOpenAI(openai(), { sg, agent: 'bot', fingerprint: false });
    await unprinted.chat.completions.create({ model: 'gpt-4o-mini', messages: question });
    assert.equal('fingerprint' in reserveBody(3), false);
    const chosen = guardOpenAI(openai(), { sg, agent: 'bot', fingerprint: (r) => `task:${String(r.model)}` });
    await chosen.chat.completions.create({ model: 'gpt-4o-mini', messages: question });
    assert.equal(reserveBody(4).fingerprint, 'task:gpt-4o-mini');
  });

  it('a refusal throws the SDK’s typed error and OpenAI is never called', async () => {
    const guarded = guardOpenAI(openai(), { sg, agent: 'bot' });
    reserveReply = {
      status: 403,
      body: errorBody('budget_exceeded', {
        scope: 'agent',
        period: 'month',
        limit_micros: 1,
        spent_micros: 1,
      }),
    };
    await assert.rejects(
      guarded.chat.completions.create({ model: 'gpt-4o-mini', messages: question }),
      BudgetExceededError,
    );
    reserveReply = {
      status: 403,
      body: errorBody('loop_detected', { fingerprint: 'f', count: 3, window_seconds: 60 }),
    };
    await assert.rejects(
      guarded.chat.completions.create({ model: 'gpt-4o-mini', messages: question }),
      (error) => {
        assert.ok(error instanceof LoopDetectedError);
        assert.equal(error.count, 3);
        return true;
      },
    );
    assert.equal(upstream.requests.length, 0);
  });

  it('an upstream error releases the hold and rethrows OpenAI’s own error', async () => {
    const guarded = guardOpenAI(openai(), { sg, agent: 'bot' });
    upstream.script({ errorStatus: 500 });
    await assert.rejects(
      guarded.chat.completions.create({ model: 'gpt-4o-mini', messages: question }),
      (error) => {
        assert.ok(error instanceof OpenAI.InternalServerError, `got ${String(error)}`);
        assert.equal(error.status, 500);
        return true;
      },
    );
    assert.deepEqual(calls(), ['/v1/reservations', '/v1/reservations/:id/release']);
  });

  it('keeps withResponse(): the data, the raw response and the request id', async () => {
    const guarded = guardOpenAI(openai(), { sg, agent: 'bot' });
    const { data, response, request_id } = await guarded.chat.completions
      .create({ model: 'gpt-4o-mini', messages: question })
      .withResponse();
    assert.equal(data.choices[0]?.message.content, DEFAULT_TEXT);
    assert.equal(response.status, 200);
    assert.match(String(request_id), /^req_/);
    assert.equal(calls().length, 2);
  });
});

describe('guardOpenAI — streamed chat', () => {
  async function collect(stream: AsyncIterable<OpenAI.ChatCompletionChunk>) {
    const chunks: OpenAI.ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    return chunks;
  }

  it('asks for the usage, hides the usage-only chunk from a caller who did not ask, and commits it', async () => {
    const guarded = guardOpenAI(openai(), { sg, agent: 'bot' });
    const stream = await guarded.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: question,
      stream: true,
    });
    assert.equal(typeof stream.controller.abort, 'function', 'still the client’s Stream');
    const chunks = await collect(stream);
    assert.equal(chunks.map((c) => c.choices[0]?.delta.content ?? '').join(''), DEFAULT_TEXT);
    assert.ok(
      chunks.every((c) => c.choices.length > 0),
      'no usage-only chunk reached the caller',
    );
    assert.deepEqual(upstream.requests[0]?.body.stream_options, { include_usage: true });
    const raw = commitBody().usage.raw;
    assert.equal(raw?.prompt_tokens, 1117);
    assert.equal(raw?.completion_tokens, 11);
    assert.deepEqual(raw?.prompt_tokens_details, { cached_tokens: 1024, audio_tokens: 0 });
  });

  it('shows the usage chunk to a caller who asked for it', async () => {
    const guarded = guardOpenAI(openai(), { sg, agent: 'bot' });
    const stream = await guarded.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: question,
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks = await collect(stream);
    const last = chunks.at(-1);
    assert.deepEqual(last?.choices, []);
    assert.deepEqual(commitBody().usage.raw, last?.usage);
  });

  it('a caller who breaks out early commits the input estimate and the output received (> 0), once', async () => {
    const guarded = guardOpenAI(openai(), { sg, agent: 'bot' });
    upstream.script({ chunkDelayMs: 20 });
    const stream = await guarded.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: question,
      stream: true,
    });
    let received = '';
    for await (const chunk of stream) {
      received += chunk.choices[0]?.delta.content ?? '';
      if (received.length > 10) break;
    }
    assert.deepEqual(calls(), ['/v1/reservations', '/v1/reservations/:id/commit']);
    const { usage } = commitBody();
    assert.equal(usage.raw, undefined);
    assert.equal(usage.input_tokens, (reserveBody().estimate as { input_tokens: number }).input_tokens);
    assert.equal(usage.output_tokens, Buffer.byteLength(received));
    assert.ok(Number(usage.output_tokens) > 0);
  });

  it('controller.abort() mid-stream commits what was generated', async () => {
    const guarded = guardOpenAI(openai(), { sg, agent: 'bot' });
    upstream.script({ chunkDelayMs: 20 });
    const stream = await guarded.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: question,
      stream: true,
    });
    let received = '';
    for await (const chunk of stream) {
      received += chunk.choices[0]?.delta.content ?? '';
      if (received.length > 10) stream.controller.abort();
    }
    await waitFor(() => calls().length === 2);
    assert.ok(Number(commitBody().usage.output_tokens) >= Buffer.byteLength(received));
    assert.ok(upstream.chunksWritten[0]! < 14, 'the upstream stopped');
  });

  it('chat.completions.stream() and .parse() go through the guard too', async () => {
    const guarded = guardOpenAI(openai(), { sg, agent: 'bot' });
    const runner = guarded.chat.completions.stream({ model: 'gpt-4o-mini', messages: question });
    const final = await runner.finalChatCompletion();
    assert.equal(final.choices[0]?.message.content, DEFAULT_TEXT);
    const parsed = await guarded.chat.completions.parse({ model: 'gpt-4o-mini', messages: question });
    assert.equal(parsed.choices[0]?.message.content, DEFAULT_TEXT);
    assert.deepEqual(calls(), [
      '/v1/reservations',
      '/v1/reservations/:id/commit',
      '/v1/reservations',
      '/v1/reservations/:id/commit',
    ]);
    assert.equal(commitBody(0).usage.raw?.prompt_tokens, 1117);
  });
});

describe('guardOpenAI — responses.create', () => {
  it('non-streamed and streamed: holds max_output_tokens and commits the responses usage', async () => {
    const guarded = guardOpenAI(openai(), { sg, agent: 'bot' });
    const response = await guarded.responses.create({
      model: 'gpt-4o-mini',
      instructions: 'Be brief.',
      input: 'What is the capital of France?',
      max_output_tokens: 500,
    });
    assert.equal(response.output_text, DEFAULT_TEXT);
    assert.deepEqual(reserveBody().estimate, {
      provider: 'openai',
      model: 'gpt-4o-mini',
      input_tokens: byteEstimate(['Be brief.', 'What is the capital of France?']),
      max_output_tokens: 500,
    });
    assert.deepEqual(commitBody().usage.raw, response.usage);
    const stream = await guarded.responses.create({ model: 'gpt-4o-mini', input: 'Hi', stream: true });
    let text = '';
    for await (const event of stream) if (event.type === 'response.output_text.delta') text += event.delta;
    assert.equal(text, DEFAULT_TEXT);
    assert.equal(commitBody(1).usage.raw?.input_tokens, 1117);
    assert.deepEqual(commitBody(1).usage.raw?.input_tokens_details, { cached_tokens: 1024 });
  });
});

describe('guardOpenAI — the clients’ helpers', () => {
  it('responses.stream(), responses.parse() and chat.completions.runTools() are guarded', async () => {
    const guarded = guardOpenAI(openai(), { sg, agent: 'bot' });
    const streamed = await guarded.responses.stream({ model: 'gpt-4o-mini', input: 'Hi' }).finalResponse();
    assert.equal(streamed.output_text, DEFAULT_TEXT);
    const parsed = await guarded.responses.parse({ model: 'gpt-4o-mini', input: 'Hi' });
    assert.equal(parsed.output_text, DEFAULT_TEXT);
    const runner = guarded.chat.completions.runTools({
      model: 'gpt-4o-mini',
      messages: question,
      tools: [
        {
          type: 'function',
          function: {
            name: 'noop',
            description: 'does nothing',
            parameters: { type: 'object', properties: {} },
            function: () => 'ok',
            parse: JSON.parse,
          },
        },
      ],
    });
    assert.equal(await runner.finalContent(), DEFAULT_TEXT);
    assert.equal(calls().filter((path) => path === '/v1/reservations').length, 3);
    assert.equal(calls().filter((path) => path.endsWith('/commit')).length, 3);
    assert.equal(upstream.requests.length, 3);
  });
});

describe('guardAnthropic — messages', () => {
  const request = {
    model: 'claude-sonnet-4-5',
    max_tokens: 1024,
    system: 'Be brief.',
    messages: [{ role: 'user' as const, content: 'What is the capital of France?' }],
  };

  it('holds max_tokens, commits Anthropic’s usage object as it came', async () => {
    const guarded = guardAnthropic(anthropic(), { sg, agent: 'bot' });
    const message = await guarded.messages.create(request);
    assert.equal(message.content[0]?.type === 'text' && message.content[0].text, DEFAULT_TEXT);
    assert.deepEqual(reserveBody().estimate, {
      provider: 'anthropic',
      model: 'claude-sonnet-4-5',
      input_tokens: byteEstimate(['Be brief.', 'What is the capital of France?']),
      max_output_tokens: 1024,
    });
    assert.deepEqual(commitBody().usage, {
      provider: 'anthropic',
      model: 'claude-sonnet-4-5',
      raw: message.usage,
    });
    assert.equal(commitBody().usage.raw?.cache_read_input_tokens, 4000);
  });

  it('streamed: input usage from message_start, output from message_delta', async () => {
    const guarded = guardAnthropic(anthropic(), { sg, agent: 'bot' });
    const stream = await guarded.messages.create({ ...request, stream: true });
    let text = '';
    for await (const event of stream) {
      if (event.type === 'content_block_delta' && event.delta.type === 'text_delta') text += event.delta.text;
    }
    assert.equal(text, DEFAULT_TEXT);
    const raw = commitBody().usage.raw;
    assert.equal(raw?.input_tokens, 2095);
    assert.equal(raw?.cache_read_input_tokens, 4000);
    assert.equal(raw?.cache_creation_input_tokens, 120);
    assert.equal(raw?.output_tokens, 11, 'the final count of message_delta, not message_start’s 1');
  });

  it('a stream broken off early commits the input counts and at least the output received', async () => {
    const guarded = guardAnthropic(anthropic(), { sg, agent: 'bot' });
    upstream.script({ chunkDelayMs: 15 });
    const stream = await guarded.messages.create({ ...request, stream: true });
    let text = '';
    for await (const event of stream) {
      if (event.type === 'content_block_delta' && event.delta.type === 'text_delta') text += event.delta.text;
      if (text.length > 10) break;
    }
    const raw = commitBody().usage.raw;
    assert.equal(raw?.input_tokens, 2095, 'message_start’s real input count');
    assert.equal(raw?.output_tokens, Buffer.byteLength(text));
  });

  it('messages.stream() goes through the guard; a refusal stops it before Anthropic is called', async () => {
    const guarded = guardAnthropic(anthropic(), { sg, agent: 'bot' });
    const final = await guarded.messages.stream(request).finalMessage();
    assert.equal(final.usage.output_tokens, 11);
    assert.equal(commitBody().usage.raw?.output_tokens, 11);
    reserveReply = { status: 403, body: errorBody('agent_suspended', { reason: 'manual' }) };
    await assert.rejects(guarded.messages.create(request), (error) => error instanceof Error);
    // messages.stream() wraps errors that are not Anthropic's in an AnthropicError; the SDK's is its cause.
    await assert.rejects(guarded.messages.stream(request).finalMessage(), (error: Error) => {
      assert.equal((error.cause as Error).name, 'AgentSuspendedError');
      return true;
    });
    assert.equal(upstream.requests.length, 1);
  });

  it('an upstream 500 releases the hold and rethrows Anthropic’s error', async () => {
    const guarded = guardAnthropic(anthropic(), { sg, agent: 'bot' });
    upstream.script({ errorStatus: 500 });
    await assert.rejects(guarded.messages.create(request), Anthropic.InternalServerError);
    assert.deepEqual(calls(), ['/v1/reservations', '/v1/reservations/:id/release']);
  });
});

describe('guard options', () => {
  it('fail at wrap time without sg or agent', () => {
    // @ts-expect-error agent is required
    assert.throws(() => guardOpenAI(openai(), { sg }), TypeError);
    // @ts-expect-error sg is required
    assert.throws(() => guardAnthropic(anthropic(), { agent: 'bot' }), TypeError);
  });

  it('keep the client’s type and everything not guarded', () => {
    const client = openai();
    const guarded: OpenAI = guardOpenAI(client, { sg, agent: 'bot' });
    assert.equal(guarded.baseURL, client.baseURL);
    assert.equal(typeof guarded.models.list, 'function');
    assert.ok('chat' in guarded);
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 2_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > until) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
