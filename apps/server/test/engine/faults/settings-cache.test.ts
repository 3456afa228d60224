// Suspected (issue 11): the in-process agent directory and customer settings caches refilled with an old value right
// after an invalidation. Instance B reads a setting from PostgreSQL; the read runs, but its reply is held (B's link
// to PostgreSQL stalls) while instance A changes the setting and the invalidation reaches B; then the reply
// arrives and B caches the old value. Deterministic: B's proxy holds PostgreSQL's replies until A's PATCH answered.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { api, PG_PORT, signupAndAdminKey, startTestServer, type TestServer } from '../../harness.js';
import { startTcpProxy, type TcpProxy } from '../../tcp-proxy.js';
import { createAgent, postEvent, sql } from '../helpers.js';
import { sleep } from './fault-helpers.js';

describe('settings caches refilled right after an invalidation', () => {
  let a: TestServer;
  let b: TestServer;
  let pgProxy: TcpProxy;
  before(async () => {
    a = await startTestServer();
    pgProxy = await startTcpProxy(PG_PORT);
    b = await startTestServer({
      databaseUrl: pgProxy.url('postgres', new URL(a.databaseUrl as string).pathname),
      redisPrefix: a.redisPrefix,
    });
  });
  after(async () => {
    pgProxy.resume();
    await b.close();
    await a.close();
    await pgProxy.close();
  });

  it('after PATCH auto_create_agents=false answered 200, no instance auto-creates an agent', async () => {
    const t = await signupAndAdminKey(a.url);
    // Warm B (its pool, the API key cache) without touching B's customer settings cache.
    assert.equal((await api(b.url, '/v1/agents', { key: t.adminKey })).status, 200);
    pgProxy.holdReplies();
    let patched: { status: number; body: unknown };
    let created: { status: number };
    try {
      // B reads the customer's settings (POST /v1/agents takes the defaults from them); the reply is held.
      const creating = api(b.url, '/v1/agents', { key: t.adminKey, body: { name: 'in-between' } });
      await sleep(300);
      patched = await api(a.url, '/v1/customer', {
        method: 'PATCH',
        key: t.adminKey,
        body: { auto_create_agents: false },
      });
      await sleep(200); // the invalidation reaches B
      pgProxy.resume();
      created = await creating;
    } finally {
      pgProxy.resume();
    }
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
    assert.ok([201, 503].includes(created.status), `POST /v1/agents on B answered ${created.status}`);
    const results: string[] = [];
    for (const on of [a, b]) {
      const name = `ghost-${on === a ? 'a' : 'b'}`;
      const r = await postEvent(on.url, t.adminKey, { agent: name, cost_micros: 1 });
      if (r.status !== 404) results.push(`${name}: ${r.status}`);
    }
    const ghosts = await sql<{ name: string }>(
      a.databaseUrl as string,
      `SELECT name FROM agents WHERE customer_id = $1 AND name LIKE 'ghost-%'`,
      [t.customerId],
    );
    assert.deepEqual(results, [], 'an unknown agent after auto_create_agents=false is 404');
    assert.deepEqual(ghosts, [], 'no agent auto-created');
  });

  it('after a PATCH of limits answered 200, an event on another instance reports the new limit', async () => {
    const t = await signupAndAdminKey(a.url);
    await createAgent(a.url, t.adminKey, 'cached', { month_micros: 5_000_000 });
    assert.equal((await api(b.url, '/v1/agents', { key: t.adminKey })).status, 200);
    pgProxy.holdReplies();
    let patched: { status: number; body: unknown };
    let first: { status: number };
    try {
      // B looks the agent up for an event (not yet in its directory); the reply is held.
      const sent = postEvent(b.url, t.adminKey, { agent: 'cached', cost_micros: 1 });
      await sleep(300);
      patched = await api(a.url, '/v1/agents/cached', {
        method: 'PATCH',
        key: t.adminKey,
        body: { limits: { month_micros: 2_000_000 } },
      });
      await sleep(200);
      pgProxy.resume();
      first = await sent;
    } finally {
      pgProxy.resume();
    }
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
    assert.ok([201, 503].includes(first.status), `the racing event answered ${first.status}`);
    const shown = (await api(a.url, '/v1/agents/cached', { key: t.adminKey })).body.limits.month_micros;
    const next = await postEvent(b.url, t.adminKey, { agent: 'cached', cost_micros: 1 });
    assert.equal(next.status, 201, JSON.stringify(next.body));
    assert.equal(shown, 2_000_000);
    assert.equal(
      next.body.budget.agent.month.limit_micros,
      shown,
      "B's event reports the limit GET shows (and its decision uses)",
    );
  });
});
