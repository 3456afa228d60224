// Suspensions that explain themselves (docs/api.md §5 rule 4, §6, §7): the agent says which limit suspended it
// (suspended_period) and when that lifts by itself (resumes_at); raising or removing the limit that caused a budget
// suspension lifts it at once, audited as the person's change; manual and velocity suspensions are never lifted by a
// PATCH; a reservation declined for a limit never flips the switch.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Static } from 'typebox';
import type { AuditPageSchema } from '../../src/schemas/agents.js';
import type { ReservationCreatedSchema } from '../../src/schemas/spend.js';
import { startSecondInstance, startTestServer, type TestServer } from '../harness.js';
import { dbRows } from '../reservations/helpers.js';
import {
  type AgentJson,
  type Auth,
  type CustomerWithKeys,
  createAgent,
  customersWithKeys,
  expectError,
  expectStatus,
  getAgent,
  idemKey,
  injectJson,
  nextDayStart,
  nextMonthStart,
  postEvent,
} from './inject.js';

type AuditPage = Static<typeof AuditPageSchema>;
type ReservationCreated = Static<typeof ReservationCreatedSchema>;
type App = TestServer['app'];

let server: TestServer;
let c: CustomerWithKeys;
before(async () => {
  server = await startTestServer({ embedded: true });
  [c] = (await customersWithKeys(server.app, 1)) as [CustomerWithKeys];
});
after(() => server.close());

const path = (name: string) => `/v1/agents/${encodeURIComponent(name)}`;
const patchLimits = (app: App, auth: Auth, name: string, limits: Record<string, unknown>) =>
  injectJson<AgentJson>(app, path(name), { ...auth, method: 'PATCH', body: { limits } });
const spend = (app: App, name: string, cost_usd: number | string) =>
  postEvent(app, { key: c.ingest.key }, { agent: name, cost_usd });

/** A new agent with `limits`, suspended by an event of `cost` that breaks one of them (403 asserted). */
async function suspendedBy(name: string, limits: Record<string, unknown>, cost: number): Promise<AgentJson> {
  await createAgent(server.app, c.admin.key, name, limits);
  expectError(await spend(server.app, name, cost), 403, 'budget_exceeded');
  const agent = await getAgent(server.app, c.admin.key, name);
  assert.equal(agent.status, 'suspended');
  return agent;
}

describe('the agent says which limit suspended it and when it lifts', () => {
  it('day limit: suspended_period day, resumes_at the next midnight UTC', async () => {
    const agent = await suspendedBy('day-bot', { day_usd: '0.50' }, 0.6);
    assert.equal(agent.suspended_reason, 'budget_exceeded');
    assert.equal(agent.suspended_period, 'day');
    assert.equal(agent.resumes_at, nextDayStart());
  });

  it('month limit: suspended_period month, resumes_at the first of next month', async () => {
    const agent = await suspendedBy('month-bot', { month_usd: '1' }, 1.5);
    assert.equal(agent.suspended_period, 'month');
    assert.equal(agent.resumes_at, nextMonthStart());
  });

  it('month and day broken at once: the month, which lifts last', async () => {
    const agent = await suspendedBy('both-bot', { month_usd: '1', day_usd: '0.5' }, 1.5);
    assert.equal(agent.suspended_period, 'month');
    assert.equal(agent.resumes_at, nextMonthStart());
  });

  it('velocity: suspended_period velocity, resumes_at null (only resume lifts it)', async () => {
    const agent = await suspendedBy('fast-bot', { velocity: { window_seconds: 60, max_usd: '0.1' } }, 0.2);
    assert.equal(agent.suspended_reason, 'velocity_exceeded');
    assert.equal(agent.suspended_period, 'velocity');
    assert.equal(agent.resumes_at, null);
  });

  it('manual: both null; an active agent: both null', async () => {
    await createAgent(server.app, c.admin.key, 'manual-bot');
    const active = await getAgent(server.app, c.admin.key, 'manual-bot');
    assert.equal(active.suspended_period, null);
    assert.equal(active.resumes_at, null);
    const suspended = expectStatus(
      await injectJson<AgentJson>(server.app, `${path('manual-bot')}/suspend`, {
        key: c.admin.key,
        method: 'POST',
      }),
      200,
    ).body;
    assert.equal(suspended.suspended_reason, 'manual');
    assert.equal(suspended.suspended_period, null);
    assert.equal(suspended.resumes_at, null);
  });
});

