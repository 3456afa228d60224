// No race lets two concurrent events both spend the last dollar (docs/api.md §5): exactness under concurrency, for the
// agent limit and the customer limit, on the Redis-backed server, the embedded server, and two instances sharing
// PostgreSQL + Redis.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import {
  api,
  signupAndAdminKey,
  startSecondInstance,
  startTestServer,
  type Tenant,
  type TestServer,
} from '../harness.js';
import { countStatuses, createAgent, dbSpend, postEvent, sql } from './helpers.js';
import { retryUntilSettled } from './outage-helpers.js';

const LIMIT = 1_000_000; // $1.00

/**
 * One event as a client sends it: a fast 503 (the server could not confirm in time on a loaded machine) is retried
 * with the same Idempotency-Key, so it counts at most once; the invariants below hold over the settled answers.
 */
function sendEvent(url: string, key: string, body: Record<string, unknown>) {
  const idempotencyKey = `race-${randomBytes(8).toString('hex')}`;
  return retryUntilSettled(() => postEvent(url, key, body, idempotencyKey));
}

async function agentLimitRace(urls: string[], t: Tenant, databaseUrl: string | undefined) {
  await createAgent(urls[0] as string, t.adminKey, 'racer', { month_usd: '1.00' });
  const responses = await Promise.all(
    Array.from({ length: 300 }, (_, i) =>
      sendEvent(urls[i % urls.length] as string, t.adminKey, { agent: 'racer', cost_usd: 0.01 }),
    ),
  );
  const statuses = countStatuses(responses);
  assert.equal(statuses[201], 100, `statuses: ${JSON.stringify(statuses)}`);
  assert.equal(statuses[403], 200);
  for (const r of responses.filter((x) => x.status === 403)) {
    assert.ok(['budget_exceeded', 'agent_suspended'].includes(r.body.error.code), JSON.stringify(r.body));
  }
  // The decline that flipped the switch reports the limit it hit.
  const exceeded = responses.filter((r) => r.status === 403 && r.body.error.code === 'budget_exceeded');
  assert.ok(exceeded.length >= 1);
  assert.equal(exceeded[0]?.body.error.limit_micros, LIMIT);
  assert.equal(exceeded[0]?.body.error.period, 'month');
  const accepted = responses.filter((r) => r.status === 201);
  assert.equal(Math.max(...accepted.map((r) => r.body.budget.agent.month.spent_micros)), LIMIT);

  const agent = await api(urls[0] as string, '/v1/agents/racer', { key: t.adminKey });
  assert.equal(agent.body.spend.month_micros, LIMIT);
  assert.equal(agent.body.status, 'suspended');
  assert.equal(agent.body.suspended_reason, 'budget_exceeded');
  if (databaseUrl) {
    const spend = await dbSpend(databaseUrl, t.customerId, 'racer');
    assert.deepEqual(spend, { events: LIMIT, count: 100, daily: LIMIT });
    const [declined] = await sql<{ n: string }>(
      databaseUrl,
      `SELECT count(*) AS n FROM events WHERE customer_id = $1 AND status = 'declined'`,
      [t.customerId],
    );
    assert.equal(Number(declined?.n), 200, 'declined events are kept for the record');
  }
  const audit = await api(urls[0] as string, '/v1/audit-log', { key: t.adminKey });
  const flips = audit.body.data.filter(
    (e: { action: string; actor_type: string }) => e.action === 'agent.suspend' && e.actor_type === 'system',
  );
  assert.equal(flips.length, 1, 'the kill switch flipped once, by the system');
}

async function customerLimitRace(urls: string[], t: Tenant, databaseUrl: string | undefined) {
  const patch = await api(urls[0] as string, '/v1/customer', {
    method: 'PATCH',
    key: t.adminKey,
    body: { limits: { month_usd: '1.00' } },
  });
  assert.equal(patch.status, 200, JSON.stringify(patch.body));
  const amounts = [10_000, 30_000, 70_000, 1_000, 123_457];
  const requests = Array.from({ length: 200 }, (_, i) => ({
    agent: `team-${i % 4}`,
    cost_micros: amounts[i % amounts.length] as number,
  }));
  const responses = await Promise.all(
    requests.map((body, i) => sendEvent(urls[i % urls.length] as string, t.adminKey, body)),
  );
  let acceptedTotal = 0;
  const declinedAmounts: number[] = [];
  responses.forEach((r, i) => {
    const amount = requests[i]?.cost_micros as number;
    if (r.status === 201) acceptedTotal += amount;
    else {
      assert.equal(r.status, 403, JSON.stringify(r.body));
      assert.equal(r.body.error.code, 'budget_exceeded');
      assert.equal(r.body.error.scope, 'customer');
      declinedAmounts.push(amount);
    }
  });
  assert.ok(acceptedTotal <= LIMIT, `accepted ${acceptedTotal} > limit`);
  // Each decline happened because this amount did not fit; spend only grows, so it does not fit now either.
  for (const d of declinedAmounts) assert.ok(acceptedTotal + d > LIMIT, `a ${d} decline would have fit`);
  const customer = await api(urls[0] as string, '/v1/customer', { key: t.adminKey });
  assert.equal(customer.body.spend.month_micros, acceptedTotal);
  if (databaseUrl) {
    let sum = 0;
    for (let a = 0; a < 4; a++) sum += (await dbSpend(databaseUrl, t.customerId, `team-${a}`)).events;
    assert.equal(sum, acceptedTotal);
  }
  // No agent was suspended by a customer-scope decline.
  const list = await api(urls[0] as string, '/v1/agents', { key: t.adminKey });
  assert.ok(list.body.data.every((a: { status: string }) => a.status === 'active'));
}

for (const variant of ['redis', 'embedded'] as const) {
  describe(`budget races (${variant})`, () => {
    let server: TestServer;
    before(async () => {
      server = await startTestServer(variant === 'embedded' ? { embedded: true } : {});
    });
    after(async () => server.close());

    it('300 concurrent $0.01 events against a $1.00 agent limit: exactly 100 accepted, agent suspended', async () => {
      const t = await signupAndAdminKey(server.url);
      await agentLimitRace([server.url], t, server.databaseUrl);
    });

    it('mixed amounts from 4 agents against a $1.00 customer limit never exceed it', async () => {
      const t = await signupAndAdminKey(server.url);
      await customerLimitRace([server.url], t, server.databaseUrl);
    });
  });
}

describe('budget races across two instances sharing PostgreSQL + Redis', () => {
  let a: TestServer;
  let b: TestServer;
  before(async () => {
    a = await startTestServer();
    b = await startSecondInstance(a);
  });
  after(async () => {
    await b.close();
    await a.close();
  });

  it('agent limit exact when requests alternate between instances', async () => {
    const t = await signupAndAdminKey(a.url);
    await agentLimitRace([a.url, b.url], t, a.databaseUrl);
  });

  it('customer limit exact when requests alternate between instances', async () => {
    const t = await signupAndAdminKey(a.url);
    await customerLimitRace([a.url, b.url], t, a.databaseUrl);
  });
});
