// loadCounterState against both storage backends (PostgreSQL server and PGlite), and rebuildOnce's
// "concurrent misses load once" in one process (memory) and across instances (Redis lock).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { velocityWindow } from '../../src/budget/periods.js';
import type { Db, PreparedSql, Queryable } from '../../src/db/types.js';
import { connectRedis } from '../../src/redis.js';
import { createMemorySpendStore } from '../../src/spend/memory-store.js';
import { loadCounterState, rebuildOnce } from '../../src/spend/rebuild.js';
import type { SpendStore } from '../../src/spend/store.js';
import { type Backend, openTestDb, REDIS_URL, uniqueSuffix } from '../harness.js';
import { openStoreFactory } from './fixtures.js';

const NOW = Date.parse('2026-11-25T10:00:30.250Z');
const id = (prefix: string) => `${prefix}_${randomBytes(6).toString('hex')}`;

interface Fixture {
  customerId: string;
  agentId: string;
  otherAgentId: string;
  openHoldId: string;
  otherHoldId: string;
}

/** A customer with two agents, a month of daily rollups, events around the velocity window and holds. */
async function insertFixture(db: Queryable): Promise<Fixture> {
  const customerId = id('cus');
  const agentId = id('agt');
  const otherAgentId = id('agt');
  const otherCustomerId = id('cus');
  await db.query(
    'INSERT INTO customers (id, name, month_limit_micros) VALUES ($1, $2, 50000000), ($3, $2, NULL)',
    [customerId, 'Acme', otherCustomerId],
  );
  await db.query(
    `INSERT INTO agents (id, customer_id, name, status, suspended_reason, suspended_at, suspended_period,
                         month_limit_micros, day_limit_micros, run_limit_micros, velocity_window_seconds, velocity_max_micros)
     VALUES ($1, $2, 'bot', 'suspended', 'budget_exceeded', $4, '2026-11-24', 9000000000000, 3000000, NULL, 120, 700000),
            ($3, $2, 'other', 'active', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)`,
    [agentId, customerId, otherAgentId, new Date(NOW - 86_400_000)],
  );
  const otherCustomerAgent = id('agt');
  await db.query(`INSERT INTO agents (id, customer_id, name) VALUES ($1, $2, 'bot')`, [
    otherCustomerAgent,
    otherCustomerId,
  ]);
  await db.query(
    `INSERT INTO spend_daily (customer_id, agent_id, day, spent_micros, event_count) VALUES
       ($1, $2, '2026-10-31', 111, 1),          -- last month: not counted
       ($1, $2, '2026-11-01', 1000000, 1),
       ($1, $2, '2026-11-25', 2500000, 4),
       ($1, $3, '2026-11-25', 4000000, 1),
       ($4, $5, '2026-11-25', 99000000, 1)`, // the last row is another customer's: never counted
    [customerId, agentId, otherAgentId, otherCustomerId, otherCustomerAgent],
  );
  const event = (at: number, cost: number, runId: string | null, status = 'accepted', agent = agentId) =>
    db.query(
      `INSERT INTO events (id, customer_id, agent_id, run_id, cost_micros, status, idempotency_key, request_hash,
                           response_status, response_body, occurred_at, recorded_at)
       VALUES ($1, $2, $3, $4, $5, $6, $1, 'h', 201, '{}', $7, $7)`,
      [id('evt'), customerId, agent, runId, cost, status, new Date(at)],
    );
  await event(NOW - 1_000, 100_000, 'run-a'); // same 2 s bucket as NOW? (bucket width 2 s for a 120 s window)
  await event(NOW - 61_000, 200_000, 'run-a');
  await event(NOW - 119_000, 300_000, 'run-b');
  await event(NOW - 3_600_000, 400_000, 'run-a'); // long before the window
  await event(NOW - 2_000, 999_000, 'run-a', 'declined'); // declined: never counted
  await event(NOW - 1_000, 555_000, 'run-a', 'accepted', otherAgentId); // other agent
  const reservation = (
    rsv: string,
    agent: string,
    runId: string | null,
    amount: number,
    status: string,
    expiresAt: number,
  ) =>
    db.query(
      `INSERT INTO reservations (id, customer_id, agent_id, run_id, amount_micros, status, idempotency_key,
                                 request_hash, response_status, response_body, expires_at, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $1, 'h', 201, '{}', $7, $8)`,
      [rsv, customerId, agent, runId, amount, status, new Date(expiresAt), new Date(NOW - 10_000)],
    );
  const openHoldId = id('rsv');
  const otherHoldId = id('rsv');
  await reservation(openHoldId, agentId, 'run-a', 70_000, 'held', NOW + 60_000);
  await reservation(otherHoldId, otherAgentId, null, 30_000, 'held', NOW + 1_000);
  await reservation(id('rsv'), agentId, null, 80_000, 'held', NOW); // expires exactly now: gone
  await reservation(id('rsv'), agentId, null, 90_000, 'committed', NOW + 60_000);
  return { customerId, agentId, otherAgentId, openHoldId, otherHoldId };
}

