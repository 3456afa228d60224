// Fail closed, fast, and exact afterwards (DESIGN §2): Redis or PostgreSQL unreachable → 503 + Retry-After within
// 2 s, never a 201 for an uncommitted event; back → the retry with the same key counts exactly once. Redis losing
// its keys mid-month → counters rebuilt from PostgreSQL, limits still exact. Outages are made with a TCP proxy in
// front of the shared servers (other tests keep using them).

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { LATE_COMMIT_MS } from '../../src/spend/bounds.js';
import type { TestServer } from '../harness.js';
import { type ApiResponse, api, signupAndAdminKey, startTestServer } from '../harness.js';
import type { TcpProxy } from '../tcp-proxy.js';
import { countStatuses, createAgent, dbSpend, type Json, postEvent } from './helpers.js';
import { type ProxiedServer, retryUntilSettled, startBehindProxies, timed } from './outage-helpers.js';

describe('dependency outages', () => {
  let proxied: ProxiedServer;
  let pgProxy: TcpProxy;
  let redisProxy: TcpProxy;
  let server: TestServer;
  before(async () => {
    proxied = await startBehindProxies();
    ({ server, pgProxy, redisProxy } = proxied);
  });
  after(() => proxied.close());

  it('Redis down → 503 + Retry-After within 2 s, nothing recorded; back → accepted, spend exact', async () => {
    const t = await signupAndAdminKey(server.url);
    await createAgent(server.url, t.adminKey, 'r-bot', { month_micros: 1_000 });
    assert.equal((await postEvent(server.url, t.adminKey, { agent: 'r-bot', cost_micros: 100 })).status, 201);
    redisProxy.cut();
    const down = await timed(() =>
      postEvent(server.url, t.adminKey, { agent: 'r-bot', cost_micros: 200 }, 'r-key'),
    );
    assert.equal(down.value.status, 503, JSON.stringify(down.value.body));
    assert.equal(down.value.body.error.code, 'unavailable');
    assert.ok(Number(down.value.headers.get('retry-after')) >= 1);
    assert.ok(down.ms < 2_000, `took ${down.ms} ms`);
    const stalled = await timed(() =>
      postEvent(server.url, t.adminKey, { agent: 'r-bot', cost_micros: 200 }, 'r-key'),
    );
    assert.equal(stalled.value.status, 503);
    assert.ok(stalled.ms < 2_000, `took ${stalled.ms} ms`);
    assert.equal(
      (await dbSpend(proxied.databaseUrl, t.customerId, 'r-bot')).count,
      1,
      'nothing recorded while down',
    );
    redisProxy.resume();
    const back = await retryUntilSettled(() =>
      postEvent(server.url, t.adminKey, { agent: 'r-bot', cost_micros: 200 }, 'r-key'),
    );
    assert.equal(back.status, 201, JSON.stringify(back.body));
    assert.equal(back.body.budget.agent.month.spent_micros, 300);
    assert.deepEqual(await dbSpend(proxied.databaseUrl, t.customerId, 'r-bot'), {
      events: 300,
      count: 2,
      daily: 300,
    });
  });

  it('Redis black-holed (packets stall) → 503 within 2 s, never a hang', async () => {
    const t = await signupAndAdminKey(server.url);
    await postEvent(server.url, t.adminKey, { agent: 'stall-bot', cost_micros: 1 });
    redisProxy.pause();
    try {
      const r = await timed(() => postEvent(server.url, t.adminKey, { agent: 'stall-bot', cost_micros: 5 }));
      assert.equal(r.value.status, 503);
      assert.ok(r.ms < 2_000, `took ${r.ms} ms`);
    } finally {
      redisProxy.resume();
    }
  });

  it('PostgreSQL down → 503 within 2 s, never a 201; back → the same key counts once', async () => {
    const t = await signupAndAdminKey(server.url);
    await createAgent(server.url, t.adminKey, 'p-bot', { month_micros: 10_000 });
    assert.equal(
      (await postEvent(server.url, t.adminKey, { agent: 'p-bot', cost_micros: 1_000 })).status,
      201,
    );
    pgProxy.pause();
    const body = { agent: 'p-bot', cost_micros: 2_000 };
    let down: { value: ApiResponse<Json>; ms: number };
    try {
      down = await timed(() => postEvent(server.url, t.adminKey, body, 'p-key'));
      assert.equal(down.value.status, 503, JSON.stringify(down.value.body));
      assert.ok(down.ms < 2_000, `took ${down.ms} ms`);
      assert.ok(Number(down.value.headers.get('retry-after')) >= 1);
      // Concurrent copies while the first is unresolved never count twice either.
      const copies = await Promise.all(
        Array.from({ length: 5 }, () => postEvent(server.url, t.adminKey, body, 'p-key')),
      );
      for (const c of copies) assert.ok([409, 503].includes(c.status), String(c.status));
    } finally {
      pgProxy.resume();
    }
    const back = await retryUntilSettled(() => postEvent(server.url, t.adminKey, body, 'p-key'));
    assert.equal(back.status, 201, JSON.stringify(back.body));
    const again = await postEvent(server.url, t.adminKey, body, 'p-key');
    assert.equal(again.status, 201);
    assert.equal(again.headers.get('idempotent-replayed'), 'true');
    assert.deepEqual(await dbSpend(proxied.databaseUrl, t.customerId, 'p-bot'), {
      events: 3_000,
      count: 2,
      daily: 3_000,
    });
    const agent = await api(server.url, '/v1/agents/p-bot', { key: t.adminKey });
    assert.equal(agent.body.spend.month_micros, 3_000, 'the store agrees with PostgreSQL');
  });

  it('PostgreSQL connections cut → 503 fast; back → accepted, spend exact', async () => {
    const t = await signupAndAdminKey(server.url);
    await postEvent(server.url, t.adminKey, { agent: 'cut-bot', cost_micros: 10 });
    pgProxy.cut();
    try {
      const r = await timed(() =>
        postEvent(server.url, t.adminKey, { agent: 'cut-bot', cost_micros: 20 }, 'cut-key'),
      );
      assert.equal(r.value.status, 503);
      assert.ok(r.ms < 2_000, `took ${r.ms} ms`);
    } finally {
      pgProxy.resume();
    }
    const back = await retryUntilSettled(() =>
      postEvent(server.url, t.adminKey, { agent: 'cut-bot', cost_micros: 20 }, 'cut-key'),
    );
    assert.equal(back.status, 201, JSON.stringify(back.body));
    assert.deepEqual(await dbSpend(proxied.databaseUrl, t.customerId, 'cut-bot'), {
      events: 30,
      count: 2,
      daily: 30,
    });
    const agent = await api(server.url, '/v1/agents/cut-bot', { key: t.adminKey });
    assert.equal(agent.body.spend.month_micros, 30);
  });
});