describe('raising the limit that caused a budget suspension lifts it at once', () => {
  it('a day limit set higher: active at once, the next event is decided by the new limit, audited as the person', async () => {
    await suspendedBy('raise-bot', { day_usd: '0.50' }, 0.6);
    const res = expectStatus(
      await patchLimits(server.app, { session: c.session }, 'raise-bot', { day_usd: '2' }),
      200,
    );
    assert.equal(res.body.status, 'active');
    assert.equal(res.body.suspended_reason, null);
    assert.equal(res.body.resumes_at, null);
    expectStatus(await spend(server.app, 'raise-bot', 0.6), 201);
    const audit = expectStatus(
      await injectJson<AuditPage>(server.app, '/v1/audit-log?limit=20', { key: c.admin.key }),
      200,
    ).body;
    const lift = audit.data.find((e) => e.action === 'agent.resume' && e.target_id === res.body.id);
    assert.ok(lift, 'the lift is in the audit log');
    assert.equal(lift.actor_type, 'user');
    assert.equal(lift.actor_id, c.userId);
    assert.deepEqual(lift.after, {
      status: 'active',
      suspended_reason: null,
      suspended_period: null,
      lifted_by: 'limit raised',
    });
  });

  it('a removed limit lifts it too', async () => {
    await suspendedBy('remove-bot', { month_usd: '1' }, 1.5);
    const res = expectStatus(
      await patchLimits(server.app, { key: c.admin.key }, 'remove-bot', { month_usd: null }),
      200,
    );
    assert.equal(res.body.status, 'active');
    expectStatus(await spend(server.app, 'remove-bot', 1.5), 201);
  });

  it('the same limit again, a lower one, or another limit raised: still suspended', async () => {
    await suspendedBy('stubborn-bot', { day_usd: '0.50', month_usd: '5' }, 0.6);
    for (const limits of [{ day_usd: '0.5' }, { day_usd: '0.4' }, { month_usd: '100' }]) {
      const res = expectStatus(
        await patchLimits(server.app, { key: c.admin.key }, 'stubborn-bot', limits),
        200,
      );
      assert.equal(res.body.status, 'suspended', JSON.stringify(limits));
      assert.equal(res.body.suspended_period, 'day');
      expectError(await spend(server.app, 'stubborn-bot', 0.01), 403, 'agent_suspended');
    }
    // Lowered to 0.4 above, then raised to 0.45: still not above the 0.50 that the spend broke.
    const res = expectStatus(
      await patchLimits(server.app, { key: c.admin.key }, 'stubborn-bot', { day_usd: '0.45' }),
      200,
    );
    assert.equal(res.body.status, 'suspended');
  });

  it('a manual or velocity suspension is never lifted by a PATCH', async () => {
    await createAgent(server.app, c.admin.key, 'held-bot', { day_usd: '1' });
    expectStatus(
      await injectJson(server.app, `${path('held-bot')}/suspend`, { key: c.admin.key, method: 'POST' }),
      200,
    );
    const manual = expectStatus(
      await patchLimits(server.app, { key: c.admin.key }, 'held-bot', { day_usd: null }),
      200,
    );
    assert.equal(manual.body.status, 'suspended');
    assert.equal(manual.body.suspended_reason, 'manual');

    await suspendedBy('rate-bot', { velocity: { window_seconds: 60, max_usd: '0.1' } }, 0.2);
    const velocity = expectStatus(
      await patchLimits(server.app, { key: c.admin.key }, 'rate-bot', {
        velocity: { window_seconds: 60, max_usd: '5' },
      }),
      200,
    );
    assert.equal(velocity.body.status, 'suspended');
    assert.equal(velocity.body.suspended_reason, 'velocity_exceeded');
  });
});