/** Counts statements, to prove concurrent misses load once. */
function counting(db: Queryable): Queryable & { count: number } {
  const wrapper = {
    count: 0,
    query<R>(sql: string | PreparedSql, params?: unknown[]) {
      wrapper.count++;
      return db.query<R>(sql, params);
    },
  };
  return wrapper as Queryable & { count: number };
}

for (const backend of ['postgres', 'pglite'] as Backend[]) {
  describe(`loadCounterState on ${backend}`, () => {
    let db: Db;
    let close: () => Promise<void>;
    before(async () => {
      ({ db, close } = await openTestDb(backend));
    });
    after(async () => {
      await close();
    });

    it('computes exact absolute values at now', async () => {
      const f = await insertFixture(db);
      const load = await loadCounterState(db, f.customerId, f.agentId, 'run-a', NOW);
      assert.deepEqual(load.agent, {
        agentId: f.agentId,
        customerId: f.customerId,
        limitsVersion: 1,
        statusVersion: 1,
        status: 'suspended',
        suspendedReason: 'budget_exceeded',
        suspendedAt: NOW - 86_400_000,
        suspendedPeriod: '2026-11-24',
        limits: {
          monthMicros: 9_000_000_000_000,
          dayMicros: 3_000_000,
          runMicros: null,
          velocity: { windowSeconds: 120, maxMicros: 700_000 },
          repeats: null,
        },
      });
      assert.deepEqual(load.customer, { customerId: f.customerId, version: 1, monthLimitMicros: 50_000_000 });
      assert.equal(load.customerMonthMicros, 7_500_000);
      assert.equal(load.agentMonthMicros, 3_500_000);
      assert.equal(load.agentDayMicros, 2_500_000);
      assert.deepEqual(load.run, { runId: 'run-a', micros: 700_000 });
      // Velocity buckets: exactly periods.ts's buckets of the accepted events of this agent in the window.
      const w = velocityWindow(NOW, 120);
      const expected = new Map<number, number>();
      for (const [at, cost] of [
        [NOW - 1_000, 100_000],
        [NOW - 61_000, 200_000],
        [NOW - 119_000, 300_000],
      ] as const) {
        const bucket = velocityWindow(at, 120).currentBucket;
        expected.set(bucket, (expected.get(bucket) ?? 0) + cost);
      }
      const got = new Map(load.velocityBuckets.map((b) => [b.bucket, b.micros]));
      assert.deepEqual(got, expected);
      for (const bucket of got.keys()) assert.ok(bucket >= w.firstBucket && bucket <= w.currentBucket);
      assert.deepEqual(
        load.holds.sort((a, b) => a.amountMicros - b.amountMicros).map(({ createdAt: _, ...h }) => h),
        [
          {
            holdId: f.otherHoldId,
            agentId: f.otherAgentId,
            runId: null,
            amountMicros: 30_000,
            expiresAt: NOW + 1_000,
          },
          {
            holdId: f.openHoldId,
            agentId: f.agentId,
            runId: 'run-a',
            amountMicros: 70_000,
            expiresAt: NOW + 60_000,
          },
        ],
      );
    });

    it('an agent without velocity limit or run gets no buckets and no run; unknown agents throw', async () => {
      const f = await insertFixture(db);
      const load = await loadCounterState(db, f.customerId, f.otherAgentId, null, NOW);
      assert.deepEqual(load.velocityBuckets, []);
      assert.equal(load.run, null);
      assert.equal(load.agent.status, 'active');
      assert.equal(load.agent.suspendedAt, null);
      assert.equal(load.agentDayMicros, 4_000_000);
      await assert.rejects(loadCounterState(db, f.customerId, 'agt_nope', null, NOW), /not found/);
      await assert.rejects(loadCounterState(db, 'cus_nope', f.agentId, null, NOW), /not found/);
    });

    it('a store rebuilt from it decides exactly (memory store); the ended day suspension has lapsed', async () => {
      const f = await insertFixture(db);
      const store = createMemorySpendStore();
      try {
        await rebuildOnce(store, db, f.customerId, f.agentId, 'run-a', NOW);
        // Day: 2,500,000 spent + 70,000 held of 3,000,000 → 430,000 left; velocity: 600,000 + 70,000 held of
        // 700,000 → exactly 30,000 left.
        const req = {
          customerId: f.customerId,
          agentId: f.agentId,
          runId: 'run-a',
          idempotencyKey: 'k1',
          requestHash: 'h1',
          now: NOW,
        };
        const d = await store.decide({ ...req, token: 'evt_1', amountMicros: 30_000 });
        assert.equal(d.outcome, 'accepted', "yesterday's budget suspension no longer holds");
        if (d.outcome !== 'accepted') return;
        assert.deepEqual(d.spend, {
          agent: {
            monthMicros: 3_600_000,
            dayMicros: 2_600_000,
            velocityMicros: 700_000,
            runMicros: 800_000,
          },
          customer: { monthMicros: 7_630_000 },
        });
        const over = await store.decide({ ...req, token: 'evt_2', idempotencyKey: 'k2', amountMicros: 1 });
        assert.equal(
          over.outcome === 'declined' && over.decline.code === 'budget_exceeded' && over.decline.period,
          'velocity',
        );
      } finally {
        await store.close();
      }
    });
  });
}

