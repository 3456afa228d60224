// A commit slower than the request deadline (docs/api.md §4, §5): PostgreSQL stalls while an event's batch is on its way, so
// POST /v1/events answers 503 at the deadline — and the commit lands afterwards. The 503 must not claim "nothing was
// recorded" (it is not known), and the retry with the same key replays the committed 201; PostgreSQL holds the
// event exactly once.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { api, signupAndAdminKey } from '../../harness.js';
import { createAgent, dbSpend, type Json, postEvent, sql } from '../helpers.js';
import { type ProxiedServer, retryUntilSettled, startBehindProxies } from '../outage-helpers.js';
import { sleep } from './fault-helpers.js';

describe('a commit slower than the request deadline', () => {
  let proxied: ProxiedServer;
  before(async () => {
    proxied = await startBehindProxies();
  });
  after(() => proxied.close());

  it('the 503 does not claim nothing was recorded, and the retry replays the committed 201 once', async () => {
    const { server, pgProxy } = proxied;
    const t = await signupAndAdminKey(server.url);
    await createAgent(server.url, t.adminKey, 'slow-bot', { month_micros: 1_000_000 });
    // Warm: the agent directory and the API key cache now answer without PostgreSQL; only the batch needs it.
    assert.equal(
      (await postEvent(server.url, t.adminKey, { agent: 'slow-bot', cost_micros: 10 })).status,
      201,
    );
    const body = { agent: 'slow-bot', cost_micros: 1_000 };
    pgProxy.pause();
    let first: { status: number; body: Json; headers: Headers };
    try {
      const sent = postEvent(server.url, t.adminKey, body, 'slow-key');
      // Past the 1.8 s deadline, well within PostgreSQL's 5 s statement timeout: the held INSERT then runs and commits.
      await sleep(2_500);
      pgProxy.resume();
      first = await sent;
    } finally {
      pgProxy.resume();
    }
    assert.equal(first.status, 503, `expected the deadline to answer first: ${JSON.stringify(first.body)}`);
    // The commit lands after the 503.
    const started = Date.now();
    for (;;) {
      const rows = await sql(
        proxied.databaseUrl,
        'SELECT 1 FROM events WHERE customer_id = $1 AND idempotency_key = $2',
        [t.customerId, 'slow-key'],
      );
      if (rows.length > 0) break;
      assert.ok(Date.now() - started < 8_000, 'the held commit never landed (the scenario did not happen)');
      await sleep(100);
    }
    const retry = await retryUntilSettled(() => postEvent(server.url, t.adminKey, body, 'slow-key'), 10_000);
    assert.equal(retry.status, 201, JSON.stringify(retry.body));
    assert.equal(retry.headers.get('idempotent-replayed'), 'true');
    assert.deepEqual(await dbSpend(proxied.databaseUrl, t.customerId, 'slow-bot'), {
      events: 1_010,
      count: 2,
      daily: 1_010,
    });
    const agent = await api(server.url, '/v1/agents/slow-bot', { key: t.adminKey });
    assert.equal(agent.body.spend.month_micros, 1_010, 'the store counts it once too');
    // Last, so the replay and exact count above are checked whatever the message says.
    const message = String(first.body?.error?.message ?? '');
    assert.doesNotMatch(
      message,
      /nothing was recorded/i,
      'a 503 whose commit then landed must not say nothing was recorded',
    );
  });
});
