// The group-commit writer against both backends: rows of one batch go in with ONE statement (alone, without
// BEGIN/COMMIT, when the batch has nothing else to write), late duplicates are reported (not inserted, not summed),
// rows decided too long ago are refused, spend_daily sums only accepted inserted rows, many concurrent persists are
// batched, a row PostgreSQL refuses fails alone, a kill-switch flip is confirmed only by PostgreSQL's own committed
// spend, and close() drains.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Db, PreparedSql, Queryable } from '../../src/db/types.js';
import { newId } from '../../src/ids.js';
import { createMetrics } from '../../src/observability/metrics.js';
import { COMMIT_AGE_LIMIT_MS } from '../../src/spend/bounds.js';
import type { FlipCandidate } from '../../src/spend/flips.js';
import {
  commitBatch,
  createEventWriter,
  type EventRow,
  type PersistResult,
  RowRefusedError,
  WriterClosedError,
} from '../../src/spend/writer.js';
import { type Backend, openTestDb } from '../harness.js';

const INSERTED: PersistResult = { outcome: 'inserted', agentState: null };

/** What the writer logs (a refused row is logged with PostgreSQL's message). */
function captureLog() {
  const errors: Array<{ obj: unknown; msg: string }> = [];
  return { errors, log: { error: (obj: unknown, msg: string) => errors.push({ obj, msg }) } };
}

