// The guarded LLM clients end to end: the REAL `openai` / `@anthropic-ai/sdk` clients, pointed at the local upstream,
// guarded by a REAL Spendguard server (fresh database from the server's test harness). Every assertion is about what
// the server counted: the committed cost is compared with what the server prices for the very usage the upstream
// returned (tracked on another agent), never with a number written down here.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { signupAndAdminKey, startTestServer } from '../../../apps/server/test/harness.js';
import {
  AgentSuspendedError,
  BudgetExceededError,
  guardAnthropic,
  guardOpenAI,
  LoopDetectedError,
  type SpendEvent,
  Spendguard,
} from '../src/index.js';
import { type LLMUpstream, startLLMUpstream } from './support/llm-upstream.js';

const fast = { retryBaseDelayMs: 10, retryMaxDelayMs: 2_000 };

const deployments = [
  { name: 'PostgreSQL + Redis', options: { redis: true } },
  { name: 'embedded (PGlite, in-process counters)', options: { embedded: true } },
];

const question = [
  { role: 'system' as const, content: 'Be brief.' },
  { role: 'user' as const, content: 'What is the capital of France?' },
];
const claude = {
  model: 'claude-sonnet-4-5',
  max_tokens: 1024,
  system: 'Be brief.',
  messages: [{ role: 'user' as const, content: 'What is the capital of France?' }],
};

