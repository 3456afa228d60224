// Group-commit writer: every decided event (accepted AND declined) reaches PostgreSQL through here.
//
// Why batches: one INSERT + COMMIT per request tops out around 3.5-4k req/s on one PostgreSQL; one multi-row
// INSERT (rows passed as arrays through unnest) per commit reached 7-10k req/s here. Adaptive: a batch is flushed
// at once while a commit slot is free, so an idle server adds no latency; requests only queue up while
// MAX_IN_FLIGHT commits are running, and the next flush takes everything queued (up to MAX_BATCH rows).
//
// A batch of plain events is that one statement alone (autocommit); one with kill-switch flips or reservation
// commits runs in a transaction with them. Each persist() promise resolves only after its batch COMMITTED, so a 201
// is never sent for an event PostgreSQL does not have. What a failure means for each request:
// - a connection error or timeout: the commit's fate is unknown → the promise rejects with that error (the caller
//   settles it by asking PostgreSQL later, spend/money-pipeline.ts);
// - any other error (PostgreSQL refused a row): the batch is split and committed in halves, so only the row that
//   fails fails — its promise rejects with RowRefusedError, logged with PostgreSQL's message;
// - a row decided longer ago than COMMIT_AGE_LIMIT_MS is refused by PostgreSQL itself ('refused'): it can never be
//   recorded any more, which is what lets the reconciler and a recovering store trust their answers (bounds.ts).
import { isUnavailableError } from '../db/errors.js';
import type { Db, PreparedSql, Queryable } from '../db/types.js';
import { jsonTextOf } from '../http/json-text.js';
import type { Metrics } from '../observability/metrics.js';
import { isoOrNull } from '../time.js';
import { COMMIT_AGE_LIMIT_INTERVAL, COMMIT_AGE_LIMIT_MS, STATEMENT_TIMEOUT_MS } from './bounds.js';
import { confirmFlip, type FlipCandidate } from './flips.js';
import type { AgentState } from './store.js';

const MAX_IN_FLIGHT = 2;
const MAX_BATCH = 500;

/** Idempotency key scopes (migration 005): the client's own keys, and reservation commits. */
export const KEY_SCOPE_CLIENT = 0;
export const KEY_SCOPE_RESERVATION_COMMIT = 1;

export interface EventRow {
  id: string;
  customerId: string;
  agentId: string;
  runId: string | null;
  costMicros: number;
  status: 'accepted' | 'declined';
  declineCode: string | null;
  idempotencyKey: string;
  keyScope: number;
  requestHash: string;
  responseStatus: number;
  responseBody: unknown;
  metadata: unknown;
  /** For an event priced from usage: {usage, price} as the API returns them (docs/api.md §5.1); else null. */
  pricing: unknown;
  /** The request's `fingerprint` (docs/api.md §7); null when not sent, and for a reservation's commit (its hold
   * counted it). */
  fingerprint: string | null;
  reservationId: string | null;
  occurredAt: number;
  recordedAt: number;
}

export interface PersistItem {
  /** An event with a `reservationId` is that reservation's commit: the statement that inserts the event also marks
   * the reservation `committed` (INSERT_BATCH), so the two are one atomic write. */
  event: EventRow;
  /** A provisional kill-switch flip PostgreSQL confirms (or not) in the same transaction (flips.ts). */
  flip?: FlipCandidate;
}

/**
 * `inserted` (with the agent's row when PostgreSQL confirmed a flip), `duplicate` (another request with the same
 * key was committed first), `refused` (decided too long ago: PostgreSQL will never record it).
 */
export type PersistResult =
  | { outcome: 'inserted'; agentState: AgentState | null }
  | { outcome: 'duplicate' }
  | { outcome: 'refused' };

export interface EventWriter {
  persist(item: PersistItem): Promise<PersistResult>;
  /** Resolves when everything queued so far is committed or failed. */
  drain(): Promise<void>;
  /** Stops taking new items and drains (graceful shutdown must not lose acknowledged events). */
  close(): Promise<void>;
  readonly pending: number;
}

interface Waiting {
  item: PersistItem;
  resolve(result: PersistResult): void;
  reject(error: unknown): void;
}

