// The SpendStore contract: one suite, run against every implementation (memory-store.test.ts,
// redis-store.test.ts). Time is the request's `now`, so expiry and period roll-over need no sleeping.
// "Committed" below means decided and then completed (its PostgreSQL commit confirmed): only committed spend may
// flip the kill switch (store.ts).
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
  TokenRef,
} from '../../src/spend/store.js';
import { openTestDb } from '../harness.js';
import { activeAgent, emptyCounterLoad } from './fixtures.js';

export interface StoreUnderTest {
  store: SpendStore;
  /** Forget every cached value as a first start would (Redis: delete the prefix's keys; memory: a restart). */
  wipe(): Promise<void>;
  cleanup(): Promise<void>;
}

const T0 = Date.parse('2026-11-25T10:00:00.000Z');
const SECOND = 1000;
const DAY = 86_400_000;

const NO_LIMITS: AgentLimits = {
  monthMicros: null,
  dayMicros: null,
  runMicros: null,
  velocity: null,
  repeats: null,
};

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

/** A person's suspension as PostgreSQL would write it through: status version `version`. */
function suspendedState(t: Tenant, limits: Partial<AgentLimits>, version: number, at: number): AgentState {
  return agentState(t, limits, {
    statusVersion: version,
    status: 'suspended',
    suspendedReason: 'manual',
    suspendedAt: at,
  });
}

/** A budget_exceeded flip for `period` as PostgreSQL writes it (status version 2, at T0): what a commit confirms. */
function flippedState(t: Tenant, limits: Partial<AgentLimits>, period: string): AgentState {
  return agentState(t, limits, {
    statusVersion: 2,
    status: 'suspended',
    suspendedReason: 'budget_exceeded',
    suspendedAt: T0,
    suspendedPeriod: period,
  });
}

function emptyLoad(t: Tenant, now: number, agent: AgentState, customerLimit: number | null): CounterLoad {
  return { ...emptyCounterLoad(agent, now, customerLimit), customerId: t.customerId, agentId: t.agentId };
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
    token: id(over.hold ? 'rsv' : 'evt'),
    idempotencyKey: key,
    requestHash: `hash-of-${key}`,
    now: T0,
    ...over,
  };
}

/** A reservation's request fields: held until `expiresAt`; its token is the hold id. */
const hold = (expiresAt: number) => {
  const token = id('rsv');
  return { token, hold: { expiresAt } };
};

function ref(req: SpendRequest): TokenRef {
  return {
    customerId: req.customerId,
    agentId: req.agentId,
    runId: req.runId,
    token: req.token,
    claim: { idempotencyKey: req.idempotencyKey, requestHash: req.requestHash },
  };
}

/** The request's commit was confirmed (money-pipeline.ts): complete it, with the agent row PostgreSQL returned. */
function complete(store: SpendStore, req: SpendRequest, agentState: AgentState | null = null) {
  return store.complete({ ...ref(req), agentState });
}

