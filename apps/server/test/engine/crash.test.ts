// kill -9 during load: the real server process (main.ts) is SIGKILLed while hundreds of events are in flight, then
// restarted on the same PostgreSQL + Redis. Every acknowledged (201) key must be in PostgreSQL exactly once, retrying
// every key must never charge anything twice, and after the reconciler's two scans the live counters must equal
// PostgreSQL's truth again (a decision counted in Redis whose commit died with the process is taken back).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createPostgresDb } from '../../src/db/postgres.js';
import { connectRedis } from '../../src/redis.js';
import { createEpochHistory } from '../../src/spend/epochs.js';
import { createReconciler } from '../../src/spend/reconciler.js';
import { createRedisSpendStore } from '../../src/spend/redis-store.js';
import {
  api,
  createTestDatabase,
  newRedisPrefix,
  REDIS_URL,
  type ServerProcess,
  signupAndAdminKey,
  startServerProcess,
  type TestDatabase,
} from '../harness.js';
import { createAgent, postEvent, sql } from './helpers.js';

const KEYS = 800;
const amountOf = (i: number) => 1_000 + (i % 7);

type Running = ServerProcess;

describe('kill -9 during load', () => {
  let database: TestDatabase;
  const prefix = newRedisPrefix();
  let env: Record<string, string>;
  let running: Running | undefined;

  before(async () => {
    database = await createTestDatabase();
    env = {
      SPENDGUARD_DATABASE_URL: database.url,
      SPENDGUARD_REDIS_URL: REDIS_URL,
      SPENDGUARD_REDIS_PREFIX: prefix,
      SPENDGUARD_DATA_DIR: mkdtempSync(join(tmpdir(), 'sg-crash-')),
      SPENDGUARD_SESSION_SECRET: randomBytes(32).toString('hex'),
      SPENDGUARD_PORT: '0',
      SPENDGUARD_LOG_LEVEL: 'silent',
    };
  });
  after(async () => {
    running?.child.kill('SIGKILL');
    const redis = await connectRedis(REDIS_URL);
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
    await database.drop();
  });

  it('acknowledged events survive exactly once; retries never charge twice; counters reconcile', async () => {
    running = await startServerProcess(env);
    const t = await signupAndAdminKey(running.url);
    await createAgent(running.url, t.adminKey, 'crashy');
    const body = (i: number) => ({ agent: 'crashy', cost_micros: amountOf(i) });

    const acked = new Set<number>();
    let next = 0;
    const url = running.url;
    const worker = async () => {
      while (next < KEYS) {
        const i = next++;
        try {
          const r = await postEvent(url, t.adminKey, body(i), `crash-${i}`);
          if (r.status === 201) acked.add(i);
        } catch {
          // connection died with the process: outcome unknown to the client
        }
      }
    };
    const load = Promise.all(Array.from({ length: 40 }, worker));
    while (acked.size < 250) await new Promise((r) => setTimeout(r, 5));
    running.child.kill('SIGKILL');
    await load;
    assert.ok(acked.size >= 250 && acked.size < KEYS, `acked ${acked.size}`);

    // Every acknowledged key is in PostgreSQL exactly once, with its amount.
    const rows = await sql<{ idempotency_key: string; cost_micros: string; status: string }>(
      database.url,
      `SELECT idempotency_key, cost_micros, status FROM events WHERE customer_id = $1`,
      [t.customerId],
    );
    const stored = new Map(rows.map((r) => [r.idempotency_key, r]));
    assert.equal(stored.size, rows.length);
    for (const i of acked) {
      const row = stored.get(`crash-${i}`);
      assert.ok(row, `acknowledged key crash-${i} lost`);
      assert.equal(Number(row.cost_micros), amountOf(i));
      assert.equal(row.status, 'accepted');
    }

    running = await startServerProcess(env);
    // Retry every key with the same body: stored ones replay, lost ones are decided afresh — nothing twice.
    const settled = new Map<number, number>();
    await Promise.all(
      Array.from({ length: 20 }, async (_, w) => {
        for (let i = w; i < KEYS; i += 20) {
          const r = await postEvent((running as Running).url, t.adminKey, body(i), `crash-${i}`);
          settled.set(i, r.status);
          if (stored.has(`crash-${i}`)) {
            assert.equal(r.status, 201, `stored key crash-${i}: ${r.status} ${JSON.stringify(r.body)}`);
            assert.equal(r.headers.get('idempotent-replayed'), 'true');
          } else {
            // Decided but never committed when the process died: its claim answers 409 until it expires.
            assert.ok([201, 409].includes(r.status), `lost key crash-${i}: ${r.status}`);
          }
        }
      }),
    );
    const inFlightAtCrash = [...settled.values()].filter((s) => s === 409).length;
    const after = await sql<{ n: string; spent: string; keys: string }>(
      database.url,
      `SELECT count(*) AS n, coalesce(sum(cost_micros), 0) AS spent, count(DISTINCT idempotency_key) AS keys
       FROM events WHERE customer_id = $1 AND status = 'accepted'`,
      [t.customerId],
    );
    const expectedCount = KEYS - inFlightAtCrash;
    assert.equal(Number(after[0]?.n), expectedCount);
    assert.equal(Number(after[0]?.keys), expectedCount, 'no key recorded twice');
    let expectedSpend = 0;
    for (const [i, status] of settled) if (status === 201) expectedSpend += amountOf(i);
    assert.equal(Number(after[0]?.spent), expectedSpend);
    const [daily] = await sql<{ spent: string }>(
      database.url,
      'SELECT coalesce(sum(spent_micros), 0) AS spent FROM spend_daily WHERE customer_id = $1',
      [t.customerId],
    );
    assert.equal(Number(daily?.spent), expectedSpend, 'spend_daily agrees with the events');

    // Counters: Redis still counts the decisions whose commit died with the process (the safe side), as entries of
    // the dead requests. The reconciler settles each from PostgreSQL's answer: exactly those are taken back.
    const redis = await connectRedis(REDIS_URL);
    const db = createPostgresDb({ url: database.url });
    const store = createRedisSpendStore(redis, prefix, createEpochHistory(db));
    const silent = { info() {}, warn() {} };
    const reconciler = createReconciler({ db, store, log: silent, intervalMs: 3_600_000 });
    try {
      // Nothing is in flight any more (the retries above all answered): everything decided until now is settled.
      const result = await reconciler.reconcileOnce({ settledBefore: Date.now() });
      let phantom = 0;
      for (const [i, status] of settled) if (status === 409) phantom += amountOf(i);
      const takenBack = result.repairs
        .filter((r) => r.what === 'entry_taken_back')
        .reduce((sum, r) => sum + (r.micros ?? 0), 0);
      assert.equal(takenBack, phantom, 'the dead requests, and only they, are taken back');
      assert.equal(result.takenBack, inFlightAtCrash);
      assert.deepEqual(
        result.repairs.filter((r) => r.what !== 'entry_taken_back'),
        [],
        'no counter needed a repair beyond that',
      );
      const agent = await api((running as Running).url, '/v1/agents/crashy', { key: t.adminKey });
      assert.equal(
        agent.body.spend.month_micros,
        expectedSpend,
        'live counters equal PostgreSQL after reconciling',
      );
      assert.equal(agent.body.spend.day_micros, expectedSpend);
    } finally {
      await reconciler.close();
      await store.close();
      await db.close();
      redis.disconnect();
    }
  });
});
