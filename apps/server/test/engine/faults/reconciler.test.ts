// The reconciler (issue 11 #7, #13 and the suspected double undo): once faults end, the store must converge to
// PostgreSQL's truth in both directions, for every agent with activity — and a repair must never hand out budget
// that was already spent (velocity) or take back the same drift twice.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { api, signupAndAdminKey, startTestServer, type TestServer } from '../../harness.js';
import { createAgent, dbSpend, postEvent } from '../helpers.js';
import {
  agentIdOf,
  type Deployment,
  fillToLimit,
  maxWindowSpend,
  newKey,
  type ProcessAndSurvivor,
  retrying,
  sleep,
  startDeployment,
  startProcessAndSurvivor,
  USD,
  within,
} from './fault-helpers.js';
import { dbSpendOf, isEventBatch, reconcile, shiftStoreSpend, storeSpend } from './probe.js';

/** Month and day as the store holds them vs. PostgreSQL (velocity is compared where a test is about it). */
async function monthDay(server: TestServer, customerId: string, agentId: string) {
  const store = await storeSpend(server, customerId, agentId);
  const db = await dbSpendOf(server, customerId, agentId);
  return {
    store: store && { month: store.month, day: store.day },
    db: { month: db.month, day: db.day },
  };
}

describe('reconciler: a repair never lowers velocity', { timeout: 120_000 }, () => {
  let d: ProcessAndSurvivor;
  before(async () => {
    d = await startProcessAndSurvivor();
  });
  after(async () => {
    await d.close();
  });

  it('7: a stale over-count repaired off the current velocity bucket never lets more than 5 USD through in 60 s', async () => {
    const { database, pgProxy, child, server: s } = d;
    const t = await signupAndAdminKey(s.url);
    await createAgent(s.url, t.adminKey, 'vel-bot', { month_usd: 100 });

    // A decision counted in the store whose commit died with its process (kill -9 with the batch on the wire).
    const atBatch = pgProxy.stallBefore(isEventBatch);
    const dying = postEvent(child.url, t.adminKey, { agent: 'vel-bot', cost_micros: 2 * USD }).catch(
      () => null,
    );
    await within(10_000, "the doomed event's batch is on the wire", atBatch);
    await child.kill();
    await dying;
    // Its connections die with it (the held batch with them) before PostgreSQL is reachable again.
    while (pgProxy.connections > 0) await sleep(10);
    pgProxy.resume();

    // Later a velocity limit is set: 5 USD per 60 s.
    const patched = await api(s.url, '/v1/agents/vel-bot', {
      method: 'PATCH',
      key: t.adminKey,
      body: { limits: { velocity: { window_seconds: 60, max_usd: 5 } } },
    });
    assert.equal(patched.status, 200, JSON.stringify(patched.body));

    // Spend, and the reconciler repairs the stale over-count, within one second (one velocity bucket).
    while (Date.now() % 1000 > 50) await sleep(5);
    const startedAt = Date.now();
    const y = await postEvent(s.url, t.adminKey, { agent: 'vel-bot', cost_micros: 2 * USD });
    assert.equal(y.status, 201, JSON.stringify(y.body));
    await reconcile(s);
    const tookMs = Date.now() - startedAt;

    // The client keeps spending $1 at a time until declined.
    const statuses = await fillToLimit(s.url, t.adminKey, 'vel-bot', 1 * USD);
    const worst = await maxWindowSpend(database.url, t.customerId, 'vel-bot', 60);
    assert.ok(
      worst <= 5 * USD,
      `${worst / USD} USD accepted within 60 s on a 5 USD velocity limit (fill: ${statuses.join(',')}; spend + repair took ${tookMs} ms)`,
    );
  });
});

describe('reconciler: double undo under a partial partition', { timeout: 120_000 }, () => {
  let d: Deployment;
  before(async () => {
    d = await startDeployment();
  });
  after(() => d.close());

  it("suspected: A's late undo after B's reconciler repaired the same drift takes nothing back twice", async () => {
    const { a, b } = d;
    const t = await signupAndAdminKey(a.url);
    await createAgent(a.url, t.adminKey, 'split-bot', { month_usd: 10 });
    const agentId = await agentIdOf(d.databaseUrl, t.customerId, 'split-bot');
    assert.equal(
      (await postEvent(a.url, t.adminKey, { agent: 'split-bot', cost_micros: 7 * USD })).status,
      201,
    );

    // A counts E ($3); then A loses PostgreSQL (B still reaches it): E's fate is unknown to A.
    const atBatch = d.pgProxy.stallBefore(isEventBatch);
    const e = postEvent(a.url, t.adminKey, { agent: 'split-bot', cost_micros: 3 * USD }, newKey('e'));
    await within(5_000, "E's batch is on the wire", atBatch);
    d.pgProxy.cut();
    assert.equal((await e).status, 503);

    // B's reconciler settles E's count from PostgreSQL's answer (E is not there): taken back once.
    await reconcile(b);
    // A's PostgreSQL comes back: A settles E (absent) and undoes it.
    d.pgProxy.resume();
    await sleep(5_000);

    await fillToLimit(b.url, t.adminKey, 'split-bot', 1 * USD);
    const spent = await dbSpend(d.databaseUrl, t.customerId, 'split-bot');
    assert.ok(spent.events <= 10 * USD, `PostgreSQL accepted ${spent.events / USD} USD on a 10 USD limit`);
    await reconcile(b);
    const { store, db } = await monthDay(b, t.customerId, agentId);
    assert.deepEqual(store, db, 'store counters equal PostgreSQL');
  });
});