function row(customerId: string, agentId: string, over: Partial<EventRow> = {}): EventRow {
  const now = Date.now();
  return {
    id: newId('evt'),
    customerId,
    agentId,
    runId: null,
    costMicros: 100,
    status: 'accepted',
    declineCode: null,
    idempotencyKey: `k-${newId('evt')}`,
    keyScope: 0,
    requestHash: 'h',
    responseStatus: 201,
    responseBody: { ok: true },
    metadata: { model: 'm' },
    pricing: null,
    fingerprint: null,
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
      const writer = createEventWriter({ db, metrics, log: captureLog().log });
      const now = Date.now();
      const rows = Array.from({ length: 300 }, (_, i) =>
        row(customerId, agentId, {
          costMicros: i,
          status: i % 10 === 0 ? 'declined' : 'accepted',
          // Two instants a few seconds apart (the same UTC day, or two around midnight): summed per day.
          recordedAt: i % 2 === 0 ? now : now - 4_000,
        }),
      );
      const results = await Promise.all(rows.map((r) => writer.persist({ event: r })));
      assert.ok(results.every((r) => r.outcome === 'inserted'));
      const batches = (await metrics.batchSize.get()).values.find((v) =>
        (v as { metricName?: string }).metricName?.endsWith('_count'),
      );
      assert.ok(batches && batches.value < 300, `expected batching, got ${batches?.value} commits`);

      const dup = row(customerId, agentId, {
        idempotencyKey: rows[1]?.idempotencyKey as string,
        costMicros: 999,
      });
      assert.deepEqual(await writer.persist({ event: dup }), { outcome: 'duplicate' });

      const dayOf = (at: number) => new Date(at).toISOString().slice(0, 10);
      const acceptedOn = (day: string) =>
        rows.filter((r) => r.status === 'accepted' && dayOf(r.recordedAt) === day);
      const expect = (day: string) => acceptedOn(day).reduce((s, r) => s + r.costMicros, 0);
      const days = [...new Set(rows.map((r) => dayOf(r.recordedAt)))].sort();
      const { rows: daily } = await db.query<{ day: string; spent_micros: number; event_count: number }>(
        `SELECT to_char(day, 'YYYY-MM-DD') AS day, sum(spent_micros)::bigint AS spent_micros,
                sum(event_count)::bigint AS event_count
         FROM spend_daily WHERE agent_id = $1 GROUP BY day ORDER BY day`,
        [agentId],
      );
      assert.deepEqual(
        daily.map((d) => [d.day, Number(d.spent_micros), Number(d.event_count)]),
        days.map((day) => [day, expect(day), acceptedOn(day).length]),
      );
      const { rows: stored } = await db.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM events WHERE customer_id = $1',
        [customerId],
      );
      assert.equal(stored[0]?.n, 300);
      await writer.close();
    });

    it('a row PostgreSQL refuses fails alone: the rest of its batch commits, the error is logged', async () => {
      const { errors, log } = captureLog();
      const writer = createEventWriter({ db, metrics: createMetrics(), log });
      const good = Array.from({ length: 20 }, () => row(customerId, agentId));
      const bad = row(customerId, 'agt_does_not_exist'); // a foreign key violation: not a connection problem
      const results = await Promise.allSettled([
        ...good.slice(0, 10).map((event) => writer.persist({ event })),
        writer.persist({ event: bad }),
        ...good.slice(10).map((event) => writer.persist({ event })),
      ]);
      const refused = results[10];
      assert.equal(refused?.status, 'rejected');
      assert.ok(refused?.status === 'rejected' && refused.reason instanceof RowRefusedError);
      for (const [i, r] of results.entries()) {
        if (i !== 10) assert.deepEqual(r, { status: 'fulfilled', value: INSERTED }, `request ${i}`);
      }
      const { rows: found } = await db.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM events WHERE id = ANY($1::text[])',
        [[...good.map((g) => g.id), bad.id]],
      );
      assert.equal(found[0]?.n, 20, 'every good row, not the bad one');
      assert.equal(errors.length, 1);
      assert.match(errors[0]!.msg, /PostgreSQL refused an event row: .*foreign key/);
      await writer.close();
      await assert.rejects(writer.persist({ event: row(customerId, agentId) }), WriterClosedError);
    });

    it('refuses rows decided longer ago than the age limit: they can never be recorded', async () => {
      const writer = createEventWriter({ db, metrics: createMetrics(), log: captureLog().log });
      const old = row(customerId, agentId, { recordedAt: Date.now() - COMMIT_AGE_LIMIT_MS - 2_000 });
      const fresh = row(customerId, agentId);
      const [oldResult, freshResult] = await Promise.all([
        writer.persist({ event: old }),
        writer.persist({ event: fresh }),
      ]);
      assert.deepEqual(oldResult, { outcome: 'refused' });
      assert.deepEqual(freshResult, INSERTED);
      const { rows: found } = await db.query('SELECT 1 FROM events WHERE id = $1', [old.id]);
      assert.equal(found.length, 0);
      await writer.close();
    });

    it('confirms a flip only with an inserted event, when committed spend breaks the limit and the status is unchanged', async () => {
      const writer = createEventWriter({ db, metrics: createMetrics(), log: captureLog().log });
      const flipAgent = newId('agt');
      await db.query(
        `INSERT INTO agents (id, customer_id, name, month_limit_micros) VALUES ($1, $2, $3, 1000)`,
        [flipAgent, customerId, `capped-${flipAgent}`],
      );
      const flip = (extraMicros: number, statusVersion = 1): FlipCandidate => ({
        customerId,
        agentId: flipAgent,
        reason: 'budget_exceeded',
        period: 'month',
        periodKey: new Date().toISOString().slice(0, 7),
        extraMicros,
        decidedAt: Date.now(),
        statusVersion,
        cause: { test: true },
      });
      const declined = (over: Partial<EventRow> = {}) =>
        row(customerId, flipAgent, {
          status: 'declined',
          declineCode: 'budget_exceeded',
          costMicros: 0,
          ...over,
        });
      const status = async () =>
        (
          await db.query<{ status: string; status_version: number }>(
            'SELECT status, status_version FROM agents WHERE id = $1',
            [flipAgent],
          )
        ).rows[0];
      // 600 committed; a declined 300 does not break 1,000 with what PostgreSQL has: no flip.
      assert.deepEqual(
        await writer.persist({ event: row(customerId, flipAgent, { costMicros: 600 }) }),
        INSERTED,
      );
      assert.deepEqual(await writer.persist({ event: declined(), flip: flip(300) }), INSERTED);
      assert.equal((await status())?.status, 'active', 'uncommitted spend never flips');
      // A decision that saw another status version (a resume came in between) does not flip.
      assert.deepEqual(await writer.persist({ event: declined(), flip: flip(500, 7) }), INSERTED);
      assert.equal((await status())?.status, 'active');
      // A declined 500 does: 600 + 500 > 1,000. The row comes back for the spend store, with the next version.
      const flipping = declined();
      const result = await writer.persist({ event: flipping, flip: flip(500) });
      assert.equal(result.outcome, 'inserted');
      assert.equal(result.outcome === 'inserted' && result.agentState?.status, 'suspended');
      assert.equal(result.outcome === 'inserted' && result.agentState?.statusVersion, 2);
      assert.deepEqual(await status(), { status: 'suspended', status_version: 2 });
      // A late duplicate changes nothing.
      await db.query(`UPDATE agents SET status = 'active', status_version = 3 WHERE id = $1`, [flipAgent]);
      const duplicate = declined({ idempotencyKey: flipping.idempotencyKey });
      assert.deepEqual(await writer.persist({ event: duplicate, flip: flip(500, 3) }), {
        outcome: 'duplicate',
      });
      assert.equal((await status())?.status, 'active', 'a late duplicate changes nothing');
      const { rows: audits } = await db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM audit_log WHERE target_id = $1 AND action = 'agent.suspend'`,
        [flipAgent],
      );
      assert.equal(audits[0]?.n, 1, 'one audit entry, for the flip that happened');
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
      const writer = createEventWriter({ db: watched, metrics: createMetrics(), log: captureLog().log });
      const plain = row(customerId, agentId, { costMicros: 7 });
      assert.deepEqual(await writer.persist({ event: plain }), INSERTED);
      assert.deepEqual(calls, ['WITH'], 'one statement, no transaction');
      const { rows: stored } = await db.query<{ cost_micros: number }>(
        'SELECT cost_micros FROM events WHERE id = $1',
        [plain.id],
      );
      assert.equal(Number(stored[0]?.cost_micros), 7, 'committed by itself (autocommit)');
      const again = row(customerId, agentId, { idempotencyKey: plain.idempotencyKey });
      assert.deepEqual(await writer.persist({ event: again }), { outcome: 'duplicate' });

      calls.length = 0;
      const flip: FlipCandidate = {
        customerId,
        agentId,
        reason: 'velocity_exceeded',
        period: 'velocity',
        periodKey: null,
        extraMicros: 0,
        decidedAt: Date.now(),
        statusVersion: 1,
        cause: {},
      };
      assert.deepEqual(await writer.persist({ event: row(customerId, agentId), flip }), INSERTED);
      assert.deepEqual(calls, ['transaction'], 'an event with a flip to confirm is written in a transaction');
      await writer.close();
    });

    it("a reservation's commit event marks the reservation committed in the same one statement; a late duplicate does not", async () => {
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
      const hold = async () => {
        const id = newId('rsv');
        await db.query(
          `INSERT INTO reservations (id, customer_id, agent_id, amount_micros, status, idempotency_key, request_hash,
             response_status, response_body, expires_at, created_at)
           VALUES ($1, $2, $3, 500, 'held', $4, 'h', 201, '{}'::jsonb, now() + interval '1 hour', now())`,
          [id, customerId, agentId, `k-${id}`],
        );
        return id;
      };
      const state = async (id: string) =>
        (
          await db.query<{ status: string; event_id: string | null; finished: boolean }>(
            `SELECT status, event_id, finished_at IS NOT NULL AS finished FROM reservations WHERE id = $1`,
            [id],
          )
        ).rows[0];
      const writer = createEventWriter({ db: watched, metrics: createMetrics(), log: captureLog().log });
      const held = await hold();
      const commit = row(customerId, agentId, {
        reservationId: held,
        idempotencyKey: `rsv:${held}:commit`,
        keyScope: 1,
      });
      assert.deepEqual(await writer.persist({ event: commit }), INSERTED);
      assert.deepEqual(calls, ['WITH'], 'one statement, no transaction');
      assert.deepEqual(await state(held), { status: 'committed', event_id: commit.id, finished: true });

      // The same commit key again (a taken-over stale claim): nothing inserted, the reservation keeps the first event.
      const twin = row(customerId, agentId, {
        reservationId: held,
        idempotencyKey: commit.idempotencyKey,
        keyScope: 1,
      });
      assert.deepEqual(await writer.persist({ event: twin }), { outcome: 'duplicate' });
      assert.equal((await state(held))?.event_id, commit.id);

      // A row refused as too old commits no reservation either.
      const other = await hold();
      const late = Date.now() - COMMIT_AGE_LIMIT_MS - 60_000;
      const stale = row(customerId, agentId, {
        reservationId: other,
        idempotencyKey: `rsv:${other}:commit`,
        keyScope: 1,
        recordedAt: late,
        occurredAt: late,
      });
      assert.deepEqual(await writer.persist({ event: stale }), { outcome: 'refused' });
      assert.deepEqual(await state(other), { status: 'held', event_id: null, finished: false });
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

describe('event writer: a flip is confirmed after the commits already in flight (PostgreSQL server)', () => {
  it('an accepted event still committing in the other slot counts toward the flip a later decline asks for', async () => {
    const { db, close } = await openTestDb('postgres');
    try {
      const { customerId, agentId } = await seedAgent(db);
      await db.query('UPDATE agents SET month_limit_micros = 1000 WHERE id = $1', [agentId]);
      const today = new Date().toISOString().slice(0, 10);
      // Both commit slots' spend_daily rows exist, so a lock on them stalls any accepted event's commit.
      await db.query(
        `INSERT INTO spend_daily (customer_id, agent_id, day, shard, spent_micros, event_count)
         VALUES ($1, $2, $3, 0, 0, 0), ($1, $2, $3, 1, 0, 0)`,
        [customerId, agentId, today],
      );
      let release: () => void = () => {};
      const released = new Promise<void>((resolve) => {
        release = resolve;
      });
      let locked: () => void = () => {};
      const isLocked = new Promise<void>((resolve) => {
        locked = resolve;
      });
      const blocker = db.transaction(async (tx) => {
        await tx.query('SELECT 1 FROM spend_daily WHERE agent_id = $1 FOR UPDATE', [agentId]);
        locked();
        await released;
      });
      await isLocked;
      const writer = createEventWriter({ db, metrics: createMetrics(), log: captureLog().log });
      // 600 accepted, decided first: its commit waits on the lock in one slot.
      const accepted = writer.persist({ event: row(customerId, agentId, { costMicros: 600 }) });
      await new Promise((resolve) => setTimeout(resolve, 100));
      // A decline of 500 decided after it: 600 + 500 breaks 1,000 — but only once the 600 is committed.
      const flip: FlipCandidate = {
        customerId,
        agentId,
        reason: 'budget_exceeded',
        period: 'month',
        periodKey: today.slice(0, 7),
        extraMicros: 500,
        decidedAt: Date.now(),
        statusVersion: 1,
        cause: { test: true },
      };
      const declined = writer.persist({
        event: row(customerId, agentId, {
          status: 'declined',
          declineCode: 'budget_exceeded',
          costMicros: 0,
        }),
        flip,
      });
      await new Promise((resolve) => setTimeout(resolve, 300));
      release();
      await blocker;
      assert.deepEqual(await accepted, INSERTED);
      const result = await declined;
      assert.equal(result.outcome === 'inserted' && result.agentState?.status, 'suspended');
      const { rows } = await db.query<{ status: string }>('SELECT status FROM agents WHERE id = $1', [
        agentId,
      ]);
      assert.equal(rows[0]?.status, 'suspended', 'the flip saw the 600 committed just before it');
      await writer.close();
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
      assert.deepEqual(prepared, ['spendguard_insert_event_batch_v6']);
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
