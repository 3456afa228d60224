// The group-commit writer against both backends: rows of one batch go in with ONE statement (alone, without
// BEGIN/COMMIT, when the batch has nothing else to write), late duplicates are
// reported (not inserted, not summed), spend_daily sums only accepted inserted rows, many concurrent persists are
// batched, a failed commit rejects every request of its batch, and close() drains.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Db, PreparedSql, Queryable } from '../../src/db/types.js';
import { newId } from '../../src/ids.js';
import { createMetrics } from '../../src/observability/metrics.js';
import { commitBatch, createEventWriter, type EventRow, WriterClosedError } from '../../src/spend/writer.js';
import { type Backend, openTestDb } from '../harness.js';

function row(customerId: string, agentId: string, over: Partial<EventRow> = {}): EventRow {
  const now = Date.parse('2026-11-25T10:00:00Z');
  return {
    id: newId('evt'),
    customerId,
    agentId,
    runId: null,
    costMicros: 100,
    status: 'accepted',
    declineCode: null,
    idempotencyKey: `k-${newId('evt')}`,
    requestHash: 'h',
    responseStatus: 201,
    responseBody: { ok: true },
    metadata: { model: 'm' },
    reservationId: null,
    occurredAt: now,
    recordedAt: now,
    ...over,
  };
}

