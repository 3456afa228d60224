// The LLM gateway with the official clients (docs/api.md §12): each route priced exactly as the same usage tracked
// directly, the provider key sent upstream and the Spendguard key never, streams passed through with the usage chunk
// hidden unless asked, declines before the provider, upstream errors passed through with the hold released.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import {
  anthropicUsage,
  DEFAULT_TEXT,
  embeddingsUsage,
  openAIUsage,
  responsesUsage,
} from '../../../../packages/sdk/test/support/llm-upstream.js';
import { api, startTestServer, type TestServer } from '../harness.js';
import {
  ALLOW_PRIVATE,
  ANTHROPIC_KEY,
  anthropicThrough,
  directPrice,
  eventsOf,
  eventsSettled,
  type GatewayTenant,
  gatewayTenant,
  type LLMUpstream,
  OPENAI_KEY,
  openAIThrough,
  startLLMUpstream,
} from './helpers.js';

const question = [{ role: 'user' as const, content: 'What is the capital of France?' }];
const words = (text: string) => text.match(/\S+\s*/g) ?? [];
const WORDS = words(DEFAULT_TEXT).length;

for (const variant of ['redis', 'embedded'] as const) {
  describe(`LLM gateway calls (${variant})`, () => {
    let server: TestServer;
    let upstream: LLMUpstream;
    let t: GatewayTenant;

    before(async () => {
      upstream = await startLLMUpstream();
      server = await startTestServer({ embedded: variant === 'embedded', env: ALLOW_PRIVATE });
      t = await gatewayTenant(server, upstream);
    });
    after(async () => {
      await server.close();
      await upstream.close();
    });

    const lastRequest = () => upstream.requests[upstream.requests.length - 1];

    it('a chat completion is priced exactly, with the provider key upstream and never the Spendguard key', async () => {
      const client = openAIThrough(server, t.ingestKey);
      const { data: completion, response } = await client.chat.completions
        .create({ model: 'gpt-4o-mini', messages: question })
        .withResponse();
      assert.equal(completion.choices[0]?.message.content, DEFAULT_TEXT);
      const sent = lastRequest();
      assert.equal(sent?.path, '/v1/chat/completions');
      assert.equal(sent?.headers.authorization, `Bearer ${OPENAI_KEY}`);
      assert.ok(
        !JSON.stringify(sent?.headers).includes(t.ingestKey),
        'the Spendguard key never reaches the provider',
      );
      const expected = await directPrice(
        server,
        t,
        'openai',
        'gpt-4o-mini-2024-07-18',
        openAIUsage(1117, WORDS),
      );
      assert.ok(expected > 0);
      assert.equal(response.headers.get('x-spendguard-cost-micros'), String(expected));
      const [event] = await eventsOf(server, t, t.agent);
      assert.equal(event?.cost_micros, expected);
      assert.deepEqual(event?.metadata, {
        gateway: true,
        provider: 'openai',
        model: completion.model,
        provider_request_id: completion.id,
      });
      assert.equal(event?.usage?.input_tokens, 1117);
      assert.equal(event?.usage?.cache_read_tokens, 1024);
    });

    it('a chat stream passes through; the usage chunk it did not ask for is hidden, and it is still priced', async () => {
      const before = (await eventsOf(server, t, t.agent)).length;
      const client = openAIThrough(server, t.ingestKey);
      const stream = await client.chat.completions.create({
        model: 'gpt-4o-mini',
        messages: question,
        stream: true,
      });
      let text = '';
      let chunks = 0;
      for await (const chunk of stream) {
        chunks++;
        assert.ok(chunk.choices.length > 0, 'no usage-only chunk reaches a client that did not ask for it');
        text += chunk.choices[0]?.delta.content ?? '';
      }
      assert.equal(text, DEFAULT_TEXT);
      assert.equal(chunks, WORDS + 2);
      assert.deepEqual(lastRequest()?.body.stream_options, { include_usage: true });
      const expected = await directPrice(
        server,
        t,
        'openai',
        'gpt-4o-mini-2024-07-18',
        openAIUsage(1117, WORDS),
      );
      const events = await eventsSettled(server, t, t.agent, before + 1);
      assert.equal(events[0]?.cost_micros, expected);
    });

    it('a chat stream that asked for usage gets its usage chunk', async () => {
      const client = openAIThrough(server, t.ingestKey);
      const stream = await client.chat.completions.create({
        model: 'gpt-4o-mini',
        messages: question,
        stream: true,
        stream_options: { include_usage: true },
      });
      let usage: unknown = null;
      for await (const chunk of stream) if (chunk.usage) usage = chunk.usage;
      assert.deepEqual(usage, openAIUsage(1117, WORDS));
    });

    it('responses, streamed and not, are priced from their usage', async () => {
      const client = openAIThrough(server, t.ingestKey);
      const response = await client.responses.create({ model: 'gpt-4o-mini', input: 'Capital of France?' });
      assert.equal(response.output_text, DEFAULT_TEXT);
      const expected = await directPrice(
        server,
        t,
        'openai',
        'gpt-4o-mini-2024-07-18',
        responsesUsage(1117, WORDS),
      );
      let events = await eventsOf(server, t, t.agent);
      assert.equal(events[0]?.cost_micros, expected);
      assert.equal(events[0]?.metadata?.provider_request_id, response.id);

      const stream = await client.responses.create({
        model: 'gpt-4o-mini',
        input: 'Capital of France?',
        stream: true,
      });
      let text = '';
      for await (const event of stream) if (event.type === 'response.output_text.delta') text += event.delta;
      assert.equal(text, DEFAULT_TEXT);
      events = await eventsSettled(server, t, t.agent, events.length + 1);
      assert.equal(events[0]?.cost_micros, expected);
    });

    it('Anthropic messages, streamed and not, are priced with cache reads and writes', async () => {
      const client = anthropicThrough(server, t.ingestKey);
      const message = await client.messages.create({
        model: 'claude-sonnet-4-5',
        max_tokens: 1024,
        messages: question,
      });
      assert.equal(message.content[0]?.type === 'text' ? message.content[0].text : '', DEFAULT_TEXT);
      const sent = lastRequest();
      assert.equal(sent?.path, '/v1/messages');
      assert.equal(sent?.headers['x-api-key'], ANTHROPIC_KEY);
      assert.ok(!JSON.stringify(sent?.headers).includes(t.ingestKey));
      const expected = await directPrice(
        server,
        t,
        'anthropic',
        'claude-sonnet-4-5',
        anthropicUsage(2095, WORDS),
      );
      let events = await eventsOf(server, t, t.agent);
      assert.equal(events[0]?.cost_micros, expected);
      assert.equal(events[0]?.usage?.input_tokens, 2095 + 4000 + 120);

      const stream = client.messages.stream({
        model: 'claude-sonnet-4-5',
        max_tokens: 1024,
        messages: question,
      });
      const final = await stream.finalMessage();
      assert.equal(final.usage.output_tokens, WORDS);
      events = await eventsSettled(server, t, t.agent, events.length + 1);
      assert.equal(events[0]?.cost_micros, expected);
    });

    it('embeddings are priced from their input tokens; models are listed through the gateway', async () => {
      const client = openAIThrough(server, t.ingestKey);
      const result = await client.embeddings.create({
        model: 'text-embedding-3-small',
        input: ['one', 'two'],
      });
      assert.equal(result.data.length, 2);
      const expected = await directPrice(server, t, 'openai', 'text-embedding-3-small', embeddingsUsage());
      const events = await eventsOf(server, t, t.agent);
      assert.equal(events[0]?.cost_micros, expected);
      const models = await client.models.list();
      assert.deepEqual(
        models.data.map((m) => m.id),
        ['gpt-4o-mini', 'gpt-4o'],
      );
    });

    it('a decline is a 403 in each wire format before the provider is called, and not retried', async () => {
      const blocked = await gatewayTenant(server, upstream, 'tiny-budget', { month_micros: 1 });
      const calls = upstream.requests.length;
      const openai = openAIThrough(server, blocked.ingestKey, { maxRetries: 2 });
      await assert.rejects(
        openai.chat.completions.create({ model: 'gpt-4o-mini', messages: question }),
        (error) => {
          assert.ok(error instanceof OpenAI.PermissionDeniedError, String(error));
          assert.equal(error.status, 403);
          assert.equal(error.code, 'budget_exceeded');
          assert.equal((error.error as { scope?: string }).scope, 'agent');
          return true;
        },
      );
      const anthropic = anthropicThrough(server, blocked.ingestKey, { maxRetries: 2 });
      await assert.rejects(
        anthropic.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 100, messages: question }),
        (error) => {
          assert.ok(error instanceof Anthropic.PermissionDeniedError, String(error));
          const body = error.error as { error?: { type?: string; spendguard?: { code?: string } } };
          assert.equal(body.error?.type, 'permission_error');
          assert.equal(body.error?.spendguard?.code, 'budget_exceeded');
          return true;
        },
      );
      assert.equal(upstream.requests.length, calls, 'the provider was never called');
    });

    it('an unknown key is 401 in the wire format; an unknown model is 422 and the provider is not called', async () => {
      const calls = upstream.requests.length;
      await assert.rejects(
        openAIThrough(server, 'sg_ingest_nope').chat.completions.create({
          model: 'gpt-4o-mini',
          messages: question,
        }),
        (error) => error instanceof OpenAI.AuthenticationError,
      );
      await assert.rejects(
        openAIThrough(server, t.ingestKey).chat.completions.create({
          model: 'no-such-model-xyz',
          messages: question,
        }),
        (error) => error instanceof OpenAI.UnprocessableEntityError && error.code === 'unknown_model',
      );
      assert.equal(upstream.requests.length, calls);
    });

    it('an answer without usage is charged its held estimate, never $0; our request id travels beside the provider’s', async () => {
      upstream.script({ omitUsage: true });
      const { data, response } = await openAIThrough(server, t.ingestKey)
        .chat.completions.create({ model: 'gpt-4o-mini', messages: question, max_tokens: 100 })
        .withResponse();
      assert.equal(data.usage, undefined);
      const [event] = await eventsOf(server, t, t.agent);
      const held = await api(server.url, `/v1/reservations/${event?.reservation_id}`, { key: t.adminKey });
      assert.ok((event?.cost_micros ?? 0) > 0);
      assert.equal(event?.cost_micros, held.body.reservation.amount_micros, 'the estimate that was held');
      assert.match(
        response.headers.get('x-request-id') ?? '',
        /^req_/,
        'the provider’s request id passes through',
      );
      assert.ok(response.headers.get('x-spendguard-request-id'), 'Spendguard’s own id is beside it');
    });

    it('an output limit beyond the model’s context window holds only the window; background responses are refused', async () => {
      const client = openAIThrough(server, t.ingestKey);
      await client.chat.completions.create({
        model: 'gpt-4o-mini',
        messages: question,
        max_tokens: 5_000_000,
      });
      const [event] = await eventsOf(server, t, t.agent);
      const held = await api(server.url, `/v1/reservations/${event?.reservation_id}`, { key: t.adminKey });
      // gpt-4o-mini: 128,000 tokens of context at 0.60 USD per million output tokens.
      assert.ok(
        held.body.reservation.amount_micros < 128_000 * 0.6 + 10_000,
        JSON.stringify(held.body.reservation),
      );
      const calls = upstream.requests.length;
      await assert.rejects(
        client.responses.create({ model: 'gpt-4o-mini', input: 'later', background: true }),
        (e) => e instanceof OpenAI.BadRequestError && /background/.test(e.message),
      );
      assert.equal(upstream.requests.length, calls);
    });

    it('upstream errors pass through with their status and body, and release the hold', async () => {
      const client = openAIThrough(server, t.ingestKey);
      const before = (await eventsOf(server, t, t.agent)).length;
      upstream.script(
        { errorStatus: 500 },
        { errorStatus: 400 },
        { errorStatus: 429, headers: { 'retry-after': '7' } },
      );
      await assert.rejects(
        client.chat.completions.create({ model: 'gpt-4o-mini', messages: question }),
        (error) => {
          assert.ok(error instanceof OpenAI.InternalServerError);
          assert.equal((error.error as { type?: string }).type, 'server_error');
          return true;
        },
      );
      await assert.rejects(
        client.chat.completions.create({ model: 'gpt-4o-mini', messages: question }),
        (error) => error instanceof OpenAI.BadRequestError,
      );
      await assert.rejects(
        client.chat.completions.create({ model: 'gpt-4o-mini', messages: question }),
        (error) => {
          assert.ok(error instanceof OpenAI.RateLimitError);
          assert.equal(error.headers?.get('retry-after'), '7');
          return true;
        },
      );
      assert.equal((await eventsOf(server, t, t.agent)).length, before, 'nothing charged');
      const held = await api(server.url, `/v1/reservations?agent=${t.agent}&status=held`, {
        key: t.adminKey,
      });
      assert.equal(held.body.data.length, 0, 'every hold was released');
    });
  });
}
