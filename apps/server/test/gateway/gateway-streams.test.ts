// Streams through the gateway under the things that go wrong (docs/api.md §12): a client that goes away mid-stream
// (the upstream call is aborted, what was generated is committed — never $0), the kill switch flipped on ANOTHER
// instance mid-generation (the stream ends within 1 s with the route's error frame, the partial cost is committed),
// 100 concurrent calls at the last dollar (holds never let them overspend), and Spendguard's own stores down (503 in
// the route's format, the provider never called).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { APIError as AnthropicAPIError } from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { DEFAULT_TEXT } from '../../../../packages/sdk/test/support/llm-upstream.js';
import { startBehindProxies } from '../engine/outage-helpers.js';
import { api, startSecondInstance, startTestServer, type TestServer } from '../harness.js';
import {
  ALLOW_PRIVATE,
  anthropicThrough,
  eventsOf,
  eventsSettled,
  gatewayTenant,
  type LLMUpstream,
  openAIThrough,
  startLLMUpstream,
} from './helpers.js';

const question = [{ role: 'user' as const, content: 'What is the capital of France?' }];
const WORDS = (DEFAULT_TEXT.match(/\S+\s*/g) ?? []).length;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('gateway streams across two instances (PostgreSQL + Redis)', () => {
  let a: TestServer;
  let b: TestServer;
  let upstream: LLMUpstream;

  before(async () => {
    upstream = await startLLMUpstream();
    a = await startTestServer({ env: ALLOW_PRIVATE });
    b = await startSecondInstance(a, { env: ALLOW_PRIVATE });
  });
  after(async () => {
    await b.close();
    await a.close();
    await upstream.close();
  });

  it('a client that aborts mid-stream aborts the upstream call and is charged for what was generated', async () => {
    const agent = await gatewayTenant(a, upstream, 'aborter');
    upstream.script({ chunkDelayMs: 60 });
    const index = upstream.requests.length;
    const stream = await openAIThrough(a, agent.ingestKey).chat.completions.create({
      model: 'gpt-4o-mini',
      messages: question,
      stream: true,
    });
    let seen = 0;
    for await (const _chunk of stream) {
      if (++seen === 4) break; // for-await's break aborts the request, as a client closing the tab does
    }
    const [event] = await eventsSettled(a, agent, 'aborter', 1);
    assert.ok(event, 'the partial call was committed');
    assert.ok((event.usage?.output_tokens ?? 0) >= 1, `output counted: ${JSON.stringify(event.usage)}`);
    assert.ok((event.usage?.output_tokens ?? 0) < WORDS + 5, 'not the full output');
    assert.ok(event.cost_micros > 0, 'never $0 for a call that produced output');
    await sleep(300);
    assert.ok((upstream.chunksWritten[index] ?? 0) < WORDS + 3, 'the provider stopped generating');
  });

  for (const provider of ['openai', 'anthropic'] as const) {
    it(`a suspend on the other instance ends a ${provider} stream within 1 s with an error frame`, async () => {
      const name = `killed-${provider}`;
      const agent = await gatewayTenant(a, upstream, name);
      upstream.script({ chunkDelayMs: 150 });
      const index = upstream.requests.length;
      let suspendedAt = 0;
      let endedAt = 0;
      let error: unknown = null;
      let text = '';
      const suspendSoon = async () => {
        suspendedAt = Date.now();
        const r = await api(b.url, `/v1/agents/${name}/suspend`, { key: agent.adminKey, body: {} });
        assert.equal(r.status, 200, JSON.stringify(r.body));
      };
      try {
        if (provider === 'openai') {
          const stream = await openAIThrough(a, agent.ingestKey).chat.completions.create({
            model: 'gpt-4o-mini',
            messages: question,
            stream: true,
          });
          let n = 0;
          for await (const chunk of stream) {
            text += chunk.choices[0]?.delta.content ?? '';
            if (++n === 3) void suspendSoon();
          }
        } else {
          const stream = await anthropicThrough(a, agent.ingestKey).messages.create({
            model: 'claude-sonnet-4-5',
            max_tokens: 1024,
            messages: question,
            stream: true,
          });
          let n = 0;
          for await (const event of stream) {
            if (event.type === 'content_block_delta' && event.delta.type === 'text_delta')
              text += event.delta.text;
            if (++n === 4) void suspendSoon();
          }
        }
      } catch (e) {
        error = e;
      }
      endedAt = Date.now();
      assert.ok(suspendedAt > 0, 'the suspend was sent mid-stream');
      assert.ok(
        endedAt - suspendedAt < 1_000,
        `the stream ended ${endedAt - suspendedAt} ms after the suspend`,
      );
      assert.ok(text.length < DEFAULT_TEXT.length, 'the generation was cut');
      if (provider === 'openai') {
        assert.ok(error instanceof OpenAI.APIError, `an APIError, got ${String(error)}`);
        assert.equal(error.code, 'agent_suspended');
      } else {
        assert.ok(error instanceof AnthropicAPIError, `an APIError, got ${String(error)}`);
        const body = error.error as { error?: { type?: string; spendguard?: { code?: string } } };
        assert.equal(body.error?.type, 'permission_error');
        assert.equal(body.error?.spendguard?.code, 'agent_suspended');
      }
      const [event] = await eventsSettled(a, agent, name, 1);
      assert.ok(event && event.cost_micros > 0, 'the partial output is committed');
      await sleep(400);
      assert.ok((upstream.chunksWritten[index] ?? 0) < WORDS + 3, 'the upstream call was aborted');
      // The next call is refused before the provider.
      const calls = upstream.requests.length;
      await assert.rejects(
        openAIThrough(b, agent.ingestKey).chat.completions.create({
          model: 'gpt-4o-mini',
          messages: question,
        }),
        (e) => e instanceof OpenAI.PermissionDeniedError && e.code === 'agent_suspended',
      );
      assert.equal(upstream.requests.length, calls);
    });
  }

  it('a limit crossed by another event (on the other instance) ends the stream too: the kill switch by a limit', async () => {
    const agent = await gatewayTenant(a, upstream, 'limit-flip', { month_usd: '1.00' });
    upstream.script({ chunkDelayMs: 150 });
    const stream = await openAIThrough(a, agent.ingestKey).chat.completions.create({
      model: 'gpt-4o-mini',
      messages: question,
      stream: true,
    });
    let flippedAt = 0;
    let error: unknown = null;
    try {
      let n = 0;
      for await (const _chunk of stream) {
        if (++n !== 3) continue;
        flippedAt = Date.now();
        const r = await api(b.url, '/v1/events', {
          key: agent.adminKey,
          headers: { 'idempotency-key': 'over-the-limit' },
          body: { agent: 'limit-flip', cost_usd: '2.00' },
        });
        assert.equal(r.status, 403, JSON.stringify(r.body));
      }
    } catch (e) {
      error = e;
    }
    assert.ok(flippedAt > 0);
    assert.ok(Date.now() - flippedAt < 1_000, `ended ${Date.now() - flippedAt} ms after the flip`);
    assert.ok(error instanceof OpenAI.APIError && error.code === 'agent_suspended', String(error));
    assert.equal((error.error as { reason?: string }).reason, 'budget_exceeded');
    const [event] = await eventsSettled(a, agent, 'limit-flip', 1);
    assert.ok(event && event.cost_micros > 0, 'the partial output is committed');
  });

  it('an instance shutting down ends its streams with a 503 frame and commits what they cost', async () => {
    const agent = await gatewayTenant(a, upstream, 'shutdown');
    const c = await startSecondInstance(a, { env: ALLOW_PRIVATE });
    upstream.script({ chunkDelayMs: 150 });
    const stream = await openAIThrough(c, agent.ingestKey).chat.completions.create({
      model: 'gpt-4o-mini',
      messages: question,
      stream: true,
    });
    let closing: Promise<void> | undefined;
    let error: unknown = null;
    const started = Date.now();
    try {
      let n = 0;
      for await (const _chunk of stream) if (++n === 3) closing = c.close();
    } catch (e) {
      error = e;
    }
    await closing;
    assert.ok(Date.now() - started < 3_000, 'the stream did not hold the shutdown');
    assert.ok(error instanceof OpenAI.APIError && error.code === 'unavailable', String(error));
    const [event] = await eventsSettled(a, agent, 'shutdown', 1);
    assert.ok(event && event.cost_micros > 0, 'committed before the instance stopped');
  });

  it('100 concurrent calls at the last dollar on two instances never overspend', async () => {
    // Each call holds its estimate (max_tokens 200 of gpt-4o: 2,000 micros of output alone); a 10,000-micro limit
    // holds only a few at once, and the real usage (46 output tokens) is committed.
    const agent = await gatewayTenant(a, upstream, 'last-dollar', { month_micros: 10_000 });
    upstream.script(...Array.from({ length: 100 }, () => ({ chunkDelayMs: 0 })));
    const calls = upstream.requests.length;
    const results = await Promise.allSettled(
      Array.from({ length: 100 }, (_, i) =>
        openAIThrough(i % 2 === 0 ? a : b, agent.ingestKey).chat.completions.create({
          model: 'gpt-4o',
          messages: question,
          max_tokens: 200,
        }),
      ),
    );
    const ok = results.filter((r) => r.status === 'fulfilled').length;
    const refused = results.filter(
      (r) =>
        r.status === 'rejected' &&
        r.reason instanceof OpenAI.PermissionDeniedError &&
        ['budget_exceeded', 'agent_suspended'].includes(String(r.reason.code)),
    ).length;
    assert.equal(ok + refused, 100, 'every call was answered or declined for the budget');
    assert.ok(ok >= 1 && refused >= 1, `${ok} accepted, ${refused} refused`);
    assert.equal(upstream.requests.length - calls, ok, 'exactly the accepted calls reached the provider');
    const events = await eventsSettled(a, agent, 'last-dollar', ok);
    assert.equal(events.length, ok);
    const spent = events.reduce((sum, e) => sum + e.cost_micros, 0);
    assert.ok(spent <= 10_000, `spent ${spent} of 10,000 micros`);
    const view = await api(a.url, '/v1/agents/last-dollar', { key: agent.adminKey });
    assert.equal(view.body.spend.month_micros, spent);
  });
});