for (const deployment of deployments)
  describe(`guarded LLM clients against a real server — ${deployment.name}`, () => {
    let server: { url: string; close(): Promise<void> };
    let adminKey: string;
    let sg: Spendguard;
    let upstream: LLMUpstream;

    before(async () => {
      server = await startTestServer(deployment.options);
      ({ adminKey } = await signupAndAdminKey(server.url));
      sg = new Spendguard({ apiKey: adminKey, baseUrl: server.url, ...fast });
    });
    after(async () => {
      await server?.close();
    });
    beforeEach(async () => {
      upstream = await startLLMUpstream();
    });
    afterEach(async () => {
      await upstream.close();
    });

    const uniqueAgent = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;
    const openai = () => new OpenAI({ apiKey: 'sk-test', baseURL: `${upstream.url}/v1`, maxRetries: 0 });
    const anthropic = () => new Anthropic({ apiKey: 'sk-ant-test', baseURL: upstream.url, maxRetries: 0 });

    async function events(agent: string): Promise<SpendEvent[]> {
      const response = await fetch(`${server.url}/v1/events?agent=${encodeURIComponent(agent)}`, {
        headers: { authorization: `Bearer ${adminKey}` },
      });
      assert.equal(response.status, 200);
      return ((await response.json()) as { data: SpendEvent[] }).data;
    }

    /** What the server charges for `raw` when it is tracked directly, on an agent of its own. */
    async function priceOf(provider: string, model: string, raw: Record<string, unknown>): Promise<number> {
      const tracked = await sg.track({ agent: uniqueAgent('reference'), usage: { provider, model, raw } });
      return tracked.event.cost_micros;
    }

    /** The one event of `agent`: a committed reservation, priced from usage. */
    async function theEvent(agent: string): Promise<SpendEvent> {
      const list = await events(agent);
      assert.equal(list.length, 1, 'one event');
      const [event] = list;
      assert.equal(event?.status, 'accepted');
      assert.ok(event?.reservation_id, 'recorded by a commit');
      return event!;
    }

    it('OpenAI chat, not streamed: the commit is priced from OpenAI’s usage exactly', async () => {
      const agent = uniqueAgent('openai');
      const guarded = guardOpenAI(openai(), { sg, agent });
      const completion = await guarded.chat.completions.create({ model: 'gpt-4o-mini', messages: question });
      const event = await theEvent(agent);
      const raw = completion.usage as unknown as Record<string, unknown>;
      assert.equal(event.cost_micros, await priceOf('openai', 'gpt-4o-mini', raw));
      assert.ok(event.cost_micros > 0);
      assert.equal(event.usage?.input_tokens, completion.usage?.prompt_tokens);
      assert.equal(event.usage?.cache_read_tokens, completion.usage?.prompt_tokens_details?.cached_tokens);
      assert.equal(event.usage?.output_tokens, completion.usage?.completion_tokens);
      assert.equal((await sg.agent(agent)).spend.month_micros, event.cost_micros);
      const [hold] = (await sg.reservations.list({ agent })).data;
      assert.equal(hold?.status, 'committed');
    });

    it('OpenAI chat, streamed: the caller never sees the usage chunk; the usage is committed', async () => {
      const agent = uniqueAgent('openai-stream');
      const guarded = guardOpenAI(openai(), { sg, agent });
      const stream = await guarded.chat.completions.create({
        model: 'gpt-4o-mini',
        messages: question,
        stream: true,
      });
      let usageChunks = 0;
      for await (const chunk of stream) if (chunk.choices.length === 0 || chunk.usage) usageChunks++;
      assert.equal(usageChunks, 0);
      const event = await theEvent(agent);
      // The usage the upstream streamed, read off the same stream by a caller who asked for it.
      const asked = await openai().chat.completions.create({
        model: 'gpt-4o-mini',
        messages: question,
        stream: true,
        stream_options: { include_usage: true },
      });
      let raw: Record<string, unknown> | undefined;
      for await (const chunk of asked)
        if (chunk.usage) raw = chunk.usage as unknown as Record<string, unknown>;
      assert.ok(raw);
      assert.equal(event.cost_micros, await priceOf('openai', 'gpt-4o-mini', raw));
      assert.equal(event.usage?.output_tokens, raw.completion_tokens);
    });

    it('OpenAI chat, streamed, caller asked for usage: it sees the chunk, and the same usage is committed', async () => {
      const agent = uniqueAgent('openai-asked');
      const guarded = guardOpenAI(openai(), { sg, agent });
      const stream = await guarded.chat.completions.create({
        model: 'gpt-4o-mini',
        messages: question,
        stream: true,
        stream_options: { include_usage: true },
      });
      let raw: Record<string, unknown> | undefined;
      for await (const chunk of stream)
        if (chunk.usage) raw = chunk.usage as unknown as Record<string, unknown>;
      assert.ok(raw, 'the caller saw the usage chunk');
      const event = await theEvent(agent);
      assert.equal(event.cost_micros, await priceOf('openai', 'gpt-4o-mini', raw));
    });

    it('Anthropic, not streamed and streamed: priced from Anthropic’s usage (cache reads and writes included)', async () => {
      const agent = uniqueAgent('claude');
      const guarded = guardAnthropic(anthropic(), { sg, agent });
      const message = await guarded.messages.create(claude);
      const event = await theEvent(agent);
      const raw = message.usage as unknown as Record<string, unknown>;
      assert.equal(event.cost_micros, await priceOf('anthropic', 'claude-sonnet-4-5', raw));
      const usage = message.usage;
      assert.equal(
        event.usage?.input_tokens,
        usage.input_tokens + (usage.cache_read_input_tokens ?? 0) + (usage.cache_creation_input_tokens ?? 0),
      );
      assert.equal(event.usage?.cache_write_tokens, usage.cache_creation_input_tokens);

      const streamAgent = uniqueAgent('claude-stream');
      const streamed = guardAnthropic(anthropic(), { sg, agent: streamAgent });
      const final = await streamed.messages.stream(claude).finalMessage();
      const streamedEvent = await theEvent(streamAgent);
      assert.equal(
        streamedEvent.cost_micros,
        await priceOf('anthropic', 'claude-sonnet-4-5', final.usage as unknown as Record<string, unknown>),
      );
      assert.equal(streamedEvent.usage?.output_tokens, final.usage.output_tokens);
    });

    it('a stream aborted mid-way commits what was generated (more than $0)', async () => {
      const agent = uniqueAgent('aborted');
      const guarded = guardOpenAI(openai(), { sg, agent });
      upstream.script({ chunkDelayMs: 25 });
      const stream = await guarded.chat.completions.create({
        model: 'gpt-4o-mini',
        messages: question,
        stream: true,
      });
      let text = '';
      for await (const chunk of stream) {
        text += chunk.choices[0]?.delta.content ?? '';
        if (text.length > 10) break;
      }
      const event = await theEvent(agent);
      assert.ok(event.cost_micros > 0);
      assert.ok((event.usage?.output_tokens ?? 0) >= Buffer.byteLength(text));

      const claudeAgent = uniqueAgent('aborted-claude');
      const claudeStream = guardAnthropic(anthropic(), { sg, agent: claudeAgent });
      upstream.script({ chunkDelayMs: 25 });
      const claudeEvents = await claudeStream.messages.create({ ...claude, stream: true });
      let received = 0;
      for await (const e of claudeEvents) {
        if (e.type === 'content_block_delta' && ++received === 2) claudeEvents.controller.abort();
      }
      // An abort ends the loop quietly; the commit follows the abort.
      await waitFor(async () => (await events(claudeAgent)).length === 1);
      const claudeEvent = await theEvent(claudeAgent);
      assert.ok(claudeEvent.cost_micros > 0);
      assert.ok((claudeEvent.usage?.output_tokens ?? 0) > 1);
    });

    it('an upstream 500 releases the hold: status released, nothing spent', async () => {
      const agent = uniqueAgent('upstream-500');
      const guarded = guardOpenAI(openai(), { sg, agent });
      upstream.script({ errorStatus: 500 });
      await assert.rejects(
        guarded.chat.completions.create({ model: 'gpt-4o-mini', messages: question }),
        OpenAI.InternalServerError,
      );
      const [hold] = (await sg.reservations.list({ agent })).data;
      assert.equal(hold?.status, 'released');
      assert.equal((await sg.agent(agent)).spend.month_micros, 0);
      assert.equal((await events(agent)).length, 0);
    });

    it('a suspended agent or a too-small budget: the typed error, and the provider is never called', async () => {
      const suspended = uniqueAgent('suspended');
      await sg.agents.create({ name: suspended });
      await sg.agents.suspend(suspended, 'guard test');
      await assert.rejects(
        guardAnthropic(anthropic(), { sg, agent: suspended }).messages.create(claude),
        AgentSuspendedError,
      );
      const broke = uniqueAgent('broke');
      // 10 micro-dollars cannot hold 4,096 output tokens of gpt-4o-mini.
      await sg.agents.create({ name: broke, limits: { monthMicros: 10 } });
      await assert.rejects(
        guardOpenAI(openai(), { sg, agent: broke }).chat.completions.create({
          model: 'gpt-4o-mini',
          messages: question,
        }),
        BudgetExceededError,
      );
      assert.equal(upstream.requests.length, 0);
      // A declined estimate is not spend: the agent stays active.
      assert.equal((await sg.agent(broke)).status, 'active');
    });

    it('the same call repeated past the agent’s repeats limit is LoopDetectedError before the provider', async () => {
      const agent = uniqueAgent('looping');
      await sg.agents.create({ name: agent, limits: { repeats: { max: 2, windowSeconds: 60 } } });
      const guarded = guardOpenAI(openai(), { sg, agent });
      const call = () => guarded.chat.completions.create({ model: 'gpt-4o-mini', messages: question });
      await call();
      await call();
      await assert.rejects(call(), (error) => {
        assert.ok(error instanceof LoopDetectedError, `got ${String(error)}`);
        assert.equal(error.count, 3);
        assert.equal(error.windowSeconds, 60);
        assert.match(String(error.fingerprint), /^[0-9a-f]{64}$/);
        return true;
      });
      assert.equal(upstream.requests.length, 2);
      const after = await sg.agent(agent);
      assert.equal(after.status, 'suspended');
      assert.equal(after.suspended_reason, 'loop_detected');
      // A different prompt is not the loop, but the kill switch is on now: suspended until a resume.
      await assert.rejects(
        guarded.chat.completions.create({
          model: 'gpt-4o-mini',
          messages: [{ role: 'user', content: 'Other' }],
        }),
        (error) => error instanceof AgentSuspendedError && error.reason === 'loop_detected',
      );
      assert.equal(upstream.requests.length, 2);
    });
  });

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 3_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > until) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