describe('rebuildOnce: concurrent misses load once', () => {
  let db: Db;
  let close: () => Promise<void>;
  before(async () => {
    ({ db, close } = await openTestDb('postgres'));
  });
  after(async () => {
    await close();
  });

  async function queriesPerLoad(f: Fixture): Promise<number> {
    const probe = counting(db);
    await loadCounterState(probe, f.customerId, f.agentId, 'run-a', NOW);
    return probe.count;
  }

  it('in one process (memory store)', async () => {
    const f = await insertFixture(db);
    const perLoad = await queriesPerLoad(f);
    const store: SpendStore = createMemorySpendStore();
    const probe = counting(db);
    await Promise.all(
      Array.from({ length: 20 }, () => rebuildOnce(store, probe, f.customerId, f.agentId, 'run-a', NOW)),
    );
    assert.equal(probe.count, perLoad);
    await store.close();
  });

  it('across instances (Redis lock): the second instance waits instead of loading', async () => {
    const f = await insertFixture(db);
    const perLoad = await queriesPerLoad(f);
    const redisA = await connectRedis(REDIS_URL);
    const redisB = await connectRedis(REDIS_URL);
    const prefix = `sgtest:${uniqueSuffix()}`;
    const factory = await openStoreFactory();
    try {
      const a = factory.store(redisA, prefix);
      const b = factory.store(redisB, prefix);
      await Promise.all([a.currentEpoch(), b.currentEpoch()]);
      const probe = counting(db);
      await Promise.all([
        rebuildOnce(a, probe, f.customerId, f.agentId, 'run-a', NOW),
        rebuildOnce(b, probe, f.customerId, f.agentId, 'run-a', NOW),
      ]);
      assert.equal(probe.count, perLoad);
      const spend = (await b.readSpend(f.customerId, [f.agentId], NOW)).get(f.agentId);
      assert.deepEqual(spend, {
        monthMicros: 3_570_000,
        dayMicros: 2_570_000,
        velocityMicros: 670_000, // 600,000 in the window + 70,000 held, like spendFromDb's fallback
        runMicros: null,
      });
      assert.deepEqual(await redisA.keys(`${prefix}:*lock`), [], 'the lock is released');
    } finally {
      const keys = await redisA.keys(`${prefix}:*`);
      if (keys.length > 0) await redisA.del(...keys);
      redisA.disconnect();
      redisB.disconnect();
      await factory.close();
    }
  });
});
