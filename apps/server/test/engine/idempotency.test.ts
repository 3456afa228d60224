// Idempotency of POST /v1/events (docs/api.md §5): same key + same body → one count, replayed answer (also of a 403);
// same key + other body → 422; concurrent copies → one count, one event id.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { api, signupAndAdminKey, startTestServer, type Tenant, type TestServer } from '../harness.js';
import { forgetClaim, isScript } from './faults/probe.js';
import { createAgent, dbSpend, postEvent, sql } from './helpers.js';
import { type ProxiedServer, retryUntilSettled, startBehindProxies } from './outage-helpers.js';

describe('idempotency of events', () => {
  let server: TestServer;
  let t: Tenant;
  before(async () => {
    server = await startTestServer();
    t = await signupAndAdminKey(server.url);
  });
  after(async () => server.close());

  it('50 concurrent copies of one key count once and all answer with one event id', async () => {
    const body = { agent: 'idem-1', cost_usd: '0.25', metadata: { model: 'gpt-4o', tokens: 1834 } };
    const responses = await Promise.all(
      Array.from({ length: 50 }, () => postEvent(server.url, t.adminKey, body, 'same-key')),
    );
    const ok = responses.filter((r) => r.status === 201);
    const inFlight = responses.filter((r) => r.status === 409);
    assert.equal(ok.length + inFlight.length, 50, JSON.stringify(responses.map((r) => r.status)));
    assert.ok(ok.length >= 1);
    assert.equal(new Set(ok.map((r) => r.body.event.id)).size, 1);
    assert.equal(ok.filter((r) => r.headers.get('idempotent-replayed') === 'true').length, ok.length - 1);
    for (const r of inFlight) {
      assert.equal(r.body.error.code, 'idempotency_key_in_flight');
      assert.equal(r.headers.get('retry-after'), '1');
    }
    const spend = await dbSpend(server.databaseUrl as string, t.customerId, 'idem-1');
    assert.deepEqual(spend, { events: 250_000, count: 1, daily: 250_000 });
    const agent = await api(server.url, '/v1/agents/idem-1', { key: t.adminKey });
    assert.equal(agent.body.spend.month_micros, 250_000);
  });

  it('a replay returns the original body byte for byte; the body field key equals the header key', async () => {
    const first = await postEvent(
      server.url,
      t.adminKey,
      { agent: 'idem-2', cost_micros: 7, run: 'r-1' },
      'k-replay',
    );
    assert.equal(first.status, 201);
    assert.equal(first.headers.get('idempotent-replayed'), null);
    const again = await api(server.url, '/v1/events', {
      key: t.adminKey,
      body: { agent: 'idem-2', cost_micros: 7, run: 'r-1', idempotency_key: 'k-replay' },
    });
    assert.equal(again.status, 201);
    assert.equal(again.headers.get('idempotent-replayed'), 'true');
    assert.deepEqual(again.body, first.body);
    // cost_usd 0.000007 is the same request as cost_micros 7 (the hash is over the recorded amount).
    const asUsd = await postEvent(
      server.url,
      t.adminKey,
      { agent: 'idem-2', cost_usd: '0.000007', run: 'r-1' },
      'k-replay',
    );
    assert.equal(asUsd.status, 201);
    assert.equal((await dbSpend(server.databaseUrl as string, t.customerId, 'idem-2')).count, 1);
  });

  it('same key with a different body → 422 idempotency_key_reused, nothing counted', async () => {
    await postEvent(server.url, t.adminKey, { agent: 'idem-3', cost_micros: 100 }, 'k-reuse');
    for (const body of [
      { agent: 'idem-3', cost_micros: 101 },
      { agent: 'idem-3', cost_micros: 100, run: 'other' },
      { agent: 'idem-3', cost_micros: 100, metadata: { a: 1 } },
    ]) {
      const r = await postEvent(server.url, t.adminKey, body, 'k-reuse');
      assert.equal(r.status, 422, JSON.stringify(r.body));
      assert.equal(r.body.error.code, 'idempotency_key_reused');
    }
    assert.deepEqual(await dbSpend(server.databaseUrl as string, t.customerId, 'idem-3'), {
      events: 100,
      count: 1,
      daily: 100,
    });
  });

  it('a declined 403 is replayed with Idempotent-Replayed, not re-decided after a limit raise', async () => {
    await createAgent(server.url, t.adminKey, 'idem-4', { month_micros: 10 });
    const declined = await postEvent(server.url, t.adminKey, { agent: 'idem-4', cost_micros: 11 }, 'k-403');
    assert.equal(declined.status, 403);
    assert.equal(declined.body.error.code, 'budget_exceeded');
    await api(server.url, '/v1/agents/idem-4', {
      method: 'PATCH',
      key: t.adminKey,
      body: { limits: { month_micros: 1000 } },
    });
    await api(server.url, '/v1/agents/idem-4/resume', { method: 'POST', key: t.adminKey });
    const replay = await postEvent(server.url, t.adminKey, { agent: 'idem-4', cost_micros: 11 }, 'k-403');
    assert.equal(replay.status, 403);
    assert.equal(replay.headers.get('idempotent-replayed'), 'true');
    assert.deepEqual(replay.body, declined.body);
    const fresh = await postEvent(server.url, t.adminKey, { agent: 'idem-4', cost_micros: 11 }, 'k-403-new');
    assert.equal(fresh.status, 201);
  });

  it('keys are per customer: another customer may use the same key', async () => {
    const other = await signupAndAdminKey(server.url);
    const a = await postEvent(server.url, t.adminKey, { agent: 'shared', cost_micros: 1 }, 'k-cross');
    const b = await postEvent(server.url, other.adminKey, { agent: 'shared', cost_micros: 1 }, 'k-cross');
    assert.equal(a.status, 201);
    assert.equal(b.status, 201);
    assert.equal(b.headers.get('idempotent-replayed'), null);
    assert.notEqual(a.body.event.id, b.body.event.id);
  });

  it('a key the store forgot is still deduplicated by PostgreSQL (late duplicate → replay, counters undone)', async () => {
    const first = await postEvent(server.url, t.adminKey, { agent: 'idem-5', cost_micros: 500 }, 'k-late');
    assert.equal(first.status, 201);
    // The store forgets the key (as after its retention); PostgreSQL's unique index still knows it.
    await forgetClaim(server, t.customerId, 'k-late');
    const again = await postEvent(server.url, t.adminKey, { agent: 'idem-5', cost_micros: 500 }, 'k-late');
    assert.equal(again.status, 201);
    assert.equal(again.headers.get('idempotent-replayed'), 'true');
    assert.equal(again.body.event.id, first.body.event.id);
    const agent = await api(server.url, '/v1/agents/idem-5', { key: t.adminKey });
    assert.equal(agent.body.spend.month_micros, 500);
    const [row] = await sql<{ n: string }>(
      server.databaseUrl as string,
      'SELECT count(*) AS n FROM events WHERE customer_id = $1 AND idempotency_key = $2',
      [t.customerId, 'k-late'],
    );
    assert.equal(Number(row?.n), 1);
  });
});