export class WriterClosedError extends Error {
  constructor() {
    super('the event writer is closed');
    this.name = 'WriterClosedError';
  }
}

/** PostgreSQL refused this row (not a connection problem): nothing of it was recorded. */
export class RowRefusedError extends Error {
  constructor(override readonly cause: unknown) {
    super(`PostgreSQL refused the row: ${(cause as Error)?.message ?? String(cause)}`);
    this.name = 'RowRefusedError';
  }
}

/** A transaction that reached its COMMIT too late (bounds.ts): rolled back, so its rows are refused. */
class CommitTooLateError extends Error {}

/**
 * One statement: insert the batch (rows younger than the age limit by PostgreSQL's clock), skip late duplicates,
 * add the inserted accepted spend to spend_daily (stamping the row for the threshold sweep), mark the reservation of each inserted commit event `committed`
 * (only reservation commits carry a reservation_id), and say for each row whether it went in or was too old. Prepared
 * (planned once per connection): the plan does not depend on the batch, which arrives as arrays.
 */
const INSERT_BATCH: PreparedSql = {
  name: 'spendguard_insert_event_batch_v6',
  text: `
WITH input AS (
  SELECT * FROM unnest(
    $1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::text[], $7::text[], $8::text[],
    $9::text[], $10::int[], $11::text[], $12::text[], $13::text[], $14::timestamptz[], $15::timestamptz[],
    $16::smallint[], $19::text[], $20::text[]
  ) AS t(id, customer_id, agent_id, run_id, cost_micros, status, decline_code, idempotency_key,
         request_hash, response_status, response_body, metadata, reservation_id, occurred_at, recorded_at, key_scope,
         pricing, fingerprint)
), fresh AS (
  SELECT input.* FROM input WHERE recorded_at >= statement_timestamp() - $18::interval
), inserted AS (
  INSERT INTO events (id, customer_id, agent_id, run_id, cost_micros, status, decline_code, idempotency_key,
                      key_scope, request_hash, response_status, response_body, metadata, reservation_id,
                      occurred_at, recorded_at, pricing, fingerprint)
  SELECT id, customer_id, agent_id, run_id, cost_micros, status, decline_code, idempotency_key, key_scope,
         request_hash, response_status, response_body::jsonb, metadata::jsonb, reservation_id, occurred_at,
         recorded_at, pricing::jsonb, fingerprint
  FROM fresh
  -- Key order: two batches racing on the same keys (retries) take the unique-index locks in one order, no deadlock.
  ORDER BY customer_id, key_scope, idempotency_key
  ON CONFLICT (customer_id, key_scope, idempotency_key) DO NOTHING
  RETURNING id, customer_id, agent_id, cost_micros, status, recorded_at, reservation_id
), committed AS (
  -- A late duplicate inserts nothing and so commits no reservation: the reservation keeps the event that went in.
  UPDATE reservations SET status = 'committed', event_id = inserted.id, finished_at = inserted.recorded_at
  FROM inserted
  WHERE reservations.id = inserted.reservation_id AND reservations.customer_id = inserted.customer_id
), daily AS (
  INSERT INTO spend_daily (customer_id, agent_id, day, shard, spent_micros, event_count, updated_at)
  SELECT customer_id, agent_id, (recorded_at AT TIME ZONE 'UTC')::date AS day, $17::smallint, sum(cost_micros),
         count(*), statement_timestamp()
  FROM inserted WHERE status = 'accepted'
  GROUP BY customer_id, agent_id, day
  -- One order for every writer: concurrent batches lock spend_daily rows in the same sequence, never deadlock.
  ORDER BY agent_id, day
  -- Each commit slot writes its own shard row (migration 004), so in-flight commits don't wait on each other.
  ON CONFLICT (agent_id, day, shard) DO UPDATE
    SET spent_micros = spend_daily.spent_micros + EXCLUDED.spent_micros,
        event_count = spend_daily.event_count + EXCLUDED.event_count,
        -- What the budget.threshold sweep looks for (webhooks/thresholds.ts): spend added at this statement's time.
        updated_at = EXCLUDED.updated_at
)
SELECT id, true AS inserted FROM inserted
UNION ALL
SELECT id, false FROM input WHERE NOT EXISTS (SELECT 1 FROM fresh WHERE fresh.id = input.id)`,
};