describe('reconciler coverage: every drifted agent converges', { timeout: 150_000 }, () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server.close());

  it('13: an under-count (store restored from an older snapshot) is repaired', async () => {
    const t = await signupAndAdminKey(server.url);
    await createAgent(server.url, t.adminKey, 'under-bot', { month_usd: 10 });
    const agentId = await agentIdOf(server.databaseUrl as string, t.customerId, 'under-bot');
    assert.equal(
      (await postEvent(server.url, t.adminKey, { agent: 'under-bot', cost_micros: 6 * USD })).status,
      201,
    );
    await shiftStoreSpend(server, t.customerId, agentId, { monthMicros: -4 * USD, dayMicros: -4 * USD });
    await reconcile(server);
    const { store, db } = await monthDay(server, t.customerId, agentId);
    assert.deepEqual(store, db, 'store counters equal PostgreSQL after a reconciler pass');
  });

  it('13a: a drifted agent beyond the first 1,000 agents with spend today is repaired', async () => {
    const t = await signupAndAdminKey(server.url);
    // 1,500 other agents spend today first (more than 1,000: rows are not stored strictly in insertion order).
    let next = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < 1_500) {
          const i = next++;
          const r = await retrying(() =>
            postEvent(server.url, t.adminKey, { agent: `fleet-${i}`, cost_micros: 1_000 }),
          );
          if (r.status !== 201) throw new Error(`fleet-${i}: ${r.status} ${JSON.stringify(r.body)}`);
        }
      }),
    );
    await createAgent(server.url, t.adminKey, 'late-bot', { month_usd: 10 });
    const agentId = await agentIdOf(server.databaseUrl as string, t.customerId, 'late-bot');
    assert.equal(
      (await postEvent(server.url, t.adminKey, { agent: 'late-bot', cost_micros: 2 * USD })).status,
      201,
    );
    // An over-count of the 1,501st agent.
    await shiftStoreSpend(server, t.customerId, agentId, { monthMicros: 3 * USD, dayMicros: 3 * USD });
    await reconcile(server);
    const { store, db } = await monthDay(server, t.customerId, agentId);
    assert.deepEqual(store, db, 'store counters equal PostgreSQL after a reconciler pass');
  });

  it('13b: a drifted agent that had a reservation in the last 2 h is repaired', async () => {
    const t = await signupAndAdminKey(server.url);
    await createAgent(server.url, t.adminKey, 'rsv-bot', { month_usd: 10 });
    const agentId = await agentIdOf(server.databaseUrl as string, t.customerId, 'rsv-bot');
    const held = await api(server.url, '/v1/reservations', {
      key: t.adminKey,
      body: { agent: 'rsv-bot', amount_micros: 2 * USD },
      headers: { 'idempotency-key': newKey('h') },
    });
    assert.equal(held.status, 201, JSON.stringify(held.body));
    const committed = await api(server.url, `/v1/reservations/${held.body.reservation.id}/commit`, {
      key: t.adminKey,
      body: { cost_micros: 2 * USD },
    });
    assert.equal(committed.status, 201, JSON.stringify(committed.body));
    // Nothing is held any more; an over-count appears.
    await shiftStoreSpend(server, t.customerId, agentId, { monthMicros: 3 * USD, dayMicros: 3 * USD });
    await reconcile(server);
    const { store, db } = await monthDay(server, t.customerId, agentId);
    assert.deepEqual(store, db, 'store counters equal PostgreSQL after a reconciler pass');
  });

  it('13c: a drifted agent whose spend is this month but not today is repaired', async () => {
    // No engine clock seam exists, so this process's clock (Date.now) is moved: the spend happens on one day, the
    // reconciler pass and the next decision on another day of the same month.
    const DAY_MS = 86_400_000;
    const now = new Date();
    const lastDayOfMonth = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 0)).getUTCDate();
    const [spendOffset, laterOffset] = now.getUTCDate() < lastDayOfMonth ? [0, DAY_MS] : [-DAY_MS, 0];

    const t = await signupAndAdminKey(server.url);
    await createAgent(server.url, t.adminKey, 'idle-bot', { month_usd: 10 });
    const agentId = await agentIdOf(server.databaseUrl as string, t.customerId, 'idle-bot');
    await withClockOffset(spendOffset, async () => {
      const r = await postEvent(server.url, t.adminKey, { agent: 'idle-bot', cost_micros: 2 * USD });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      // An over-count of the month.
      await shiftStoreSpend(server, t.customerId, agentId, { monthMicros: 3 * USD, dayMicros: 0 });
    });
    await withClockOffset(laterOffset, async () => {
      await reconcile(server);
      const truth = await dbSpendOf(server, t.customerId, agentId);
      const next = await postEvent(server.url, t.adminKey, { agent: 'idle-bot', cost_micros: 1 * USD });
      assert.equal(next.status, 201, JSON.stringify(next.body));
      assert.equal(
        next.body.budget.agent.month.spent_micros / USD,
        (truth.month + 1 * USD) / USD,
        'the next decision counts the month PostgreSQL holds',
      );
    });
  });
});

/** Runs `fn` with this process's Date.now moved by `offsetMs` (0: unchanged). */
async function withClockOffset<T>(offsetMs: number, fn: () => Promise<T>): Promise<T> {
  if (offsetMs === 0) return fn();
  const realNow = Date.now;
  Date.now = () => realNow() + offsetMs;
  try {
    return await fn();
  } finally {
    Date.now = realNow;
  }
}
