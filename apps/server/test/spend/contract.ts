// The SpendStore contract: one suite, run against every implementation (memory-store.test.ts,
// redis-store.test.ts). Time is the request's `now`, so expiry and period roll-over need no sleeping.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { dayResetsAt, monthResetsAt, velocityWindow } from '../../src/budget/periods.js';
import type { Db } from '../../src/db/types.js';
import { rebuildOnce } from '../../src/spend/rebuild.js';
import type {
  AgentLimits,
  AgentState,
  CounterLoad,
  Decision,
  Decline,
  SpendRequest,
  SpendStore,
} from '../../src/spend/store.js';
import { openTestDb } from '../harness.js';
import { activeAgent } from './fixtures.js';

export interface StoreUnderTest {
  store: SpendStore;
  /** Forget every cached value (Redis: delete the prefix's keys; memory: a restart). */
  wipe(): Promise<void>;
  cleanup(): Promise<void>;
}

const T0 = Date.parse('2026-11-25T10:00:00.000Z');
const SECOND = 1000;
const DAY = 86_400_000;

const NO_LIMITS: AgentLimits = { monthMicros: null, dayMicros: null, runMicros: null, velocity: null };

function id(prefix: string): string {
  return `${prefix}_${randomBytes(6).toString('hex')}`;
}

interface Tenant {
  customerId: string;
  agentId: string;
}

function agentState(t: Tenant, limits: Partial<AgentLimits>, over: Partial<AgentState> = {}): AgentState {
  return { ...activeAgent(t.customerId, t.agentId, { ...NO_LIMITS, ...limits }), ...over };
}

function emptyLoad(t: Tenant, now: number, agent: AgentState, customerLimit: number | null): CounterLoad {
  return {
    customerId: t.customerId,
    agentId: t.agentId,
    now,
    customer: { customerId: t.customerId, monthLimitMicros: customerLimit },
    agent,
    customerMonthMicros: 0,
    agentMonthMicros: 0,
    agentDayMicros: 0,
    velocityBuckets: [],
    run: null,
    holds: [],
  };
}

/** A tenant whose agent (and customer) are loaded with zero spend at `now`. */
async function seed(
  store: SpendStore,
  options: {
    limits?: Partial<AgentLimits>;
    customerLimit?: number | null;
    now?: number;
    customerId?: string;
    runId?: string;
  } = {},
): Promise<Tenant> {
  const t = { customerId: options.customerId ?? id('cus'), agentId: id('agt') };
  const now = options.now ?? T0;
  const load = emptyLoad(t, now, agentState(t, options.limits ?? {}), options.customerLimit ?? null);
  if (options.runId) load.run = { runId: options.runId, micros: 0 };
  await store.loadCounters(load);
  return t;
}

function request(t: Tenant, amountMicros: number, over: Partial<SpendRequest> = {}): SpendRequest {
  const key = over.idempotencyKey ?? id('key');
  return {
    customerId: t.customerId,
    agentId: t.agentId,
    runId: null,
    amountMicros,
    idempotencyKey: key,
    requestHash: `hash-of-${key}`,
    now: T0,
    ...over,
  };
}

/** The decline that flips the velocity kill switch. */
function velocityDecline(limitMicros: number, spentMicros: number): Decline {
  return {
    code: 'budget_exceeded',
    scope: 'agent',
    period: 'velocity',
    limitMicros,
    spentMicros,
    resetsAt: null,
    suspended: { reason: 'velocity_exceeded', period: null },
  };
}

/** Commits a run-less hold of `t`'s agent, which must not need a rebuild. */
async function commit(store: SpendStore, t: Tenant, holdId: string, actualMicros: number, now: number) {
  const committed = await store.commitHold({
    customerId: t.customerId,
    agentId: t.agentId,
    runId: null,
    holdId,
    actualMicros,
    now,
  });
  assert.ok(!('outcome' in committed), `expected committed, got ${JSON.stringify(committed)}`);
  if ('outcome' in committed) throw new Error('unreachable');
  return committed;
}

function declineOf(decision: Decision): Decline {
  assert.equal(decision.outcome, 'declined', `expected a decline, got ${JSON.stringify(decision)}`);
  if (decision.outcome !== 'declined') throw new Error('unreachable');
  return decision.decline;
}

function assertAccepted(decision: Decision): Extract<Decision, { outcome: 'accepted' }> {
  assert.equal(decision.outcome, 'accepted', `expected accepted, got ${JSON.stringify(decision)}`);
  if (decision.outcome !== 'accepted') throw new Error('unreachable');
  return decision;
}

async function agentSpend(store: SpendStore, t: Tenant, now = T0) {
  const spend = (await store.readSpend(t.customerId, [t.agentId], now)).get(t.agentId);
  assert.ok(spend, 'spend of a loaded agent is known');
  return spend;
}