describe('idempotency of events when the store write after the commit is lost or slow', () => {
  let proxied: ProxiedServer;
  let t: Tenant;
  before(async () => {
    proxied = await startBehindProxies();
    t = await signupAndAdminKey(proxied.server.url);
  });
  after(() => proxied.close());

  it('complete not yet in the store: the 201 stands, a retry waits for the claim and replays, counted once', async () => {
    const { server, redisProxy } = proxied;
    // The commit's complete() is held on the wire, then the link dies with it undelivered, long enough for its
    // retries to fail too: the key stays claimed (in flight) although PostgreSQL has the event.
    const stalled = redisProxy.stallBefore((chunk) => isScript(chunk, 'complete'));
    let first: Awaited<ReturnType<typeof postEvent>>;
    try {
      first = await postEvent(server.url, t.adminKey, { agent: 'idem-6', cost_micros: 700 }, 'k-unfinished');
      await stalled;
      redisProxy.cut();
      await new Promise((resolve) => setTimeout(resolve, 1_500));
    } finally {
      redisProxy.resume();
    }
    // The client retries (the spend store's link reconnects first: a 503 meanwhile is retried like any other).
    const again = await retryUntilSettled(() =>
      postEvent(server.url, t.adminKey, { agent: 'idem-6', cost_micros: 700 }, 'k-unfinished'),
    );
    assert.equal(first.status, 201);
    assert.equal(again.status, 201);
    assert.equal(again.headers.get('idempotent-replayed'), 'true');
    assert.equal(again.body.event.id, first.body.event.id);
    const agent = await api(server.url, '/v1/agents/idem-6', { key: t.adminKey });
    assert.equal(agent.body.spend.month_micros, 700);
    const [row] = await sql<{ n: string }>(
      proxied.databaseUrl,
      'SELECT count(*) AS n FROM events WHERE customer_id = $1 AND idempotency_key = $2',
      [t.customerId, 'k-unfinished'],
    );
    assert.equal(Number(row?.n), 1);
  });

  it('the 201 does not wait for complete: a stalled store write still answers at once', async () => {
    const { server, redisProxy } = proxied;
    const stalled = redisProxy.stallBefore((chunk) => isScript(chunk, 'complete'));
    try {
      const started = Date.now();
      const first = await postEvent(
        server.url,
        t.adminKey,
        { agent: 'idem-7', cost_micros: 300 },
        'k-stalled',
      );
      assert.equal(first.status, 201);
      assert.ok(Date.now() - started < 1_500, `answered after ${Date.now() - started} ms`);
      await stalled;
    } finally {
      redisProxy.resume();
    }
    const agent = await api(server.url, '/v1/agents/idem-7', { key: t.adminKey });
    assert.equal(agent.body.spend.month_micros, 300);
  });
});