/** Decided and committed: counted, and known to be in PostgreSQL. */
async function committed(store: SpendStore, req: SpendRequest): Promise<Decision> {
  const decision = await store.decide(req);
  if (decision.outcome === 'accepted' || decision.outcome === 'declined') await complete(store, req);
  return decision;
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

/** Commits a run-less hold of `t`'s agent (as its commit event `token`), which must not need a rebuild. */
async function commit(
  store: SpendStore,
  t: Tenant,
  holdId: string,
  actualMicros: number,
  now: number,
  token = id('evt'),
) {
  const counted = await store.commitHold({
    customerId: t.customerId,
    agentId: t.agentId,
    runId: null,
    holdId,
    token,
    actualMicros,
    now,
  });
  assert.equal(counted.outcome, 'counted', `expected counted, got ${JSON.stringify(counted)}`);
  if (counted.outcome !== 'counted') throw new Error('unreachable');
  return counted;
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

    describe('API key revocation', () => {
      it("a revoked key's decisions are refused before anything is claimed; other keys decide as before", async () => {
        const t = await seed(store, { limits: { monthMicros: 10_000 } });
        const withKey = (keyId: string, over: Partial<SpendRequest> = {}) =>
          request(t, 1_000, { apiKeyId: keyId, ...over });
        assertAccepted(await committed(store, withKey('key_a')));
        await store.revokeKey(t.customerId, 'key_a');
        const refused = withKey('key_a');
        assert.deepEqual(await store.decide(refused), { outcome: 'revoked' });
        // Not claimed: the same idempotency key with a live key is a fresh decision, and only it counts.
        assertAccepted(await committed(store, { ...refused, apiKeyId: 'key_b' }));
        assert.equal((await agentSpend(store, t))?.monthMicros, 2_000);
        // Another customer's key with the same id is not touched.
        const other = await seed(store, { limits: { monthMicros: 10_000 } });
        assertAccepted(await store.decide(request(other, 1_000, { apiKeyId: 'key_a' })));
      });

      it('loadCounters sets the markers of the revocations it is given', async () => {
        const t = { customerId: id('cus'), agentId: id('agt') };
        await store.loadCounters({
          ...emptyLoad(t, T0, agentState(t, { monthMicros: 10_000 }), null),
          revokedKeyIds: ['key_gone'],
        });
        assert.deepEqual(await store.decide(request(t, 1_000, { apiKeyId: 'key_gone' })), {
          outcome: 'revoked',
        });
        assertAccepted(await store.decide(request(t, 1_000, { apiKeyId: 'key_here' })));
      });
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
        assert.deepEqual(decided.limits, {
          agent: { ...NO_LIMITS, monthMicros: 10_000 },
          customerMonthMicros: null,
        });
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

      it('loadCounters never overwrites counters, nor state with an older or equal version', async () => {
        const t = await seed(store, { limits: { monthMicros: 1_000_000 } });
        assertAccepted(await store.decide(request(t, 300_000)));
        await store.putAgentState(suspendedState(t, { monthMicros: 1_000_000 }, 2, T0));
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
        const stored = await store.readAgent(t.customerId, t.agentId);
        assert.equal(stored?.state.limits.monthMicros, 1_000_000, 'the load had the same limits version');
      });

      it("a new day's counter starts from PostgreSQL; the month keeps what is still in flight", async () => {
        const t = await seed(store, {});
        const inFlight = request(t, 400);
        assertAccepted(await store.decide(inFlight));
        // The next day: the day counter is absent; PostgreSQL does not have the in-flight request (it is yesterday's).
        const nextDay = T0 + DAY;
        await store.loadCounters({ ...emptyLoad(t, nextDay, agentState(t, {}), null), agentMonthMicros: 0 });
        const today = assertAccepted(await store.decide(request(t, 1, { now: nextDay })));
        assert.equal(today.spend.agent.dayMicros, 1, "yesterday's request is not today's");
        assert.equal(today.spend.agent.monthMicros, 401, 'the month counter kept it');
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
      it('landing exactly on a limit is accepted; one micro more is declined and flips (committed spend)', async () => {
        const t = await seed(store, { limits: { monthMicros: 1_000_000 } });
        const accepted = assertAccepted(await committed(store, request(t, 1_000_000)));
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

      it('spend not yet committed declines but never flips the kill switch', async () => {
        const t = await seed(store, { limits: { monthMicros: 1_000_000 } });
        assertAccepted(await committed(store, request(t, 900_000)));
        assertAccepted(await store.decide(request(t, 100_000))); // in flight: counted, not committed
        const d = declineOf(await store.decide(request(t, 50_000)));
        assert.equal(d.code === 'budget_exceeded' && d.spentMicros, 1_000_000);
        assert.equal(
          d.code === 'budget_exceeded' && d.suspended,
          null,
          '900,000 + 50,000 committed: no flip',
        );
        assertAccepted(await store.decide(request(t, 0))); // not suspended
        // Committed spend alone breaking the limit does flip.
        const flip = declineOf(await store.decide(request(t, 100_001)));
        assert.deepEqual(flip.code === 'budget_exceeded' && flip.suspended, {
          reason: 'budget_exceeded',
          period: '2026-11',
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
        await store.putAgentState(suspendedState(t, { monthMicros: 1, runMicros: 1 }, 2, T0 - 5));
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
        assertAccepted(await committed(store, request(t, 10, { runId: 'r' })));
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
        assertAccepted(await committed(store, request(t, 20_000, { runId: 'r1' })));
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
        const other = assertAccepted(await committed(store, request(t, 10_000, { runId: 'r2' })));
        assert.equal(other.spend.agent.runMicros, 10_000);
        assert.equal(other.spend.agent.monthMicros, 30_000);
        // The agent month (40,000) now bites, after the run check passed: it suspends.
        const month = declineOf(await store.decide(request(t, 15_000, { runId: 'r2' })));
        assert.equal(month.code === 'budget_exceeded' && month.period, 'month');
        assert.notEqual(month.code === 'budget_exceeded' && month.suspended, null);
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

      it('300 concurrent events of 10,000 against a 1,000,000 month limit: exactly 100 accepted, none flips', async () => {
        const t = await seed(store, { limits: { monthMicros: 1_000_000 } });
        const requests = Array.from({ length: 300 }, () => request(t, 10_000));
        const result = await count(requests.map((req) => store.decide(req)));
        assert.equal(result.accepted, 100);
        assert.equal(result.declined.length, 200);
        const spend = await agentSpend(store, t);
        assert.equal(spend.monthMicros, 1_000_000);
        assert.equal(spend.dayMicros, 1_000_000);
        const flips = result.declined.filter((d) => d.code === 'budget_exceeded' && d.suspended !== null);
        assert.equal(flips.length, 0, 'the 100 accepted are not committed yet');
        // Once they committed, the next over-limit event flips the switch, and the following one sees it.
        await Promise.all(
          requests.map((req, i) => (result.all[i]?.outcome === 'accepted' ? complete(store, req) : null)),
        );
        const flip = declineOf(await store.decide(request(t, 10_000)));
        assert.notEqual(flip.code === 'budget_exceeded' && flip.suspended, null);
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
      it('50 concurrent requests with one key: one accepted, the rest in flight; replay after complete', async () => {
        const t = await seed(store, {});
        const key = id('key');
        const requests = Array.from({ length: 50 }, () => request(t, 1_000, { idempotencyKey: key }));
        const results = await Promise.all(requests.map((req) => store.decide(req)));
        assert.equal(results.filter((d) => d.outcome === 'accepted').length, 1);
        assert.equal(results.filter((d) => d.outcome === 'in_flight').length, 49);
        assert.equal((await agentSpend(store, t)).monthMicros, 1_000);
        const first = requests[results.findIndex((d) => d.outcome === 'accepted')]!;
        await complete(store, first);
        assert.deepEqual(await store.decide(request(t, 1_000, { idempotencyKey: key })), {
          outcome: 'replay',
        });
        assert.equal((await agentSpend(store, t)).monthMicros, 1_000);
      });

      it('a declined request claims its key too, and replays', async () => {
        const t = await seed(store, { limits: { monthMicros: 5 } });
        const key = id('key');
        const req = request(t, 6, { idempotencyKey: key });
        declineOf(await store.decide(req));
        assert.deepEqual(await store.decide(request(t, 6, { idempotencyKey: key })), {
          outcome: 'in_flight',
        });
        await complete(store, req);
        assert.deepEqual(await store.decide(request(t, 6, { idempotencyKey: key })), { outcome: 'replay' });
      });

      it('the same key with a different body is reused (in flight or completed); keys are per customer', async () => {
        const t = await seed(store, {});
        const key = id('key');
        const req = request(t, 10, { idempotencyKey: key });
        assertAccepted(await store.decide(req));
        assert.deepEqual(await store.decide(request(t, 10, { idempotencyKey: key, requestHash: 'other' })), {
          outcome: 'reused',
        });
        await complete(store, req);
        assert.deepEqual(await store.decide(request(t, 10, { idempotencyKey: key, requestHash: 'other' })), {
          outcome: 'reused',
        });
        const otherCustomer = await seed(store, {});
        assertAccepted(await store.decide(request(otherCustomer, 10, { idempotencyKey: key })));
        assert.equal((await agentSpend(store, t)).monthMicros, 10);
      });
    });

    describe('every operation is safe to run twice (a lost reply is answered by running it again)', () => {
      it('decide again with the same token (a lost reply) replaces its decision: counted once', async () => {
        const t = await seed(store, { limits: { monthMicros: 1_000 } });
        const req = request(t, 600);
        assertAccepted(await store.decide(req));
        const again = assertAccepted(await store.decide(req));
        assert.equal(again.spend.agent.monthMicros, 600, 'the first count was replaced, not added to');
        assert.equal((await agentSpend(store, t)).monthMicros, 600);
        // Another request with the same key but its own token is still a twin in flight.
        assert.deepEqual(await store.decide({ ...req, token: id('evt') }), { outcome: 'in_flight' });
      });

      it('undo twice takes back once; undo after complete takes back nothing', async () => {
        const t = await seed(store, { limits: { velocity: { windowSeconds: 60, maxMicros: 1_000_000 } } });
        assertAccepted(await committed(store, request(t, 1_000)));
        const req = request(t, 300);
        assertAccepted(await store.decide(req));
        await store.undo(ref(req));
        await store.undo(ref(req));
        const spend = await agentSpend(store, t);
        assert.deepEqual([spend.monthMicros, spend.dayMicros, spend.velocityMicros], [1_000, 1_000, 1_000]);
        const done = request(t, 200);
        assertAccepted(await committed(store, done));
        await store.undo(ref(done));
        assert.equal((await agentSpend(store, t)).monthMicros, 1_200, 'a committed request stays counted');
        assert.deepEqual(await store.decide({ ...done, token: id('evt') }), { outcome: 'replay' });
      });

      it('repeats: 200 concurrent requests with one fingerprint and max 10 → exactly 10 accepted, then a loop flip', async () => {
        const t = await seed(store, { limits: { repeats: { max: 10, windowSeconds: 60 } } });
        const fingerprint = 'fp-concurrent';
        const requests = Array.from({ length: 200 }, (_, i) => request(t, 1, { fingerprint, now: T0 + i }));
        const result = await count(requests.map((req) => store.decide(req)));
        assert.equal(result.accepted, 10);
        const loops = result.declined.filter((d) => d.code === 'loop_detected');
        assert.ok(loops.length >= 1);
        for (const d of loops) assert.deepEqual(d.suspended, { reason: 'loop_detected', period: null });
        // A request without a fingerprint is not counted, but meets the provisional flip.
        assert.equal(declineOf(await store.decide(request(t, 1))).code, 'agent_suspended');
      });

      it('repeats: undo and a re-decision take back exactly their occurrence; a release keeps it', async () => {
        const t = await seed(store, { limits: { repeats: { max: 2, windowSeconds: 60 } } });
        const fingerprint = 'fp-undo';
        const first = request(t, 1, { fingerprint });
        assertAccepted(await store.decide(first));
        await store.decide(first); // its reply was lost: decided again under the same token, counted once
        const undone = request(t, 1, { fingerprint });
        assertAccepted(await store.decide(undone));
        await store.undo(ref(undone));
        await store.undo(ref(undone));
        const held = { ...request(t, 1, { fingerprint }), ...hold(T0 + 60_000) };
        assertAccepted(await store.decide(held)); // second occurrence: first + this hold
        assert.equal(await store.releaseHold(t.customerId, held.token, T0), true);
        const third = declineOf(await store.decide(request(t, 1, { fingerprint })));
        assert.equal(third.code, 'loop_detected');
        assert.equal(third.code === 'loop_detected' && third.count, 3);
      });

      it('repeats: an agent with the limit and an absent count reports it missing; PostgreSQL’s occurrences load it', async () => {
        const t = { customerId: id('cus'), agentId: id('agt') };
        const state = agentState(t, { repeats: { max: 2, windowSeconds: 60 } });
        const load = emptyLoad(t, T0, state, null);
        await store.loadCounters({ ...load, agent: agentState(t, {}) });
        await store.putAgentState({ ...state, limitsVersion: 2 });
        const req = request(t, 1, { fingerprint: 'fp-load' });
        assert.deepEqual(await store.decide(req), { outcome: 'missing', what: ['repeats'] });
        // Without a fingerprint nothing needs the count.
        assertAccepted(await store.decide(request(t, 1)));
        const occurrences = [
          { token: id('evt'), fingerprint: 'fp-load', at: T0 - 1_000 },
          { token: id('rsv'), fingerprint: 'fp-load', at: T0 - 2_000 },
          { token: id('evt'), fingerprint: 'fp-load', at: T0 - 61_000 }, // outside the window
        ];
        await store.loadCounters({ ...load, agent: { ...state, limitsVersion: 2 }, repeats: occurrences });
        assert.equal(declineOf(await store.decide(req)).code, 'loop_detected');
      });

      it('complete twice changes nothing more; it never takes over another request’s claim', async () => {
        const t = await seed(store, {});
        const key = id('key');
        const first = request(t, 50, { idempotencyKey: key });
        assertAccepted(await store.decide(first));
        await store.undo(ref(first)); // certainly failed: the key is free again
        const second = request(t, 50, { idempotencyKey: key });
        assertAccepted(await store.decide(second));
        await complete(store, first); // a late, stray complete of the first: the claim is the second's
        assert.deepEqual(await store.decide(request(t, 50, { idempotencyKey: key })), {
          outcome: 'in_flight',
        });
        await complete(store, second);
        await complete(store, second);
        assert.deepEqual(await store.decide(request(t, 50, { idempotencyKey: key })), { outcome: 'replay' });
        assert.equal((await agentSpend(store, t)).monthMicros, 50);
      });

      it('commitHold twice with the same token counts the cost once', async () => {
        const t = await seed(store, { limits: { monthMicros: 1_000 } });
        const h = hold(T0 + 60_000);
        assertAccepted(await store.decide(request(t, 400, h)));
        const token = id('evt');
        const once = await commit(store, t, h.token, 700, T0 + 1, token);
        const twice = await commit(store, t, h.token, 700, T0 + 2, token);
        assert.equal(once.spend.agent.monthMicros, 700);
        assert.equal(twice.spend.agent.monthMicros, 700);
        assert.equal((await agentSpend(store, t, T0 + 3)).monthMicros, 700);
      });
    });

    describe('undo', () => {
      it('takes back exactly what an accepted decision counted, and frees the key', async () => {
        const limits = { runMicros: 1_000_000, velocity: { windowSeconds: 60, maxMicros: 1_000_000 } };
        const t = await seed(store, { limits, runId: 'r' });
        assertAccepted(await store.decide(request(t, 1_111, { runId: 'r' })));
        const before = await agentSpend(store, t);
        const req = request(t, 2_222, { runId: 'r', now: T0 + 500 });
        const decision = assertAccepted(await store.decide(req));
        assert.equal(decision.spend.agent.runMicros, 3_333);
        await store.undo(ref(req));
        assert.deepEqual(await agentSpend(store, t), before);
        const run = assertAccepted(await store.decide(request(t, 0, { runId: 'r' })));
        assert.equal(run.spend.agent.runMicros, 1_111);
        assert.equal(run.spend.customer.monthMicros, 1_111);
        // The key is free again: the same request is decided afresh.
        assertAccepted(await store.decide({ ...req, token: id('evt') }));
      });

      it('takes back what it counted into the day it was decided in, after midnight too', async () => {
        const t = await seed(store, { now: T0 });
        const late = request(t, 900, { now: T0 + 13 * 3600 * SECOND + 59 * 60 * SECOND }); // 23:59
        assertAccepted(await store.decide(late));
        const nextDay = T0 + DAY;
        await store.loadCounters({
          ...emptyLoad(t, nextDay, agentState(t, {}), null),
          agentMonthMicros: 900,
        });
        await store.undo(ref(late));
        const spend = await agentSpend(store, t, nextDay);
        assert.equal(spend.dayMicros, 0, "today's counter is untouched");
        assert.equal(spend.monthMicros, 0, "the month loses yesterday's count");
      });

      it('takes back a hold', async () => {
        const t = await seed(store, { limits: { monthMicros: 100 } });
        const req = request(t, 100, hold(T0 + 60_000));
        const decision = assertAccepted(await store.decide(req));
        assert.equal(decision.spend.agent.monthMicros, 100);
        await store.undo(ref(req));
        assert.equal((await agentSpend(store, t)).monthMicros, 0);
        assertAccepted(await store.decide(request(t, 100)));
      });

      it('withdraws the provisional flip the decline placed, never a suspension set since', async () => {
        const t = await seed(store, { limits: { monthMicros: 10 } });
        const req = request(t, 11);
        const decline = declineOf(await store.decide(req));
        assert.notEqual(decline.code === 'budget_exceeded' && decline.suspended, null);
        assert.equal(declineOf(await store.decide(request(t, 0))).code, 'agent_suspended', 'bites at once');
        await store.undo(ref(req));
        assertAccepted(await store.decide(request(t, 10)));

        const t2 = await seed(store, { limits: { monthMicros: 10 } });
        const req2 = request(t2, 11, { now: T0 + 1 });
        declineOf(await store.decide(req2));
        // A person suspends by hand meanwhile (committed, written through): undo must not lift that.
        await store.putAgentState(suspendedState(t2, { monthMicros: 10 }, 2, T0 + 2));
        await store.undo(ref(req2));
        assert.deepEqual(declineOf(await store.decide(request(t2, 0, { now: T0 + 3 }))), {
          code: 'agent_suspended',
          reason: 'manual',
          suspendedAt: T0 + 2,
        });
      });

      it('never creates counters that were evicted meanwhile', async () => {
        const t = await seed(store, {});
        const req = request(t, 500);
        assertAccepted(await store.decide(req));
        await sut.wipe();
        await store.undo(ref(req));
        const missing = await store.decide(request(t, 1));
        assert.equal(missing.outcome, 'missing');
        await store.loadCounters(emptyLoad(t, T0, agentState(t, {}), null));
        assert.equal((await agentSpend(store, t)).monthMicros, 0);
      });
    });

    describe('state: every write keeps the newer version; provisional marks', () => {
      it('an older write (a PATCH that lost the race) never undoes a newer one, part by part', async () => {
        const t = await seed(store, { limits: { monthMicros: 100 } });
        await store.putAgentState(agentState(t, { monthMicros: 1_000 }, { limitsVersion: 3 }));
        await store.putAgentState(agentState(t, { monthMicros: 5 }, { limitsVersion: 2 }));
        await store.putAgentState(suspendedState(t, { monthMicros: 7 }, 2, T0));
        const stored = await store.readAgent(t.customerId, t.agentId);
        assert.equal(stored?.state.limits.monthMicros, 1_000, 'limits of version 3 stand');
        assert.equal(stored?.state.status, 'suspended', 'status of version 2 taken, independently');
        assert.equal(stored?.state.statusVersion, 2);
        // A write carrying status version 1 (a PATCH's row read before the suspend) cannot resume it.
        await store.putAgentState(agentState(t, { monthMicros: 50 }, { limitsVersion: 4 }));
        const after = await store.readAgent(t.customerId, t.agentId);
        assert.equal(after?.state.status, 'suspended');
        assert.equal(after?.state.limits.monthMicros, 50);
      });

      it('the customer state keeps the newer version too', async () => {
        const t = await seed(store, { customerLimit: 100 });
        await store.putCustomerState({ customerId: t.customerId, version: 3, monthLimitMicros: 10 });
        await store.putCustomerState({ customerId: t.customerId, version: 2, monthLimitMicros: 1_000 });
        assert.equal(declineOf(await store.decide(request(t, 11))).code, 'budget_exceeded');
        assertAccepted(await store.decide(request(t, 10)));
      });

      it('a provisional suspend declines at once, even for an agent not loaded; confirmed or withdrawn by token', async () => {
        const t = { customerId: id('cus'), agentId: id('agt') };
        await store.provisionalSuspend(t.customerId, t.agentId, 'sus_1', T0 - 1);
        await store.loadCounters(emptyLoad(t, T0, agentState(t, {}), null));
        assert.deepEqual(declineOf(await store.decide(request(t, 1))), {
          code: 'agent_suspended',
          reason: 'manual',
          suspendedAt: T0 - 1,
        });
        await store.clearProvisional(t.customerId, t.agentId, 'sus_other');
        assert.equal(declineOf(await store.decide(request(t, 1))).code, 'agent_suspended', 'not its token');
        // Its transaction committed: the row (status version 2) confirms it.
        await store.putAgentState(suspendedState(t, {}, 2, T0), 'sus_1');
        const stored = await store.readAgent(t.customerId, t.agentId);
        assert.equal(stored?.provisional, null);
        assert.equal(stored?.state.status, 'suspended');
        // A second suspend that failed is withdrawn by its token: the agent stays as the row says.
        const t2 = await seed(store, {});
        await store.provisionalSuspend(t2.customerId, t2.agentId, 'sus_2', T0);
        await store.clearProvisional(t2.customerId, t2.agentId, 'sus_2');
        assertAccepted(await store.decide(request(t2, 1)));
      });

      it('a provisional flip stays only if PostgreSQL confirms it (complete with the flipped row)', async () => {
        const t = await seed(store, { limits: { monthMicros: 10 } });
        const confirmedReq = request(t, 11);
        declineOf(await store.decide(confirmedReq));
        const flipped = flippedState(t, { monthMicros: 10 }, '2026-11');
        await complete(store, confirmedReq, flipped);
        assert.equal(declineOf(await store.decide(request(t, 0))).code, 'agent_suspended');
        assert.equal((await store.readAgent(t.customerId, t.agentId))?.provisional, null);

        const t2 = await seed(store, { limits: { monthMicros: 10 } });
        const refusedReq = request(t2, 11);
        declineOf(await store.decide(refusedReq));
        await complete(store, refusedReq); // PostgreSQL's committed spend did not break the limit: no row
        assertAccepted(await store.decide(request(t2, 10)));
      });

      it('a decision answers the status version it saw (the flip PostgreSQL confirms must still match it)', async () => {
        const t = await seed(store, {});
        assert.equal(assertAccepted(await store.decide(request(t, 1))).statusVersion, 1);
        await store.putAgentState(agentState(t, {}, { statusVersion: 5 }));
        assert.equal(assertAccepted(await store.decide(request(t, 1))).statusVersion, 5);
      });
    });

    describe('holds', () => {
      it('200 concurrent holds of 10,000 against 1,000,000: exactly 100 held', async () => {
        const t = await seed(store, { limits: { monthMicros: 1_000_000 } });
        const result = await count(
          Array.from({ length: 200 }, () => store.decide(request(t, 10_000, hold(T0 + 300_000)))),
        );
        assert.equal(result.accepted, 100);
        const spend = await agentSpend(store, t);
        assert.equal(spend.monthMicros, 1_000_000);
        assert.equal(spend.velocityMicros, 1_000_000, 'holds count in velocity too');
        for (const d of result.declined) {
          assert.equal(
            d.code === 'budget_exceeded' && d.suspended,
            null,
            'a hold never flips (docs/api.md §6)',
          );
        }
      });

      it('a 1-second hold expires by itself', async () => {
        const t = await seed(store, { limits: { dayMicros: 50_000 } });
        assertAccepted(await store.decide(request(t, 50_000, hold(T0 + SECOND))));
        const d = declineOf(await store.decide(request(t, 1, { now: T0 + 999 })));
        assert.equal(d.code === 'budget_exceeded' && d.spentMicros, 50_000);
        assert.equal(d.code === 'budget_exceeded' && d.suspended, null, 'held, not spent: no flip');
        assert.equal((await agentSpend(store, t, T0 + SECOND)).dayMicros, 0);
        assertAccepted(await store.decide(request(t, 50_000, { now: T0 + SECOND })));
      });

      it('release frees the hold once', async () => {
        const t = await seed(store, { customerLimit: 20_000 });
        const h = hold(T0 + 60_000);
        assertAccepted(await store.decide(request(t, 20_000, h)));
        assert.equal(declineOf(await store.decide(request(t, 1))).code, 'budget_exceeded');
        assert.equal(await store.releaseHold(t.customerId, h.token, T0 + 1), true);
        assert.equal(await store.releaseHold(t.customerId, h.token, T0 + 2), false);
        assertAccepted(await store.decide(request(t, 20_000)));
      });

      it('holds count against the run limit', async () => {
        const t = await seed(store, { limits: { runMicros: 100 }, runId: 'r' });
        assertAccepted(await store.decide(request(t, 60, { runId: 'r', ...hold(T0 + 60_000) })));
        const d = declineOf(await store.decide(request(t, 41, { runId: 'r' })));
        assert.equal(d.code === 'budget_exceeded' && d.period, 'run');
        assert.equal(d.code === 'budget_exceeded' && d.spentMicros, 60);
      });

      it('holds count against velocity: a hold makes the following event decline, without a flip', async () => {
        const velocity = { windowSeconds: 60, maxMicros: 50_000 };
        const t = await seed(store, { limits: { velocity } });
        assertAccepted(await committed(store, request(t, 20_000)));
        const held = assertAccepted(await store.decide(request(t, 30_000, hold(T0 + 60_000))));
        assert.equal(held.spend.agent.velocityMicros, 50_000);
        assert.equal((await agentSpend(store, t, T0 + 1)).velocityMicros, 50_000);
        const d = await store.decide(request(t, 1, { now: T0 + SECOND }));
        assert.deepEqual(declineOf(d), { ...velocityDecline(50_000, 50_000), suspended: null });
        if (d.outcome === 'declined') assert.equal(d.spend.agent.velocityMicros, 50_000);
        // Committed spend alone over the rate flips it.
        assert.deepEqual(
          declineOf(await store.decide(request(t, 30_001, { now: T0 + 2 * SECOND }))),
          velocityDecline(50_000, 50_000),
        );
        assert.equal(
          declineOf(await store.decide(request(t, 0, { now: T0 + 3 * SECOND }))).code,
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
        const counted = await commit(store, t, committedHold.token, 10_000, T0 + 1);
        assert.equal(counted.spend.agent.velocityMicros, 10_000);
        const released = hold(T0 + 60_000);
        assertAccepted(await store.decide(request(t, 40_000, { now: T0 + 2, ...released })));
        assert.equal(await store.releaseHold(t.customerId, released.token, T0 + 3), true);
        assertAccepted(await store.decide(request(t, 20_000, { now: T0 + 4, ...hold(T0 + SECOND) })));
        const last = assertAccepted(await store.decide(request(t, 40_000, { now: T0 + SECOND })));
        assert.equal(last.spend.agent.velocityMicros, 50_000);
      });

      it('commitHold records the actual cost above the estimate and places a flip (committed spend over)', async () => {
        const t = await seed(store, { limits: { monthMicros: 1_000_000 } });
        const h = hold(T0 + 60_000);
        assertAccepted(await store.decide(request(t, 500_000, h)));
        const counted = await commit(store, t, h.token, 1_200_000, T0 + 10);
        assert.equal(counted.spend.agent.monthMicros, 1_200_000);
        assert.equal(counted.spend.customer.monthMicros, 1_200_000);
        assert.deepEqual(counted.suspended, {
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

      it('commitHold that takes the velocity window over its limit places a flip (velocity_exceeded)', async () => {
        const velocity = { windowSeconds: 60, maxMicros: 50_000 };
        const t = await seed(store, { limits: { velocity } });
        const h = hold(T0 + 60_000);
        assertAccepted(await store.decide(request(t, 20_000, h)));
        const counted = await commit(store, t, h.token, 70_000, T0 + 10);
        assert.equal(counted.spend.agent.velocityMicros, 70_000);
        assert.deepEqual(counted.suspended, velocityDecline(50_000, 70_000));
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
        const counted = await commit(store, t, h.token, 50_000, T0 + 10);
        assert.equal(counted.suspended, null);
        assertAccepted(await store.decide(request(t, 0, { now: T0 + 20 })));
      });

      it('commitHold within limits does not suspend; committing an expired hold still records', async () => {
        const t = await seed(store, { limits: { monthMicros: 1_000_000 } });
        const h = hold(T0 + SECOND);
        assertAccepted(await store.decide(request(t, 100_000, h)));
        const late = await commit(store, t, h.token, 90_000, T0 + 5 * SECOND);
        assert.equal(late.suspended, null);
        assert.equal(late.spend.agent.monthMicros, 90_000);
      });
    });

    describe('kill switch over time', () => {
      it('velocity 50,000 per 60 s: the 6th 10,000 declines, and that suspension does not lift', async () => {
        const velocity = { windowSeconds: 60, maxMicros: 50_000 };
        const t = await seed(store, { limits: { velocity } });
        for (let i = 0; i < 5; i++)
          assertAccepted(await committed(store, request(t, 10_000, { now: T0 + i * SECOND })));
        const flipping = request(t, 10_000, { now: T0 + 5 * SECOND });
        const d = declineOf(await store.decide(flipping));
        assert.deepEqual(d, velocityDecline(50_000, 50_000));
        await complete(
          store,
          flipping,
          agentState(
            t,
            { velocity },
            {
              statusVersion: 2,
              status: 'suspended',
              suspendedReason: 'velocity_exceeded',
              suspendedAt: T0 + 5 * SECOND,
            },
          ),
        );
        const later = declineOf(await store.decide(request(t, 1, { now: T0 + 10 * 60 * SECOND })));
        assert.deepEqual(later, {
          code: 'agent_suspended',
          reason: 'velocity_exceeded',
          suspendedAt: T0 + 5 * SECOND,
        });
        // After a resume, the window has moved on: spend older than the window no longer counts.
        await store.putAgentState(agentState(t, { velocity }, { statusVersion: 3 }));
        const resumed = assertAccepted(
          await store.decide(request(t, 50_000, { now: T0 + 10 * 60 * SECOND })),
        );
        assert.equal(resumed.spend.agent.velocityMicros, 50_000);
      });

      it('the velocity window slides: spend leaves the window after windowSeconds (+ under one bucket)', async () => {
        const t = await seed(store, { limits: { velocity: { windowSeconds: 60, maxMicros: 20_000 } } });
        assertAccepted(await committed(store, request(t, 20_000, { now: T0 })));
        const inWindow = request(t, 1, { now: T0 + 59 * SECOND });
        const declined = declineOf(await store.decide(inWindow));
        assert.equal(declined.code === 'budget_exceeded' && declined.period, 'velocity');
        await complete(store, inWindow); // PostgreSQL did not confirm a flip: withdrawn
        assertAccepted(await store.decide(request(t, 20_000, { now: T0 + 62 * SECOND })));
      });

      it('a bucket ahead of now (an instance whose clock runs ahead) still counts', async () => {
        const velocity = { windowSeconds: 60, maxMicros: 10_000 };
        const t = await seed(store, { limits: { velocity } });
        assertAccepted(await store.decide(request(t, 10_000, { now: T0 + 2 * SECOND })));
        const behind = declineOf(await store.decide(request(t, 1, { now: T0 })));
        assert.equal(behind.code === 'budget_exceeded' && behind.spentMicros, 10_000);
      });

      it('a changed velocity window is rebuilt without dropping what was counted', async () => {
        const t = await seed(store, { limits: { velocity: { windowSeconds: 30, maxMicros: 100 } } });
        assertAccepted(await store.decide(request(t, 50, { now: T0 })));
        await store.putAgentState(
          agentState(t, { velocity: { windowSeconds: 60, maxMicros: 100 } }, { limitsVersion: 2 }),
        );
        const at = T0 + 40 * SECOND;
        assert.deepEqual(await store.decide(request(t, 60, { now: at })), {
          outcome: 'missing',
          what: ['velocity'],
        });
        // PostgreSQL does not have the 50 yet (in flight): the old buckets keep it counted.
        await store.loadCounters(emptyLoad(t, at, agentState(t, {}), null));
        const d = declineOf(await store.decide(request(t, 60, { now: at })));
        assert.equal(d.code === 'budget_exceeded' && d.period, 'velocity');
        assert.equal(d.code === 'budget_exceeded' && d.spentMicros, 50);
        // And PostgreSQL's share counts where the store has less.
        const t2 = await seed(store, { limits: { velocity: { windowSeconds: 30, maxMicros: 100 } } });
        await store.putAgentState(
          agentState(t2, { velocity: { windowSeconds: 60, maxMicros: 100 } }, { limitsVersion: 2 }),
        );
        const load = emptyLoad(t2, at, agentState(t2, {}), null);
        load.velocityBuckets = [{ bucket: velocityWindow(T0, 60).currentBucket, micros: 70 }];
        await store.loadCounters(load);
        const d2 = declineOf(await store.decide(request(t2, 31, { now: at })));
        assert.equal(d2.code === 'budget_exceeded' && d2.spentMicros, 70);
      });

      it('a budget_exceeded suspension of a day lifts on the next day (read, never written)', async () => {
        const t = await seed(store, { limits: { dayMicros: 100_000 } });
        assertAccepted(await committed(store, request(t, 100_000)));
        const flipping = request(t, 1);
        const d = declineOf(await store.decide(flipping));
        assert.equal(d.code === 'budget_exceeded' && d.suspended?.period, '2026-11-25');
        const row = flippedState(t, { dayMicros: 100_000 }, '2026-11-25');
        await complete(store, flipping, row);
        declineOf(await store.decide(request(t, 1, { now: T0 + 13 * 3600 * SECOND }))); // 23:00 same day
        const nextDay = T0 + DAY;
        // The new day's counter is absent until rebuilt: load it, then the suspension has lapsed.
        await store.loadCounters({
          ...emptyLoad(t, nextDay, row, null),
          agentMonthMicros: 100_000,
          customerMonthMicros: 100_000,
        });
        const lifted = assertAccepted(await store.decide(request(t, 100_000, { now: nextDay })));
        assert.equal(lifted.spend.agent.dayMicros, 100_000);
        assert.equal(lifted.spend.agent.monthMicros, 200_000);
      });

      it('a provisional day flip lapses at midnight like the suspension it stands for', async () => {
        const t = await seed(store, { limits: { dayMicros: 100 } });
        assertAccepted(await committed(store, request(t, 100)));
        const lateNight = T0 + 13 * 3600 * SECOND + 59 * 60 * SECOND + 59 * SECOND; // 23:59:59
        const flipping = request(t, 1, { now: lateNight });
        assert.notEqual(declineOf(await store.decide(flipping)).code === 'budget_exceeded', false);
        assert.equal(
          declineOf(await store.decide(request(t, 0, { now: lateNight }))).code,
          'agent_suspended',
        );
        // Midnight passes before the flip's commit resolved it: the new day's decisions are not held by it.
        const nextDay = T0 + DAY;
        await store.loadCounters({
          ...emptyLoad(t, nextDay, agentState(t, { dayMicros: 100 }), null),
          agentMonthMicros: 100,
        });
        assertAccepted(await store.decide(request(t, 100, { now: nextDay })));
      });

      it('a month suspension does not lift on the next day of the same month', async () => {
        const t = await seed(store, { limits: { monthMicros: 10 } });
        const flipping = request(t, 11);
        declineOf(await store.decide(flipping));
        const row = flippedState(t, { monthMicros: 10 }, '2026-11');
        await complete(store, flipping, row);
        const nextDay = T0 + DAY;
        await store.loadCounters(emptyLoad(t, nextDay, row, null));
        assert.equal(declineOf(await store.decide(request(t, 1, { now: nextDay }))).code, 'agent_suspended');
      });

      it('a budget suspension for a period ahead of the deciding clock stays in force (written by a clock ahead)', async () => {
        // The same rule as GET (agents/present.ts): only a period before the current one is over.
        for (const [limits, period] of [
          [{ monthMicros: 10 }, '2026-12'],
          [{ dayMicros: 10 }, '2026-11-26'],
        ] as const) {
          const t = await seed(store, { limits });
          await store.putAgentState(flippedState(t, limits, period));
          assert.equal(declineOf(await store.decide(request(t, 1))).code, 'agent_suspended', period);
        }
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
        // Committed velocity spend is 150,000 (PostgreSQL's): an event over the rate by itself flips it.
        const v = declineOf(await store.decide(request(t, 100_001)));
        assert.deepEqual(v, velocityDecline(250_000, 250_000));
      });
    });
  });
}