describe('gateway with its stores down', () => {
  it('Redis or PostgreSQL down: 503 in the route format, quickly, and the provider is never called', async () => {
    const upstream = await startLLMUpstream();
    const proxied = await startBehindProxies(ALLOW_PRIVATE);
    try {
      const t = await gatewayTenant(proxied.server, upstream);
      // Warm the caches (key, agent, credential) so the outage is met by the decision, not by a lookup.
      await openAIThrough(proxied.server, t.ingestKey).chat.completions.create({
        model: 'gpt-4o-mini',
        messages: question,
      });
      const calls = upstream.requests.length;
      for (const proxy of [proxied.redisProxy, proxied.pgProxy]) {
        proxy.cut();
        const started = Date.now();
        await assert.rejects(
          openAIThrough(proxied.server, t.ingestKey).chat.completions.create({
            model: 'gpt-4o-mini',
            messages: question,
          }),
          (e) => {
            assert.ok(e instanceof OpenAI.APIError, String(e));
            assert.equal(e.status, 503);
            assert.equal(e.code, 'unavailable');
            assert.ok(e.headers?.get('retry-after'));
            return true;
          },
        );
        assert.ok(Date.now() - started < 5_000, 'a fast answer, not a hang');
        assert.equal(upstream.requests.length, calls, 'fail closed: the provider was not called');
        proxy.resume();
      }
      assert.equal((await eventsOf(proxied.server, t, t.agent)).length, 1);
    } finally {
      await proxied.close();
      await upstream.close();
    }
  });
});