function batchParams(items: PersistItem[], shard: number): unknown[] {
  const cols: unknown[][] = Array.from({ length: 16 }, () => []);
  // $19 and $20, after the shard ($17) and the age limit ($18): added last so the older parameters keep their numbers.
  const pricing: unknown[] = [];
  const fingerprints: Array<string | null> = [];
  for (const { event: e } of items) {
    const values = [
      e.id,
      e.customerId,
      e.agentId,
      e.runId,
      e.costMicros,
      e.status,
      e.declineCode,
      e.idempotencyKey,
      e.requestHash,
      e.responseStatus,
      jsonTextOf(e.responseBody),
      e.metadata === null || e.metadata === undefined ? null : JSON.stringify(e.metadata),
      e.reservationId,
      isoOrNull(e.occurredAt),
      isoOrNull(e.recordedAt),
      e.keyScope,
    ];
    for (const [i, v] of values.entries()) cols[i]?.push(v);
    pricing.push(e.pricing === null || e.pricing === undefined ? null : JSON.stringify(e.pricing));
    fingerprints.push(e.fingerprint ?? null);
  }
  return [...cols, shard, COMMIT_AGE_LIMIT_INTERVAL, pricing, fingerprints];
}

/**
 * The last statement of a transaction that inserted decisions: COMMIT must come within the bound an autocommit
 * batch has (age limit + one statement) of the oldest one, or the transaction rolls back (bounds.ts).
 */
export async function assertCommitInTime(tx: Queryable, oldestDecision: number): Promise<void> {
  const { rows } = await tx.query<{ ok: boolean }>('SELECT clock_timestamp() <= $1::timestamptz AS ok', [
    isoOrNull(oldestDecision + COMMIT_AGE_LIMIT_MS + STATEMENT_TIMEOUT_MS),
  ]);
  if (!rows[0]?.ok) throw new CommitTooLateError();
}

/** Whether an item writes more than INSERT_BATCH does (then the batch needs a transaction around its statements). */
const hasSideWrites = (item: PersistItem) => item.flip !== undefined;

type BatchOutcome = Map<string, PersistResult>;

function outcomesOf(rows: Array<{ id: string; inserted: boolean }>): BatchOutcome {
  const out: BatchOutcome = new Map();
  for (const row of rows) {
    out.set(row.id, row.inserted ? { outcome: 'inserted', agentState: null } : { outcome: 'refused' });
  }
  return out;
}

/** `shard`: the commit slot (0 .. MAX_IN_FLIGHT-1); concurrent commits of one writer use different spend_daily rows. */
export async function commitBatch(db: Db, items: PersistItem[], shard = 0): Promise<BatchOutcome> {
  if (!items.some(hasSideWrites)) {
    // No flips: INSERT_BATCH is ONE statement, atomic by itself (autocommit) — reservation commits included — so BEGIN
    // and COMMIT would only add round trips. It resolves after PostgreSQL committed it, as the transaction would.
    const { rows } = await db.query<{ id: string; inserted: boolean }>(
      INSERT_BATCH,
      batchParams(items, shard),
    );
    return outcomesOf(rows);
  }
  try {
    return await db.transaction(async (tx) => {
      const { rows } = await tx.query<{ id: string; inserted: boolean }>(
        INSERT_BATCH,
        batchParams(items, shard),
      );
      const outcomes = outcomesOf(rows);
      const inserted = (item: PersistItem) => outcomes.get(item.event.id)?.outcome === 'inserted';
      // Flips only for events that really went in (not late duplicates), agents in id order so concurrent batches
      // lock their rows in the same sequence.
      const ordered = items
        .filter(inserted)
        .sort((a, b) => (a.event.agentId < b.event.agentId ? -1 : a.event.agentId > b.event.agentId ? 1 : 0));
      for (const item of ordered) {
        if (item.flip) {
          const agentState = await confirmFlip(tx, item.flip);
          outcomes.set(item.event.id, { outcome: 'inserted', agentState });
        }
      }
      if (ordered.length > 0) {
        await assertCommitInTime(tx, Math.min(...ordered.map((item) => item.event.recordedAt)));
      }
      return outcomes;
    });
  } catch (error) {
    if (error instanceof CommitTooLateError) {
      return new Map(items.map((item) => [item.event.id, { outcome: 'refused' } as PersistResult]));
    }
    throw error;
  }
}