for (const backend of ['postgres', 'pglite'] as Backend[]) {
  describe(`event writer (${backend})`, () => {
    let db: Db;
    let close: () => Promise<void>;
    const customerId = newId('cus');
    const agentId = newId('agt');
    before(async () => {
      ({ db, close } = await openTestDb(backend));
      await db.query(`INSERT INTO customers (id, name) VALUES ($1, 'c')`, [customerId]);
      await db.query(`INSERT INTO agents (id, customer_id, name) VALUES ($1, $2, 'a')`, [
        agentId,
        customerId,
      ]);
    });
    after(async () => close());

    it('inserts concurrent persists in batches, sums accepted spend per day, reports late duplicates', async () => {
      const metrics = createMetrics();
      const writer = createEventWriter({ db, metrics });
      const rows = Array.from({ length: 300 }, (_, i) =>
        row(customerId, agentId, {
          costMicros: i,
          status: i % 10 === 0 ? 'declined' : 'accepted',
          recordedAt: Date.parse(i % 2 === 0 ? '2026-11-25T10:00:00Z' : '2026-11-24T23:59:59Z'),
        }),
      );
      const results = await Promise.all(rows.map((r) => writer.persist({ event: r })));
      assert.ok(results.every((r) => r === 'inserted'));
      const batches = (await metrics.batchSize.get()).values.find((v) =>
        (v as { metricName?: string }).metricName?.endsWith('_count'),
      );
      assert.ok(batches && batches.value < 300, `expected batching, got ${batches?.value} commits`);

      const dup = row(customerId, agentId, {
        idempotencyKey: rows[1]?.idempotencyKey as string,
        costMicros: 999,
      });
      assert.equal(await writer.persist({ event: dup }), 'duplicate');

      const acceptedOn = (day: string) =>
        rows.filter((r) => r.status === 'accepted' && new Date(r.recordedAt).toISOString().startsWith(day));
      const expect = (day: string) => acceptedOn(day).reduce((s, r) => s + r.costMicros, 0);
      const { rows: daily } = await db.query<{ day: string; spent_micros: number; event_count: number }>(
        `SELECT to_char(day, 'YYYY-MM-DD') AS day, sum(spent_micros)::bigint AS spent_micros,
                sum(event_count)::bigint AS event_count
         FROM spend_daily WHERE agent_id = $1 GROUP BY day ORDER BY day`,
        [agentId],
      );
      assert.deepEqual(
        daily.map((d) => [d.day, Number(d.spent_micros), Number(d.event_count)]),
        [
          ['2026-11-24', expect('2026-11-24'), acceptedOn('2026-11-24').length],
          ['2026-11-25', expect('2026-11-25'), acceptedOn('2026-11-25').length],
        ],
      );
      const { rows: stored } = await db.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM events WHERE customer_id = $1',
        [customerId],
      );
      assert.equal(stored[0]?.n, 300);
      await writer.close();
    });

    it('a failed commit rejects every request of its batch and stores none of it', async () => {
      const writer = createEventWriter({ db, metrics: createMetrics() });
      const good = row(customerId, agentId);
      const bad = row(customerId, 'agt_does_not_exist'); // foreign key violation fails the whole transaction
      const results = await Promise.allSettled([
        writer.persist({ event: good }),
        writer.persist({ event: bad }),
      ]);
      // The first may have been flushed alone (a slot was free); whatever shared the bad row's batch failed with it.
      assert.equal(results[1]?.status, 'rejected');
      const { rows: found } = await db.query('SELECT 1 FROM events WHERE id = $1', [bad.id]);
      assert.equal(found.length, 0);
      await writer.close();
      await assert.rejects(writer.persist({ event: row(customerId, agentId) }), WriterClosedError);
    });

    it('applies a kill-switch change and its audit entry only with an inserted event', async () => {
      const writer = createEventWriter({ db, metrics: createMetrics() });
      const change = {
        agentId,
        status: 'suspended' as const,
        suspendedReason: 'budget_exceeded' as const,
        suspendedAt: Date.now(),
        suspendedPeriod: '2026-11',
      };
      const first = row(customerId, agentId, { status: 'declined', declineCode: 'budget_exceeded' });
      const audit = {
        customerId,
        actor: { type: 'system' as const },
        action: 'agent.suspend',
        targetType: 'agent',
        targetId: agentId,
      };
      assert.equal(await writer.persist({ event: first, agentChange: change, audit }), 'inserted');
      const { rows: agent } = await db.query<{ status: string; suspended_period: string }>(
        'SELECT status, suspended_period FROM agents WHERE id = $1',
        [agentId],
      );
      assert.deepEqual(agent[0], { status: 'suspended', suspended_period: '2026-11' });
      await db.query(
        `UPDATE agents SET status = 'active', suspended_reason = NULL, suspended_period = NULL WHERE id = $1`,
        [agentId],
      );
      const duplicate = row(customerId, agentId, { idempotencyKey: first.idempotencyKey });
      assert.equal(await writer.persist({ event: duplicate, agentChange: change, audit }), 'duplicate');
      const { rows: after } = await db.query<{ status: string }>('SELECT status FROM agents WHERE id = $1', [
        agentId,
      ]);
      assert.equal(after[0]?.status, 'active', 'a late duplicate changes nothing');
      const { rows: audits } = await db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM audit_log WHERE customer_id = $1 AND action = 'agent.suspend'`,
        [customerId],
      );
      assert.equal(audits[0]?.n, 1);
      await writer.close();
    });
    it('writes a batch of plain events as one statement without BEGIN/COMMIT; side writes keep the transaction', async () => {
      // Records what the writer asks of the real database (every call still goes to it).
      const calls: string[] = [];
      const watched = new Proxy(db, {
        get(target, name, receiver) {
          if (name === 'query')
            return (sql: string | PreparedSql, params?: unknown[]) => {
              calls.push((typeof sql === 'string' ? sql : sql.text).trim().split(/\s+/)[0] ?? '');
              return target.query(sql, params);
            };
          if (name === 'transaction')
            return <T>(fn: (tx: Queryable) => Promise<T>) => {
              calls.push('transaction');
              return target.transaction(fn);
            };
          return Reflect.get(target, name, receiver);
        },
      });
      const writer = createEventWriter({ db: watched, metrics: createMetrics() });
      const plain = row(customerId, agentId, { costMicros: 7 });
      assert.equal(await writer.persist({ event: plain }), 'inserted');
      assert.deepEqual(calls, ['WITH'], 'one statement, no transaction');
      const { rows: stored } = await db.query<{ cost_micros: number }>(
        'SELECT cost_micros FROM events WHERE id = $1',
        [plain.id],
      );
      assert.equal(Number(stored[0]?.cost_micros), 7, 'committed by itself (autocommit)');
      const again = row(customerId, agentId, { idempotencyKey: plain.idempotencyKey });
      assert.equal(await writer.persist({ event: again }), 'duplicate');

      calls.length = 0;
      const change = {
        agentId,
        status: 'active' as const,
        suspendedReason: null,
        suspendedAt: null,
        suspendedPeriod: null,
      };
      assert.equal(
        await writer.persist({ event: row(customerId, agentId), agentChange: change }),
        'inserted',
      );
      assert.deepEqual(calls, ['transaction'], 'an event with an agent change is written in a transaction');
      await writer.close();
    });
  });
}

describe('event writer: in-flight commits do not wait on each other (PostgreSQL server)', () => {
  it('a commit in slot 1 completes while slot 0 holds its spend_daily row locks uncommitted', async () => {
    const { db, close } = await openTestDb('postgres');
    try {
      const { customerId, agentId } = await seedAgent(db);
      let releaseFirst: () => void = () => {};
      const firstHoldsLocks = new Promise<void>((resolve) => {
        releaseFirst = resolve;
      });
      let firstInserted: () => void = () => {};
      const firstHasInserted = new Promise<void>((resolve) => {
        firstInserted = resolve;
      });
      // Slot 0's batch: inserted (row locks on spend_daily taken) but not yet committed.
      const first = db.transaction(async (tx) => {
        const inserted = await commitBatch(txAsDb(db, tx), [{ event: row(customerId, agentId) }], 0);
        firstInserted();
        await firstHoldsLocks;
        return inserted;
      });
      await firstHasInserted;
      const second = commitBatch(db, [{ event: row(customerId, agentId) }], 1);
      const outcome = await Promise.race([
        second.then(() => 'committed'),
        new Promise((resolve) => setTimeout(() => resolve('blocked'), 2_000)),
      ]);
      releaseFirst();
      await first;
      await second;
      assert.equal(outcome, 'committed', 'slot 1 waited for slot 0: in-flight commits are serialized');
      const { rows } = await db.query<{ s: number; n: number }>(
        'SELECT sum(spent_micros)::bigint AS s, count(*)::int AS n FROM spend_daily WHERE agent_id = $1',
        [agentId],
      );
      assert.equal(Number(rows[0]?.s), 200);
      assert.equal(rows[0]?.n, 2, 'one row per commit slot');
    } finally {
      await close();
    }
  });
});

describe('event writer: the batch insert is planned once per connection (PostgreSQL server)', () => {
  it('the statement is a named prepared statement on the connection that ran it', async () => {
    const { db, close } = await openTestDb('postgres');
    try {
      const { customerId, agentId } = await seedAgent(db);
      // One transaction pins one connection; pg_prepared_statements lists that session's statements only.
      const prepared = await db.transaction(async (tx) => {
        await commitBatch(txAsDb(db, tx), [{ event: row(customerId, agentId) }], 0);
        await commitBatch(txAsDb(db, tx), [{ event: row(customerId, agentId) }], 0);
        const { rows } = await tx.query<{ name: string }>('SELECT name FROM pg_prepared_statements');
        return rows.map((r) => r.name);
      });
      assert.deepEqual(prepared, ['spendguard_insert_event_batch']);
      const { rows } = await db.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM events WHERE agent_id = $1',
        [agentId],
      );
      assert.equal(rows[0]?.n, 2, 'the prepared statement inserts like the plain one');
    } finally {
      await close();
    }
  });
});

/** A customer with one agent, for the events the writer inserts. */
async function seedAgent(db: Db): Promise<{ customerId: string; agentId: string }> {
  const customerId = newId('cus');
  const agentId = newId('agt');
  await db.query(`INSERT INTO customers (id, name) VALUES ($1, 'c')`, [customerId]);
  await db.query(`INSERT INTO agents (id, customer_id, name) VALUES ($1, $2, 'a')`, [agentId, customerId]);
  return { customerId, agentId };
}

/** commitBatch on an open transaction: a Db whose query runs inside it (no nested transaction for plain events). */
function txAsDb(db: Db, tx: Queryable): Db {
  return { ...db, query: tx.query, transaction: (fn) => fn(tx) };
}
