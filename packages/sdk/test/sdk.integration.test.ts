// Acceptance tests of the SDK against a REAL Spendguard server (fresh PostgreSQL database and
// Redis prefix from the server's test harness). No mocks: every assertion is about what the
// server actually counted.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { signupAndAdminKey, startTestServer } from '../../../apps/server/test/harness.js';
import {
  AgentSuspendedError,
  AuthenticationError,
  BudgetExceededError,
  NotFoundError,
  PermissionError,
  Spendguard,
  SpendguardError,
  UnknownModelError,
} from '../src/index.js';
import { dropFirst, startDroppingProxy } from './support/dropping-proxy.js';

const fast = { retryBaseDelayMs: 10, retryMaxDelayMs: 2_000 };

// Both deployments the server supports: PostgreSQL + Redis, and the embedded default
// (PGlite + in-process counters) that `npm start` runs with no configuration.
const deployments = [
  { name: 'PostgreSQL + Redis', options: { redis: true } },
  { name: 'embedded (PGlite, in-process counters)', options: { embedded: true } },
];

for (const deployment of deployments)
  describe(`SDK against a real server — ${deployment.name}`, () => {
    let server: { url: string; close(): Promise<void> };
    let adminKey: string;
    let sg: Spendguard;

    before(async () => {
      server = await startTestServer(deployment.options);
      ({ adminKey } = await signupAndAdminKey(server.url));
      sg = new Spendguard({ apiKey: adminKey, baseUrl: server.url, ...fast });
    });

    after(async () => {
      await server?.close();
    });

    const uniqueAgent = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;

    it('a manually suspended agent gets AgentSuspendedError (reason manual)', async () => {
      const agent = uniqueAgent('suspended');
      await sg.track({ agent, costMicros: 100 });
      const suspended = await sg.agents.suspend(agent, 'sdk acceptance test');
      assert.equal(suspended.status, 'suspended');
      await assert.rejects(sg.track({ agent, costMicros: 100 }), (error) => {
        assert.ok(error instanceof AgentSuspendedError, `got ${String(error)}`);
        assert.ok(error instanceof SpendguardError);
        assert.equal(error.reason, 'manual');
        assert.equal(error.status, 403);
        assert.equal(error.code, 'agent_suspended');
        assert.equal(typeof error.requestId, 'string');
        return true;
      });
      const resumed = await sg.agents.resume(agent);
      assert.equal(resumed.status, 'active');
      const accepted = await sg.track({ agent, costMicros: 100 });
      assert.equal(accepted.event.status, 'accepted');
    });

    it('track({ usage }) is priced by the server; an unknown model is UnknownModelError', async () => {
      const agent = uniqueAgent('usage');
      const usage = {
        provider: 'openai',
        model: 'gpt-4o-mini',
        inputTokens: 1200,
        outputTokens: 350,
        cacheReadTokens: 1000,
      };
      const tracked = await sg.track({ agent, usage });
      assert.equal(tracked.event.cost_micros, 315, '200×0.15 + 1000×0.075 + 350×0.6');
      assert.equal(tracked.event.usage?.cache_read_tokens, 1000);
      await assert.rejects(sg.track({ agent, usage: { ...usage, model: 'gpt-9-ultra' } }), (error) => {
        assert.ok(error instanceof UnknownModelError, `got ${String(error)}`);
        assert.equal(error.status, 422);
        assert.equal(error.model, 'gpt-9-ultra');
        return true;
      });
    });

    it('an archived agent’s events are NotFoundError until it is restored', async () => {
      const agent = uniqueAgent('archived');
      await sg.track({ agent, costMicros: 100 });
      await sg.agents.archive(agent);
      const archived = (await sg.agents.list({ archived: true })).data.map((a) => a.name);
      assert.ok(archived.includes(agent));
      await assert.rejects(sg.track({ agent, costMicros: 100 }), NotFoundError);
      const restored = await sg.agents.restore(agent);
      assert.equal(restored.archived_at, null);
      assert.equal((await sg.track({ agent, costMicros: 100 })).event.status, 'accepted');
    });

    it('an event over the month limit gets BudgetExceededError with scope and period', async () => {
      const agent = uniqueAgent('budget');
      const created = await sg.agents.create({ name: agent, limits: { monthUsd: 1 } });
      assert.equal(created.limits.month_micros, 1_000_000);
      const first = await sg.track({ agent, costUsd: '0.6' });
      assert.equal(first.event.cost_micros, 600_000);
      await assert.rejects(sg.track({ agent, costUsd: '0.6' }), (error) => {
        assert.ok(error instanceof BudgetExceededError, `got ${String(error)}`);
        assert.ok(error instanceof SpendguardError);
        assert.equal(error.scope, 'agent');
        assert.equal(error.period, 'month');
        assert.equal(error.limitMicros, 1_000_000);
        assert.equal(typeof error.spentMicros, 'number');
        return true;
      });
      assert.equal((await sg.agent(agent)).spend.month_micros, 600_000);
    });

    it('a lost response is retried with the same key and charged exactly once', async () => {
      const agent = uniqueAgent('retry');
      const proxy = await startDroppingProxy(server.url, dropFirst('/v1/events'));
      try {
        const viaProxy = new Spendguard({ apiKey: adminKey, baseUrl: proxy.url, ...fast });
        const result = await viaProxy.track({ agent, costMicros: 1_234 });
        assert.equal(result.event.cost_micros, 1_234);
        const events = proxy.forwarded.filter((r) => r.path === '/v1/events');
        assert.equal(events.length, 2, 'one dropped attempt, one retry');
        assert.equal(events[0]?.dropped, true);
        assert.equal(events[0]?.upstreamStatus, 201, 'the server did count the first attempt');
        assert.equal(events[0]?.idempotencyKey, events[1]?.idempotencyKey);
        assert.equal(events[1]?.upstreamHeaders['idempotent-replayed'], 'true');
      } finally {
        await proxy.close();
      }
      const spend = (await sg.agent(agent)).spend;
      assert.equal(spend.month_micros, 1_234);
      assert.equal(spend.day_micros, 1_234);
    });

    it('a lost commit response is retried with the same key and recorded once', async () => {
      const agent = uniqueAgent('commit');
      const proxy = await startDroppingProxy(server.url, dropFirst('/commit'));
      try {
        const viaProxy = new Spendguard({ apiKey: adminKey, baseUrl: proxy.url, ...fast });
        const hold = await viaProxy.reserve({ agent, amountMicros: 50_000 });
        const committed = await hold.commit({ costMicros: 40_000 });
        assert.equal(committed.event.cost_micros, 40_000);
        const commits = proxy.forwarded.filter((r) => r.path.endsWith('/commit'));
        assert.equal(commits.length, 2, 'one dropped attempt, one retry');
        assert.equal(commits[0]?.dropped, true);
        assert.equal(commits[0]?.idempotencyKey, commits[1]?.idempotencyKey);
      } finally {
        await proxy.close();
      }
      assert.equal((await sg.agent(agent)).spend.month_micros, 40_000);
    });

    it('manages API keys: an agent-bound ingest key works, is listed without its secret, and dies on revoke', async () => {
      const agent = uniqueAgent('keyed');
      await sg.agents.create({ name: agent });
      const created = await sg.apiKeys.create({ name: 'sdk test', kind: 'ingest', agent });
      assert.match(created.key, /^sg_ingest_/);
      const ingest = new Spendguard({ apiKey: created.key, baseUrl: server.url, ...fast });
      assert.equal((await ingest.track({ agent, costMicros: 7 })).event.cost_micros, 7);
      assert.equal((await ingest.agent(agent)).spend.month_micros, 7);
      await assert.rejects(ingest.track({ agent: uniqueAgent('other'), costMicros: 7 }), PermissionError);
      const listed: unknown[] = [];
      for await (const key of sg.apiKeys.all()) listed.push(key);
      const mine = listed.find((k) => (k as { id: string }).id === created.id);
      assert.ok(mine, 'the new key is listed');
      assert.equal((mine as { key?: string }).key, undefined, 'no secret in the list');
      await sg.apiKeys.revoke(created.id);
      await assert.rejects(ingest.track({ agent, costMicros: 7 }), AuthenticationError);
    });

    it('guard() never calls the function when the hold is refused', async () => {
      const agent = uniqueAgent('refused');
      await sg.agents.create({ name: agent, limits: { monthUsd: 1 } });
      let called = false;
      await assert.rejects(
        sg.guard({ agent, estimateUsd: 5 }, async () => {
          called = true;
          return { costUsd: 5, value: 'should not run' };
        }),
        BudgetExceededError,
      );
      assert.equal(called, false);
      assert.equal((await sg.agent(agent)).spend.month_micros, 0);
    });

    it('guard() commits the real cost the function reports', async () => {
      const agent = uniqueAgent('guarded');
      await sg.agents.create({ name: agent, limits: { monthUsd: 1 } });
      const value = await sg.guard({ agent, estimateUsd: 0.5 }, async (hold) => {
        assert.equal(hold.unavailable, false);
        return { costUsd: '0.25', value: 'answer', metadata: { model: 'test' } };
      });
      assert.equal(value, 'answer');
      assert.equal((await sg.agent(agent)).spend.month_micros, 250_000);
    });

    it('guard() releases the hold when the function throws', async () => {
      const agent = uniqueAgent('thrower');
      await sg.agents.create({ name: agent, limits: { monthUsd: 1 } });
      const boom = new Error('tool failed');
      await assert.rejects(
        sg.guard({ agent, estimateUsd: 0.8 }, async () => {
          throw boom;
        }),
        (error) => error === boom,
      );
      const [released] = (await sg.reservations.list({ agent })).data;
      assert.ok(released, 'the hold is listed');
      assert.equal(released.status, 'released');
      assert.equal((await sg.reservations.get(released.id)).status, 'released');
      // Had the 0.80 hold survived, a second 0.80 hold would break the 1.00 limit.
      const again = await sg.reserve({ agent, amountUsd: 0.8 });
      assert.equal(again.unavailable, false);
      await again.release();
      const after = await sg.agent(agent);
      assert.equal(after.spend.month_micros, 0);
      assert.equal(after.status, 'active');
    });
  });