export function createEventWriter(deps: {
  db: Db;
  metrics: Metrics;
  log: { error(obj: unknown, msg: string): void };
}): EventWriter {
  const queue: Waiting[] = [];
  /** The commits running now (at most MAX_IN_FLIGHT); a batch with a kill-switch flip waits for them (see pump). */
  const running = new Set<Promise<void>>();
  let closed = false;
  let idleWaiters: Array<() => void> = [];

  const settleIdle = () => {
    if (queue.length > 0 || running.size > 0) return;
    const waiters = idleWaiters;
    idleWaiters = [];
    for (const w of waiters) w();
  };

  const freeSlots = Array.from({ length: MAX_IN_FLIGHT }, (_, i) => i);

  /**
   * Commits `batch`; when PostgreSQL refuses it for a reason other than the connection (a bad row), commits the two
   * halves apart, down to the row that fails — every other request of the batch still commits.
   */
  const commitSplitting = async (batch: Waiting[], slot: number): Promise<void> => {
    try {
      const outcomes = await commitBatch(
        deps.db,
        batch.map((w) => w.item),
        slot,
      );
      for (const w of batch) w.resolve(outcomes.get(w.item.event.id) ?? { outcome: 'duplicate' });
    } catch (error) {
      deps.metrics.storeErrors.inc({ store: 'postgres', operation: 'commit_events' });
      if (isUnavailableError(error)) {
        for (const w of batch) w.reject(error);
        return;
      }
      if (batch.length === 1) {
        const w = batch[0]!;
        deps.log.error(
          { err: error, event: w.item.event.id, customer: w.item.event.customerId },
          `PostgreSQL refused an event row: ${(error as Error).message}`,
        );
        w.reject(new RowRefusedError(error));
        return;
      }
      const half = Math.ceil(batch.length / 2);
      await commitSplitting(batch.slice(0, half), slot);
      await commitSplitting(batch.slice(half), slot);
    }
  };

  const flush = async (batch: Waiting[], slot: number) => {
    const started = process.hrtime.bigint();
    deps.metrics.batchSize.observe(batch.length);
    try {
      await commitSplitting(batch, slot);
    } finally {
      deps.metrics.commitDuration.observe(Number(process.hrtime.bigint() - started) / 1e9);
    }
  };

  const pump = () => {
    while (running.size < MAX_IN_FLIGHT && queue.length > 0) {
      const batch = queue.splice(0, MAX_BATCH);
      const slot = freeSlots.pop() ?? 0;
      // A flip is confirmed by what PostgreSQL has committed (flips.ts): a batch carrying one starts only after the
      // commits already in flight, which hold events decided before its decline. Without this, an accepted event in
      // the other slot was not yet visible, the count fell one short and the kill switch stayed off.
      const earlier = batch.some((w) => w.item.flip) ? [...running] : [];
      const commit = (earlier.length > 0 ? Promise.allSettled(earlier) : Promise.resolve()).then(() =>
        flush(batch, slot),
      );
      running.add(commit);
      void commit.finally(() => {
        running.delete(commit);
        freeSlots.push(slot);
        pump();
        settleIdle();
      });
    }
  };

  const drain = () =>
    new Promise<void>((resolve) => {
      idleWaiters.push(resolve);
      settleIdle();
    });

  return {
    persist(item) {
      if (closed) return Promise.reject(new WriterClosedError());
      return new Promise<PersistResult>((resolve, reject) => {
        queue.push({ item, resolve, reject });
        pump();
      });
    },
    drain,
    async close() {
      closed = true;
      await drain();
    },
    get pending() {
      return queue.length + running.size;
    },
  };
}