describe('Redis loses every key mid-month', () => {
  it('decisions wait out the recovery window (503 + Retry-After), then counters are rebuilt and the $1.00 limit stays exact', async () => {
    const server = await startTestServer();
    try {
      const t = await signupAndAdminKey(server.url);
      await createAgent(server.url, t.adminKey, 'amnesia', { month_usd: '1.00' });
      const first = await Promise.all(
        Array.from({ length: 40 }, () =>
          postEvent(server.url, t.adminKey, { agent: 'amnesia', cost_usd: 0.01 }),
        ),
      );
      assert.equal(countStatuses(first)[201], 40);
      const redis = server.app.ctx.redis;
      assert.ok(redis);
      const keys = await redis.keys(`${server.redisPrefix}:*`);
      assert.ok(keys.length > 0, 'the store keeps its state under the prefix');
      await redis.del(...keys);
      // Requests decided before the loss could still commit for LATE_COMMIT_MS: until then nothing is rebuilt.
      const waiting = await postEvent(server.url, t.adminKey, { agent: 'amnesia', cost_usd: 0.01 });
      assert.equal(waiting.status, 503, JSON.stringify(waiting.body));
      const retryAfter = Number(waiting.headers.get('retry-after'));
      assert.ok(retryAfter >= 1 && retryAfter <= LATE_COMMIT_MS / 1000, `Retry-After ${retryAfter}`);
      assert.match(waiting.body.error.message, /rebuilt after it lost data; nothing was recorded/);
      await new Promise((resolve) => setTimeout(resolve, retryAfter * 1000 + 200));
      const rest = await Promise.all(
        Array.from({ length: 200 }, () =>
          postEvent(server.url, t.adminKey, { agent: 'amnesia', cost_usd: 0.01 }),
        ),
      );
      assert.equal(countStatuses(rest)[201], 60, JSON.stringify(countStatuses(rest)));
      assert.deepEqual(await dbSpend(server.databaseUrl as string, t.customerId, 'amnesia'), {
        events: 1_000_000,
        count: 100,
        daily: 1_000_000,
      });
    } finally {
      await server.close();
    }
  });
});