async function count(
  decisions: Promise<Decision>[],
): Promise<{ accepted: number; declined: Decline[]; all: Decision[] }> {
  const all = await Promise.all(decisions);
  return {
    accepted: all.filter((d) => d.outcome === 'accepted').length,
    declined: all.flatMap((d) => (d.outcome === 'declined' ? [d.decline] : [])),
    all,
  };
}

export function runSpendStoreContract(name: string, makeStore: () => Promise<StoreUnderTest>): void {
  describe(`SpendStore contract: ${name}`, () => {
    let sut: StoreUnderTest;
    let store: SpendStore;
    before(async () => {
      sut = await makeStore();
      store = sut.store;
    });
    after(async () => {
      await sut.cleanup();
    });

    describe('missing state', () => {
      it('reports what is absent without claiming the key, and decides after loadCounters', async () => {
        const t = { customerId: id('cus'), agentId: id('agt') };
        const req = request(t, 5_000);
        const missing = await store.decide(req);
        assert.equal(missing.outcome, 'missing');
        if (missing.outcome !== 'missing') return;
        for (const part of ['agent', 'customer', 'holds', 'customer_month', 'agent_month', 'agent_day']) {
          assert.ok(missing.what.includes(part), `${part} reported missing: ${missing.what}`);
        }
        await store.loadCounters(emptyLoad(t, T0, agentState(t, { monthMicros: 10_000 }), null));
        const decided = assertAccepted(await store.decide(req)); // same key: not claimed by the miss
        assert.equal(decided.spend.agent.monthMicros, 5_000);
        assert.equal(decided.spend.customer.monthMicros, 5_000);
      });

      it('reports a missing run counter when the agent has a run limit, and missing velocity buckets', async () => {
        const t = await seed(store, {
          limits: { runMicros: 50_000, velocity: { windowSeconds: 60, maxMicros: 1 } },
        });
        // seed() loaded velocity (empty bucket set) and no run; a run of a run-capped agent needs its counter.
        const d = await store.decide(request(t, 1, { runId: 'run-1' }));
        assert.deepEqual(d, { outcome: 'missing', what: ['run'] });
        const loaded = emptyLoad(t, T0, agentState(t, {}), null);
        loaded.run = { runId: 'run-1', micros: 49_999 };
        await store.loadCounters(loaded);
        const accepted = assertAccepted(await store.decide(request(t, 1, { runId: 'run-1' })));
        assert.equal(accepted.spend.agent.runMicros, 50_000);
        assert.equal(accepted.spend.agent.velocityMicros, 1);
      });

      it('a new day needs its day counter (rebuilt, never assumed zero)', async () => {
        const t = await seed(store, {});
        assertAccepted(await store.decide(request(t, 7)));
        const nextDay = await store.decide(request(t, 7, { now: T0 + DAY }));
        assert.deepEqual(nextDay, { outcome: 'missing', what: ['agent_day'] });
      });

      it('loadCounters never overwrites existing values or state', async () => {
        const t = await seed(store, { limits: { monthMicros: 1_000_000 } });
        assertAccepted(await store.decide(request(t, 300_000)));
        await store.putAgentState(
          agentState(
            t,
            { monthMicros: 1_000_000 },
            { status: 'suspended', suspendedReason: 'manual', suspendedAt: T0 },
          ),
        );
        const stale = emptyLoad(t, T0, agentState(t, { monthMicros: 5 }), 1);
        stale.customerMonthMicros = 99;
        stale.agentMonthMicros = 99;
        stale.agentDayMicros = 99;
        await store.loadCounters(stale);
        const spend = await agentSpend(store, t);
        assert.equal(spend.monthMicros, 300_000);
        assert.equal(spend.dayMicros, 300_000);
        const d = declineOf(await store.decide(request(t, 1)));
        assert.deepEqual(d, { code: 'agent_suspended', reason: 'manual', suspendedAt: T0 });
      });

      it('readSpend answers null for an agent whose counters are absent', async () => {
        const t = await seed(store, {});
        const spend = await store.readSpend(t.customerId, [t.agentId, 'agt_unknown'], T0);
        assert.deepEqual(spend.get(t.agentId), {
          monthMicros: 0,
          dayMicros: 0,
          velocityMicros: 0,
          runMicros: null,
        });
        assert.equal(spend.get('agt_unknown'), null);
      });
    });

    describe('decision order and limits', () => {
      it('landing exactly on a limit is accepted; one micro more is declined', async () => {
        const t = await seed(store, { limits: { monthMicros: 1_000_000 } });
        const accepted = assertAccepted(await store.decide(request(t, 1_000_000)));
        assert.equal(accepted.spend.agent.monthMicros, 1_000_000);
        const d = declineOf(await store.decide(request(t, 1)));
        assert.deepEqual(d, {
          code: 'budget_exceeded',
          scope: 'agent',
          period: 'month',
          limitMicros: 1_000_000,
          spentMicros: 1_000_000,
          resetsAt: monthResetsAt(T0),
          suspended: { reason: 'budget_exceeded', period: '2026-11' },
        });
      });

      it('a zero limit accepts zero-cost events only; null limits never decline', async () => {
        const zero = await seed(store, { limits: { dayMicros: 0 } });
        assertAccepted(await store.decide(request(zero, 0)));
        assert.equal(declineOf(await store.decide(request(zero, 1))).code, 'budget_exceeded');
        const open = await seed(store, {});
        assertAccepted(await store.decide(request(open, 1_000_000_000_000)));
      });

      it('suspended is checked first (before customer, run and agent limits)', async () => {
        const t = await seed(store, {
          limits: { monthMicros: 1, runMicros: 1 },
          customerLimit: 1,
          runId: 'r',
        });
        await store.putAgentState(
          agentState(
            t,
            { monthMicros: 1, runMicros: 1 },
            { status: 'suspended', suspendedReason: 'manual', suspendedAt: T0 - 5 },
          ),
        );
        const d = await store.decide(request(t, 10, { runId: 'r' }));
        assert.deepEqual(declineOf(d), { code: 'agent_suspended', reason: 'manual', suspendedAt: T0 - 5 });
        if (d.outcome === 'declined') assert.equal(d.spend.agent.monthMicros, 0);
      });

      it('customer month comes before run and agent limits, and does not suspend the agent', async () => {
        const t = await seed(store, {
          limits: { monthMicros: 10, runMicros: 10 },
          customerLimit: 100,
          runId: 'r',
        });
        assertAccepted(await store.decide(request(t, 10, { runId: 'r' })));
        const d = declineOf(await store.decide(request(t, 1_000, { runId: 'r' })));
        assert.deepEqual(d, {
          code: 'budget_exceeded',
          scope: 'customer',
          period: 'month',
          limitMicros: 100,
          spentMicros: 10,
          resetsAt: monthResetsAt(T0),
          suspended: null,
        });
        // Not suspended: a zero-cost event of the agent still goes through.
        assertAccepted(await store.decide(request(t, 0)));
      });

      it('run cap declines without suspension before agent limits; other runs go on', async () => {
        const t = await seed(store, { limits: { runMicros: 30_000, monthMicros: 40_000 }, runId: 'r1' });
        assertAccepted(await store.decide(request(t, 20_000, { runId: 'r1' })));
        const d = declineOf(await store.decide(request(t, 25_000, { runId: 'r1' })));
        assert.deepEqual(d, {
          code: 'budget_exceeded',
          scope: 'agent',
          period: 'run',
          limitMicros: 30_000,
          spentMicros: 20_000,
          resetsAt: null,
          suspended: null,
        });
        const load = emptyLoad(t, T0, agentState(t, {}), null);
        load.run = { runId: 'r2', micros: 0 };
        await store.loadCounters(load);
        const other = assertAccepted(await store.decide(request(t, 10_000, { runId: 'r2' })));
        assert.equal(other.spend.agent.runMicros, 10_000);
        assert.equal(other.spend.agent.monthMicros, 30_000);
        // The agent month (40,000) now bites, after the run check passed: it suspends.
        const month = declineOf(await store.decide(request(t, 15_000, { runId: 'r2' })));
        assert.equal(month.code === 'budget_exceeded' && month.period, 'month');
      });

      it('agent month is checked before day, day before velocity', async () => {
        const t = await seed(store, {
          limits: { monthMicros: 100, dayMicros: 100, velocity: { windowSeconds: 60, maxMicros: 100 } },
        });
        const month = declineOf(await store.decide(request(t, 101)));
        assert.equal(month.code === 'budget_exceeded' && month.period, 'month');

        const t2 = await seed(store, {
          limits: { monthMicros: 1_000, dayMicros: 100, velocity: { windowSeconds: 60, maxMicros: 100 } },
        });
        const day = declineOf(await store.decide(request(t2, 101)));
        assert.deepEqual(day, {
          code: 'budget_exceeded',
          scope: 'agent',
          period: 'day',
          limitMicros: 100,
          spentMicros: 0,
          resetsAt: dayResetsAt(T0),
          suspended: { reason: 'budget_exceeded', period: '2026-11-25' },
        });
        const after = declineOf(await store.decide(request(t2, 1)));
        assert.deepEqual(after, { code: 'agent_suspended', reason: 'budget_exceeded', suspendedAt: T0 });
      });

      it('300 concurrent events of 10,000 against a 1,000,000 month limit: exactly 100 accepted', async () => {
        const t = await seed(store, { limits: { monthMicros: 1_000_000 } });
        const result = await count(Array.from({ length: 300 }, () => store.decide(request(t, 10_000))));
        assert.equal(result.accepted, 100);
        assert.equal(result.declined.length, 200);
        const spend = await agentSpend(store, t);
        assert.equal(spend.monthMicros, 1_000_000);
        assert.equal(spend.dayMicros, 1_000_000);
        const flips = result.declined.filter((d) => d.code === 'budget_exceeded' && d.suspended !== null);
        assert.equal(flips.length, 1, 'exactly one decline flipped the switch; the others saw it suspended');
        const d = declineOf(await store.decide(request(t, 0)));
        assert.deepEqual(d, { code: 'agent_suspended', reason: 'budget_exceeded', suspendedAt: T0 });
      });

      it('customer limit holds across agents with mixed amounts under concurrency', async () => {
        const customerId = id('cus');
        const agents = await Promise.all(
          [0, 1, 2].map(() => seed(store, { customerId, customerLimit: 1_000_000 })),
        );
        const amounts = Array.from({ length: 60 }, (_, i) => (i % 2 === 0 ? 30_000 : 70_000));
        const result = await count(amounts.map((amount, i) => store.decide(request(agents[i % 3]!, amount))));
        const acceptedSum = result.all.reduce(
          (sum, d, i) => sum + (d.outcome === 'accepted' ? amounts[i]! : 0),
          0,
        );
        assert.ok(acceptedSum <= 1_000_000, `accepted ${acceptedSum}`);
        // A declined 30,000 means less than 30,000 was left then, and remaining only shrinks.
        assert.ok(acceptedSum > 1_000_000 - 30_000, `accepted ${acceptedSum}`);
        for (const d of result.declined) assert.equal(d.code === 'budget_exceeded' && d.scope, 'customer');
        const spends = await store.readSpend(
          customerId,
          agents.map((a) => a.agentId),
          T0,
        );
        const total = agents.reduce((sum, a) => sum + spends.get(a.agentId)!.monthMicros, 0);
        assert.equal(total, acceptedSum);
        for (const a of agents) assertAccepted(await store.decide(request(a, 0)));
      });
    });

    describe('idempotency', () => {
      it('50 concurrent requests with one key: one accepted, the rest in flight; replay after completeKey', async () => {
        const t = await seed(store, {});
        const key = id('key');
        const results = await Promise.all(
          Array.from({ length: 50 }, () => store.decide(request(t, 1_000, { idempotencyKey: key }))),
        );
        assert.equal(results.filter((d) => d.outcome === 'accepted').length, 1);
        assert.equal(results.filter((d) => d.outcome === 'in_flight').length, 49);
        assert.equal((await agentSpend(store, t)).monthMicros, 1_000);
        await store.completeKey(t.customerId, key, `hash-of-${key}`);
        assert.deepEqual(await store.decide(request(t, 1_000, { idempotencyKey: key })), {
          outcome: 'replay',
        });
        assert.equal((await agentSpend(store, t)).monthMicros, 1_000);
      });

      it('a declined request claims its key too, and replays', async () => {
        const t = await seed(store, { limits: { monthMicros: 5 } });
        const key = id('key');
        declineOf(await store.decide(request(t, 6, { idempotencyKey: key })));
        assert.deepEqual(await store.decide(request(t, 6, { idempotencyKey: key })), {
          outcome: 'in_flight',
        });
        await store.completeKey(t.customerId, key, `hash-of-${key}`);
        assert.deepEqual(await store.decide(request(t, 6, { idempotencyKey: key })), { outcome: 'replay' });
      });

      it('the same key with a different body is reused (in flight or completed); keys are per customer', async () => {
        const t = await seed(store, {});
        const key = id('key');
        assertAccepted(await store.decide(request(t, 10, { idempotencyKey: key })));
        assert.deepEqual(await store.decide(request(t, 10, { idempotencyKey: key, requestHash: 'other' })), {
          outcome: 'reused',
        });
        await store.completeKey(t.customerId, key, `hash-of-${key}`);
        assert.deepEqual(await store.decide(request(t, 10, { idempotencyKey: key, requestHash: 'other' })), {
          outcome: 'reused',
        });
        const otherCustomer = await seed(store, {});
        assertAccepted(await store.decide(request(otherCustomer, 10, { idempotencyKey: key })));
        assert.equal((await agentSpend(store, t)).monthMicros, 10);
      });
    });

    describe('undo', () => {
      it('takes back exactly what an accepted decision counted, and forgets the key', async () => {
        const limits = { runMicros: 1_000_000, velocity: { windowSeconds: 60, maxMicros: 1_000_000 } };
        const t = await seed(store, { limits, runId: 'r' });
        assertAccepted(await store.decide(request(t, 1_111, { runId: 'r' })));
        const before = await agentSpend(store, t);
        const req = request(t, 2_222, { runId: 'r', now: T0 + 500 });
        const decision = assertAccepted(await store.decide(req));
        assert.equal(decision.spend.agent.runMicros, 3_333);
        await store.undo(req, decision);
        assert.deepEqual(await agentSpend(store, t), before);
        const run = assertAccepted(await store.decide(request(t, 0, { runId: 'r' })));
        assert.equal(run.spend.agent.runMicros, 1_111);
        assert.equal(run.spend.customer.monthMicros, 1_111);
        // The key is free again: the same request is decided afresh.
        assertAccepted(await store.decide(req));
      });

      it('takes back a hold', async () => {
        const t = await seed(store, { limits: { monthMicros: 100 } });
        const req = request(t, 100, { hold: { holdId: id('rsv'), expiresAt: T0 + 60_000 } });
        const decision = assertAccepted(await store.decide(req));
        assert.equal(decision.spend.agent.monthMicros, 100);
        await store.undo(req, decision);
        assert.equal((await agentSpend(store, t)).monthMicros, 0);
        assertAccepted(await store.decide(request(t, 100)));
      });

      it('restores a kill switch the decision flipped, unless the state changed since', async () => {
        const t = await seed(store, { limits: { monthMicros: 10 } });
        const req = request(t, 11);
        const decision = await store.decide(req);
        assert.ok(declineOf(decision).code === 'budget_exceeded');
        await store.undo(req, decision);
        assertAccepted(await store.decide(request(t, 10)));

        const req2 = request(t, 5, { now: T0 + 1 });
        const flipped = await store.decide(req2);
        declineOf(flipped);
        // A person suspends by hand meanwhile: undo must not lift that.
        await store.putAgentState(
          agentState(
            t,
            { monthMicros: 10 },
            { status: 'suspended', suspendedReason: 'manual', suspendedAt: T0 + 2 },
          ),
        );
        await store.undo(req2, flipped);
        assert.deepEqual(declineOf(await store.decide(request(t, 0, { now: T0 + 3 }))), {
          code: 'agent_suspended',
          reason: 'manual',
          suspendedAt: T0 + 2,
        });
      });

      it('never creates counters that were evicted meanwhile', async () => {
        const t = await seed(store, {});
        const req = request(t, 500);
        const decision = assertAccepted(await store.decide(req));
        await sut.wipe();
        await store.undo(req, decision);
        const missing = await store.decide(request(t, 1));
        assert.equal(missing.outcome, 'missing');
        await store.loadCounters(emptyLoad(t, T0, agentState(t, {}), null));
        assert.equal((await agentSpend(store, t)).monthMicros, 0);
      });
    });

    describe('holds', () => {
      const hold = (expiresAt: number) => ({ hold: { holdId: id('rsv'), expiresAt } });

      it('200 concurrent holds of 10,000 against 1,000,000: exactly 100 held', async () => {
        const t = await seed(store, { limits: { monthMicros: 1_000_000 } });
        const result = await count(
          Array.from({ length: 200 }, () => store.decide(request(t, 10_000, hold(T0 + 300_000)))),
        );
        assert.equal(result.accepted, 100);
        const spend = await agentSpend(store, t);
        assert.equal(spend.monthMicros, 1_000_000);
        assert.equal(spend.velocityMicros, 1_000_000, 'holds count in velocity too');
      });

      it('a 1-second hold expires by itself', async () => {
        const t = await seed(store, { limits: { dayMicros: 50_000 } });
        assertAccepted(await store.decide(request(t, 50_000, hold(T0 + SECOND))));
        const d = declineOf(await store.decide(request(t, 1, { now: T0 + 999 })));
        assert.equal(d.code === 'budget_exceeded' && d.spentMicros, 50_000);
        // That decline suspended the agent (day): resume by hand, then the hold is gone a second later.
        await store.putAgentState(agentState(t, { dayMicros: 50_000 }));
        assert.equal((await agentSpend(store, t, T0 + SECOND)).dayMicros, 0);
        assertAccepted(await store.decide(request(t, 50_000, { now: T0 + SECOND })));
      });

      it('release frees the hold once', async () => {
        const t = await seed(store, { customerLimit: 20_000 });
        const h = hold(T0 + 60_000);
        assertAccepted(await store.decide(request(t, 20_000, h)));
        assert.equal(declineOf(await store.decide(request(t, 1))).code, 'budget_exceeded');
        assert.equal(await store.releaseHold(t.customerId, h.hold.holdId, T0 + 1), true);
        assert.equal(await store.releaseHold(t.customerId, h.hold.holdId, T0 + 2), false);
        assertAccepted(await store.decide(request(t, 20_000)));
      });

      it('holds count against the run limit', async () => {
        const t = await seed(store, { limits: { runMicros: 100 }, runId: 'r' });
        assertAccepted(await store.decide(request(t, 60, { runId: 'r', ...hold(T0 + 60_000) })));
        const d = declineOf(await store.decide(request(t, 41, { runId: 'r' })));
        assert.equal(d.code === 'budget_exceeded' && d.period, 'run');
        assert.equal(d.code === 'budget_exceeded' && d.spentMicros, 60);
      });

      it('holds count against velocity: a hold makes the following event break it', async () => {
        const velocity = { windowSeconds: 60, maxMicros: 50_000 };
        const t = await seed(store, { limits: { velocity } });
        assertAccepted(await store.decide(request(t, 20_000)));
        const held = assertAccepted(await store.decide(request(t, 30_000, hold(T0 + 60_000))));
        assert.equal(held.spend.agent.velocityMicros, 50_000);
        assert.equal((await agentSpend(store, t, T0 + 1)).velocityMicros, 50_000);
        const d = await store.decide(request(t, 1, { now: T0 + SECOND }));
        assert.deepEqual(declineOf(d), velocityDecline(50_000, 50_000));
        if (d.outcome === 'declined') assert.equal(d.spend.agent.velocityMicros, 50_000);
        assert.equal(
          declineOf(await store.decide(request(t, 0, { now: T0 + 2 * SECOND }))).code,
          'agent_suspended',
        );
      });

      it("a velocity decline's spentMicros includes the agent's holds, not other agents' holds", async () => {
        const velocity = { windowSeconds: 60, maxMicros: 50_000 };
        const customerId = id('cus');
        const t = await seed(store, { customerId, limits: { velocity } });
        const other = await seed(store, { customerId, limits: { velocity } });
        assertAccepted(await store.decide(request(other, 50_000, hold(T0 + 60_000))));
        assertAccepted(await store.decide(request(t, 40_000, hold(T0 + 60_000))));
        const d = declineOf(await store.decide(request(t, 10_001)));
        assert.equal(d.code === 'budget_exceeded' && d.period, 'velocity');
        assert.equal(d.code === 'budget_exceeded' && d.spentMicros, 40_000);
      });

      it('a committed hold leaves velocity with its actual cost; a released or expired one with nothing', async () => {
        const velocity = { windowSeconds: 60, maxMicros: 50_000 };
        const t = await seed(store, { limits: { velocity } });
        const committedHold = hold(T0 + 60_000);
        assertAccepted(await store.decide(request(t, 40_000, committedHold)));
        const committed = await commit(store, t, committedHold.hold.holdId, 10_000, T0 + 1);
        assert.equal(committed.spend.agent.velocityMicros, 10_000);
        const released = hold(T0 + 60_000);
        assertAccepted(await store.decide(request(t, 40_000, { now: T0 + 2, ...released })));
        assert.equal(await store.releaseHold(t.customerId, released.hold.holdId, T0 + 3), true);
        assertAccepted(await store.decide(request(t, 20_000, { now: T0 + 4, ...hold(T0 + SECOND) })));
        const last = assertAccepted(await store.decide(request(t, 40_000, { now: T0 + SECOND })));
        assert.equal(last.spend.agent.velocityMicros, 50_000);
      });

      it('commitHold records the actual cost above the estimate and suspends', async () => {
        const t = await seed(store, { limits: { monthMicros: 1_000_000 } });
        const h = hold(T0 + 60_000);
        assertAccepted(await store.decide(request(t, 500_000, h)));
        const committed = await commit(store, t, h.hold.holdId, 1_200_000, T0 + 10);
        assert.equal(committed.spend.agent.monthMicros, 1_200_000);
        assert.equal(committed.spend.customer.monthMicros, 1_200_000);
        assert.deepEqual(committed.suspended, {
          code: 'budget_exceeded',
          scope: 'agent',
          period: 'month',
          limitMicros: 1_000_000,
          spentMicros: 1_200_000,
          resetsAt: monthResetsAt(T0),
          suspended: { reason: 'budget_exceeded', period: '2026-11' },
        });
        assert.deepEqual(declineOf(await store.decide(request(t, 0, { now: T0 + 20 }))), {
          code: 'agent_suspended',
          reason: 'budget_exceeded',
          suspendedAt: T0 + 10,
        });
      });

      it('commitHold that takes the velocity window over its limit suspends (velocity_exceeded)', async () => {
        const velocity = { windowSeconds: 60, maxMicros: 50_000 };
        const t = await seed(store, { limits: { velocity } });
        const h = hold(T0 + 60_000);
        assertAccepted(await store.decide(request(t, 20_000, h)));
        const committed = await commit(store, t, h.hold.holdId, 70_000, T0 + 10);
        assert.equal(committed.spend.agent.velocityMicros, 70_000);
        assert.deepEqual(committed.suspended, velocityDecline(50_000, 70_000));
        assert.deepEqual(declineOf(await store.decide(request(t, 1, { now: T0 + 20 }))), {
          code: 'agent_suspended',
          reason: 'velocity_exceeded',
          suspendedAt: T0 + 10,
        });
      });

      it('commitHold exactly at the velocity limit does not suspend', async () => {
        const t = await seed(store, { limits: { velocity: { windowSeconds: 60, maxMicros: 50_000 } } });
        const h = hold(T0 + 60_000);
        assertAccepted(await store.decide(request(t, 20_000, h)));
        const committed = await commit(store, t, h.hold.holdId, 50_000, T0 + 10);
        assert.equal(committed.suspended, null);
        assertAccepted(await store.decide(request(t, 0, { now: T0 + 20 })));
      });

      it('commitHold within limits does not suspend; committing an expired hold still records', async () => {
        const t = await seed(store, { limits: { monthMicros: 1_000_000 } });
        const h = hold(T0 + SECOND);
        assertAccepted(await store.decide(request(t, 100_000, h)));
        const late = await commit(store, t, h.hold.holdId, 90_000, T0 + 5 * SECOND);
        assert.equal(late.suspended, null);
        assert.equal(late.spend.agent.monthMicros, 90_000);
      });
    });

    describe('kill switch over time', () => {
      it('velocity 50,000 per 60 s: the 6th 10,000 declines, and that suspension does not lift', async () => {
        const t = await seed(store, { limits: { velocity: { windowSeconds: 60, maxMicros: 50_000 } } });
        for (let i = 0; i < 5; i++)
          assertAccepted(await store.decide(request(t, 10_000, { now: T0 + i * SECOND })));
        const d = declineOf(await store.decide(request(t, 10_000, { now: T0 + 5 * SECOND })));
        assert.deepEqual(d, velocityDecline(50_000, 50_000));
        const later = declineOf(await store.decide(request(t, 1, { now: T0 + 10 * 60 * SECOND })));
        assert.deepEqual(later, {
          code: 'agent_suspended',
          reason: 'velocity_exceeded',
          suspendedAt: T0 + 5 * SECOND,
        });
        // After a resume, the window has moved on: spend older than the window no longer counts.
        await store.putAgentState(agentState(t, { velocity: { windowSeconds: 60, maxMicros: 50_000 } }));
        const resumed = assertAccepted(
          await store.decide(request(t, 50_000, { now: T0 + 10 * 60 * SECOND })),
        );
        assert.equal(resumed.spend.agent.velocityMicros, 50_000);
      });

      it('the velocity window slides: spend leaves the window after windowSeconds (+ under one bucket)', async () => {
        const t = await seed(store, { limits: { velocity: { windowSeconds: 60, maxMicros: 20_000 } } });
        assertAccepted(await store.decide(request(t, 20_000, { now: T0 })));
        const inWindow = declineOf(await store.decide(request(t, 1, { now: T0 + 59 * SECOND })));
        assert.equal(inWindow.code === 'budget_exceeded' && inWindow.period, 'velocity');
        await store.putAgentState(agentState(t, { velocity: { windowSeconds: 60, maxMicros: 20_000 } }));
        assertAccepted(await store.decide(request(t, 20_000, { now: T0 + 62 * SECOND })));
      });

      it('a changed velocity window needs a rebuild (buckets were pruned for the old window)', async () => {
        const t = await seed(store, { limits: { velocity: { windowSeconds: 30, maxMicros: 100 } } });
        assertAccepted(await store.decide(request(t, 50, { now: T0 })));
        await store.putAgentState(agentState(t, { velocity: { windowSeconds: 60, maxMicros: 100 } }));
        const at = T0 + 40 * SECOND;
        assert.deepEqual(await store.decide(request(t, 60, { now: at })), {
          outcome: 'missing',
          what: ['velocity'],
        });
        const load = emptyLoad(t, at, agentState(t, {}), null);
        load.velocityBuckets = [{ bucket: velocityWindow(T0, 60).currentBucket, micros: 50 }];
        await store.loadCounters(load);
        const d = declineOf(await store.decide(request(t, 60, { now: at })));
        assert.equal(d.code === 'budget_exceeded' && d.period, 'velocity');
        assert.equal(d.code === 'budget_exceeded' && d.spentMicros, 50);
      });

      it('a budget_exceeded suspension of a day lifts on the next day', async () => {
        const t = await seed(store, { limits: { dayMicros: 100_000 } });
        assertAccepted(await store.decide(request(t, 100_000)));
        const d = declineOf(await store.decide(request(t, 1)));
        assert.equal(d.code === 'budget_exceeded' && d.suspended?.period, '2026-11-25');
        declineOf(await store.decide(request(t, 1, { now: T0 + 13 * 3600 * SECOND }))); // 23:00 same day
        const nextDay = T0 + DAY;
        // The new day's counter is absent until rebuilt: load it, then the suspension lifts in the decision.
        await store.loadCounters({
          ...emptyLoad(t, nextDay, agentState(t, { dayMicros: 100_000 }), null),
          agentMonthMicros: 100_000,
          customerMonthMicros: 100_000,
        });
        const lifted = assertAccepted(await store.decide(request(t, 100_000, { now: nextDay })));
        assert.deepEqual(lifted.lifted, { reason: 'budget_exceeded', period: '2026-11-25' });
        assert.equal(lifted.spend.agent.dayMicros, 100_000);
        assert.equal(lifted.spend.agent.monthMicros, 200_000);
      });

      it('a month suspension does not lift on the next day of the same month', async () => {
        const t = await seed(store, { limits: { monthMicros: 10 } });
        declineOf(await store.decide(request(t, 11)));
        const nextDay = T0 + DAY;
        await store.loadCounters(emptyLoad(t, nextDay, agentState(t, {}), null));
        assert.equal(declineOf(await store.decide(request(t, 1, { now: nextDay }))).code, 'agent_suspended');
      });
    });

    describe('rebuild from PostgreSQL', () => {
      let db: Db;
      let closeDb: () => Promise<void>;
      before(async () => {
        const opened = await openTestDb('postgres');
        db = opened.db;
        closeDb = opened.close;
      });
      after(async () => {
        await closeDb();
      });

      it('after the cache is wiped, rebuild gives exact limits (month, day, run, velocity, holds)', async () => {
        const c = id('cus');
        const a = id('agt');
        const other = id('agt');
        const now = T0;
        await db.query('INSERT INTO customers (id, name, month_limit_micros) VALUES ($1, $2, $3)', [
          c,
          'Acme',
          10_000_000,
        ]);
        await db.query(
          `INSERT INTO agents (id, customer_id, name, month_limit_micros, day_limit_micros, run_limit_micros,
                               velocity_window_seconds, velocity_max_micros)
           VALUES ($1, $2, 'bot', 1000000, 600000, 300000, 60, 250000), ($3, $2, 'other', NULL, NULL, NULL, NULL, NULL)`,
          [a, c, other],
        );
        // Month so far: 300,000 on the 24th, 200,000 today; the other agent spent 9,000,000 this month.
        await db.query(
          `INSERT INTO spend_daily (customer_id, agent_id, day, spent_micros, event_count) VALUES
             ($1, $2, '2026-11-24', 300000, 3), ($1, $2, '2026-11-25', 200000, 2),
             ($1, $3, '2026-11-02', 9000000, 1), ($1, $2, '2026-10-31', 777777, 1)`,
          [c, a, other],
        );
        // Today's events: 150,000 in run r1 twenty seconds ago (in the velocity window), 50,000 an hour ago.
        const insertEvent = (eventId: string, cost: number, runId: string | null, at: number) =>
          db.query(
            `INSERT INTO events (id, customer_id, agent_id, run_id, cost_micros, status, idempotency_key, request_hash,
                                 response_status, response_body, occurred_at, recorded_at)
             VALUES ($1, $2, $3, $4, $5, 'accepted', $1, 'h', 201, '{}', $6, $6)`,
            [eventId, c, a, runId, cost, new Date(at)],
          );
        await insertEvent(id('evt'), 150_000, 'r1', now - 20 * SECOND);
        await insertEvent(id('evt'), 50_000, null, now - 3600 * SECOND);
        // An open hold of 100,000 (counts) and an expired one (does not).
        await db.query(
          `INSERT INTO reservations (id, customer_id, agent_id, run_id, amount_micros, status, idempotency_key,
                                     request_hash, response_status, response_body, expires_at, created_at)
           VALUES ($1, $3, $4, 'r1', 100000, 'held', $1, 'h', 201, '{}', $5, $6),
                  ($2, $3, $4, NULL, 400000, 'held', $2, 'h', 201, '{}', $6, $6)`,
          [id('rsv'), id('rsv'), c, a, new Date(now + 60_000), new Date(now - 1)],
        );

        const t = { customerId: c, agentId: a };
        assert.equal((await store.decide(request(t, 1))).outcome, 'missing');
        await rebuildOnce(store, db, c, a, 'r1', now);
        await sut.wipe();
        const req = request(t, 1, { runId: 'r1' });
        assert.equal((await store.decide(req)).outcome, 'missing');
        // Concurrent misses share one rebuild; running it twice never double-counts.
        await Promise.all([1, 2, 3].map(() => rebuildOnce(store, db, c, a, 'r1', now)));
        await rebuildOnce(store, db, c, a, 'r1', now);

        // Run: 150,000 spent + 100,000 held of 300,000 → 50,000 left.
        const runDecline = declineOf(await store.decide(request(t, 50_001, { runId: 'r1' })));
        assert.equal(runDecline.code === 'budget_exceeded' && runDecline.spentMicros, 250_000);
        // Velocity: 150,000 in the window + 100,000 held = 250,000 of 250,000 → nothing more fits.
        const velocity = assertAccepted(await store.decide(request(t, 0, { runId: 'r1' })));
        assert.equal(velocity.spend.agent.velocityMicros, 250_000);
        assert.equal(velocity.spend.agent.runMicros, 250_000);
        // Day: 200,000 + 100,000 held = 300,000 of 600,000; month 600,000 of 1,000,000.
        assert.equal(velocity.spend.agent.dayMicros, 300_000);
        assert.equal(velocity.spend.agent.monthMicros, 600_000);
        assert.equal(velocity.spend.customer.monthMicros, 9_600_000);
        const v = declineOf(await store.decide(request(t, 1)));
        assert.deepEqual(v, velocityDecline(250_000, 250_000));
      });
    });
  });
}