describe('an estimate is not spend (docs/api.md §6)', () => {
  it('a $0.05 hold near a $0.15 day limit at $0.12 spent is declined and the agent stays active', async () => {
    await createAgent(server.app, c.admin.key, 'estimating-bot', { day_usd: '0.15' });
    expectStatus(await spend(server.app, 'estimating-bot', 0.12), 201);
    const hold = await injectJson<ReservationCreated>(server.app, '/v1/reservations', {
      key: c.ingest.key,
      body: { agent: 'estimating-bot', amount_usd: 0.05 },
      idempotencyKey: idemKey('rsv'),
    });
    const error = expectError(hold, 403, 'budget_exceeded');
    assert.equal(error.period, 'day');
    const agent = await getAgent(server.app, c.admin.key, 'estimating-bot');
    assert.equal(agent.status, 'active', 'a declined hold flipped the kill switch');
    expectStatus(await spend(server.app, 'estimating-bot', 0.03), 201, 'the agent goes on within its limit');
  });
});

describe('two instances (PostgreSQL + Redis), events racing the lift', () => {
  it('a lift on B is in force on A at once; 300 concurrent events never take the day past the new limit', async () => {
    const a = await startTestServer();
    const b = await startSecondInstance(a);
    try {
      const [t] = (await customersWithKeys(a.app, 1)) as [CustomerWithKeys];
      const event = (app: App, cost: number) =>
        postEvent(app, { key: t.ingest.key }, { agent: 'busy-bot', cost_usd: cost });
      await createAgent(a.app, t.admin.key, 'busy-bot', { day_usd: '0.50' });
      expectStatus(await event(a.app, 0.45), 201);
      expectError(await event(a.app, 0.1), 403, 'budget_exceeded');
      expectError(await event(b.app, 0.01), 403, 'agent_suspended', 'B sees the suspension');

      const racing = Array.from({ length: 300 }, (_, i) => event(i % 2 ? a.app : b.app, 0.01));
      const lift = patchLimits(b.app, { key: t.admin.key }, 'busy-bot', { day_usd: '1' });
      const [results, lifted] = await Promise.all([Promise.all(racing), lift]);
      expectStatus(lifted, 200);
      for (const r of results) assert.ok([201, 403].includes(r.status), `unexpected ${r.status}`);

      const accepted = await dbRows<{ micros: number }>(
        a.app,
        `SELECT coalesce(sum(e.cost_micros), 0)::bigint AS micros FROM events e JOIN agents g ON g.id = e.agent_id
          WHERE g.customer_id = $1 AND g.name = 'busy-bot' AND e.status = 'accepted'`,
        [t.customerId],
      );
      const spent = Number(accepted[0]?.micros);
      assert.ok(spent <= 1_000_000, `the day went past the new 1 USD limit: ${spent}`);
      assert.equal(
        spent,
        450_000 + results.filter((r) => r.status === 201).length * 10_000,
        'every 201 recorded',
      );
      // After the race the agent is what its spend says: either still within the limit and active, or suspended
      // again by an event that broke the new limit — and both instances agree with GET.
      const agentA = await getAgent(a.app, t.admin.key, 'busy-bot');
      const agentB = await getAgent(b.app, t.admin.key, 'busy-bot');
      assert.equal(agentA.status, agentB.status);
      assert.equal(agentA.spend.day_micros, spent);
      const next = await event(a.app, 0.01);
      if (agentA.status === 'active') assert.equal(next.status, spent + 10_000 <= 1_000_000 ? 201 : 403);
      else expectError(next, 403, 'agent_suspended');
    } finally {
      await b.close();
      await a.close();
    }
  });
});
