// PostgreSQL side of reservations (docs/api.md §6): the row is the truth a restart rebuilds holds from (spend/rebuild.ts
// loads status 'held' rows not yet expired). Every query is scoped by customer: another customer's id is "absent".
import { type Db, int8Of, type Queryable } from '../db/types.js';
import { COMMIT_AGE_LIMIT_INTERVAL, COMMIT_CLAIM_STALE_MS } from '../spend/bounds.js';
import { confirmFlip, type FlipCandidate } from '../spend/flips.js';

export { COMMIT_CLAIM_STALE_MS };

import type { OpenHold } from '../spend/store.js';
import type { PersistResult } from '../spend/writer.js';
import { epochMs, epochMsOrNull, isoOrNull } from '../time.js';

export type StoredStatus = 'held' | 'committed' | 'released' | 'expired' | 'declined';

export interface ReservationRow {
  id: string;
  customerId: string;
  agentId: string;
  agentName: string;
  runId: string | null;
  amountMicros: number;
  status: StoredStatus;
  declineCode: string | null;
  idempotencyKey: string;
  requestHash: string;
  responseStatus: number;
  responseBody: unknown;
  expiresAt: number;
  createdAt: number;
  finishedAt: number | null;
  eventId: string | null;
  commitRequestHash: string | null;
  commitClaimedAt: number | null;
  /** The request's `fingerprint` (docs/api.md §7), counted against the agent's `repeats` limit while held; or null. */
  fingerprint: string | null;
}

export type NewReservation = Omit<
  ReservationRow,
  'agentName' | 'finishedAt' | 'eventId' | 'commitRequestHash' | 'commitClaimedAt'
>;

interface DbRow {
  id: string;
  customer_id: string;
  agent_id: string;
  agent_name: string;
  run_id: string | null;
  amount_micros: unknown;
  status: StoredStatus;
  decline_code: string | null;
  idempotency_key: string;
  request_hash: string;
  response_status: number;
  response_body: unknown;
  expires_at: unknown;
  created_at: unknown;
  finished_at: unknown;
  event_id: string | null;
  commit_request_hash: string | null;
  commit_claimed_at: unknown;
  fingerprint: string | null;
}

const COLUMNS = `r.id, r.customer_id, r.agent_id, a.name AS agent_name, r.run_id, r.amount_micros, r.status,
  r.decline_code, r.idempotency_key, r.request_hash, r.response_status, r.response_body, r.expires_at,
  r.created_at, r.finished_at, r.event_id, r.commit_request_hash, r.commit_claimed_at, r.fingerprint`;

function fromDb(row: DbRow): ReservationRow {
  return {
    id: row.id,
    customerId: row.customer_id,
    agentId: row.agent_id,
    agentName: row.agent_name,
    runId: row.run_id,
    amountMicros: int8Of(row.amount_micros),
    status: row.status,
    declineCode: row.decline_code,
    idempotencyKey: row.idempotency_key,
    requestHash: row.request_hash,
    responseStatus: row.response_status,
    responseBody: typeof row.response_body === 'string' ? JSON.parse(row.response_body) : row.response_body,
    expiresAt: epochMs(row.expires_at),
    createdAt: epochMs(row.created_at),
    finishedAt: epochMsOrNull(row.finished_at),
    eventId: row.event_id,
    commitRequestHash: row.commit_request_hash,
    commitClaimedAt: epochMsOrNull(row.commit_claimed_at),
    fingerprint: row.fingerprint,
  };
}

/**
 * The customer's open holds (held, not yet expired at `now`) — what a rebuild loads into the store and the
 * reconciler compares it with; `commitClaimedAt`: when a commit last claimed it.
 */
export async function openHolds(
  db: Queryable,
  customerId: string,
  now: number,
): Promise<Array<OpenHold & { commitClaimedAt: number | null }>> {
  const { rows } = await db.query<{
    id: string;
    agent_id: string;
    run_id: string | null;
    amount_micros: unknown;
    expires_at: unknown;
    created_at: unknown;
    commit_claimed_at: unknown;
  }>(
    `SELECT id, agent_id, run_id, amount_micros, expires_at, created_at, commit_claimed_at
       FROM reservations WHERE customer_id = $1 AND status = 'held' AND expires_at > $2`,
    [customerId, isoOrNull(now)],
  );
  return rows.map((row) => ({
    holdId: row.id,
    agentId: row.agent_id,
    runId: row.run_id,
    amountMicros: int8Of(row.amount_micros),
    expiresAt: epochMs(row.expires_at),
    createdAt: epochMs(row.created_at),
    commitClaimedAt: epochMsOrNull(row.commit_claimed_at),
  }));
}

/** The reservation whose `r.id` or `r.idempotency_key` is `value`, within the customer (another's is absent). */
async function findReservationBy(
  db: Queryable,
  column: 'id' | 'idempotency_key',
  customerId: string,
  value: string,
): Promise<ReservationRow | null> {
  const { rows } = await db.query<DbRow>(
    `SELECT ${COLUMNS} FROM reservations r JOIN agents a ON a.id = r.agent_id
     WHERE r.customer_id = $1 AND r.${column} = $2`,
    [customerId, value],
  );
  return rows[0] ? fromDb(rows[0]) : null;
}

export const findReservation = (db: Queryable, customerId: string, id: string) =>
  findReservationBy(db, 'id', customerId, id);

export const findReservationByKey = (db: Queryable, customerId: string, idempotencyKey: string) =>
  findReservationBy(db, 'idempotency_key', customerId, idempotencyKey);

export async function reservationExists(db: Queryable, id: string): Promise<boolean> {
  const { rows } = await db.query('SELECT 1 FROM reservations WHERE id = $1', [id]);
  return rows.length > 0;
}

/**
 * Inserts a decided reservation request (held or declined), unless another request with this idempotency key was
 * stored first ('duplicate') or it was decided longer ago than COMMIT_AGE_LIMIT_MS by PostgreSQL's clock ('refused':
 * it can never be stored any more, spend/bounds.ts). One statement, so it commits on its own.
 */
/**
 * Inserts a decided reservation (late duplicates and too-late commits refused, writer.ts rules). `flip`: a loop
 * decline's kill-switch flip, confirmed by PostgreSQL in the same transaction (flips.ts).
 */
export async function insertReservation(
  db: Db,
  row: NewReservation,
  flip?: FlipCandidate,
): Promise<PersistResult> {
  if (!flip) return insertReservationRow(db, row);
  return db.transaction(async (tx) => {
    const result = await insertReservationRow(tx, row);
    if (result.outcome !== 'inserted') return result;
    return { outcome: 'inserted', agentState: await confirmFlip(tx, flip) };
  });
}

async function insertReservationRow(db: Queryable, row: NewReservation): Promise<PersistResult> {
  const { rows } = await db.query<{ inserted: boolean; fresh: boolean }>(
    `WITH fresh AS (SELECT $13::timestamptz >= statement_timestamp() - $15::interval AS ok),
     inserted AS (
       INSERT INTO reservations (id, customer_id, agent_id, run_id, amount_micros, status, decline_code,
                                 idempotency_key, request_hash, response_status, response_body, expires_at,
                                 created_at, finished_at, fingerprint)
       SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::jsonb, $12, $13, $14, $16::text FROM fresh WHERE fresh.ok
       ON CONFLICT (customer_id, idempotency_key) DO NOTHING
       RETURNING id)
     SELECT EXISTS (SELECT 1 FROM inserted) AS inserted, (SELECT ok FROM fresh) AS fresh`,
    [
      row.id,
      row.customerId,
      row.agentId,
      row.runId,
      row.amountMicros,
      row.status,
      row.declineCode,
      row.idempotencyKey,
      row.requestHash,
      row.responseStatus,
      JSON.stringify(row.responseBody),
      isoOrNull(row.expiresAt),
      isoOrNull(row.createdAt),
      row.status === 'declined' ? isoOrNull(row.createdAt) : null,
      COMMIT_AGE_LIMIT_INTERVAL,
      row.fingerprint,
    ],
  );
  const result = rows[0];
  if (result?.inserted) return { outcome: 'inserted', agentState: null };
  return result?.fresh ? { outcome: 'duplicate' } : { outcome: 'refused' };
}

/**
 * Claims the right to commit: only one request at a time (on any instance) gets it, and only while the
 * reservation is neither committed nor released. A claim older than COMMIT_CLAIM_STALE_MS can be taken over.
 * `onlyAgent`: a key bound to an agent claims that agent's reservations only. The claimed row, or null when there is
 * nothing this caller may claim now (absent, another agent's, finished, or a live claim): re-read it to say which.
 * Claim and read are one statement: the commit path's first round trip (the gateway makes one per call).
 */
export async function claimCommit(
  db: Queryable,
  customerId: string,
  id: string,
  commitHash: string,
  now: number,
  onlyAgent: string | null,
): Promise<ReservationRow | null> {
  const { rows } = await db.query<DbRow>(
    `UPDATE reservations AS r SET commit_claimed_at = $4, commit_request_hash = $3
     FROM agents a
     WHERE a.id = r.agent_id AND r.customer_id = $1 AND r.id = $2 AND r.status IN ('held', 'expired')
       AND (r.commit_claimed_at IS NULL OR r.commit_claimed_at < $5)
       AND ($6::text IS NULL OR r.agent_id = $6::text)
     RETURNING ${COLUMNS}`,
    [customerId, id, commitHash, isoOrNull(now), isoOrNull(now - COMMIT_CLAIM_STALE_MS), onlyAgent],
  );
  return rows[0] ? fromDb(rows[0]) : null;
}

/** Gives a claim back after a commit that certainly did not happen (a retry may commit afresh). */
export async function unclaimCommit(db: Queryable, id: string): Promise<void> {
  await db.query(
    `UPDATE reservations SET commit_claimed_at = NULL, commit_request_hash = NULL
     WHERE id = $1 AND status IN ('held', 'expired')`,
    [id],
  );
}

/** held (not expired) → released, unless a commit holds a live claim. false: nothing changed (re-read the row). */
export async function markReleased(
  db: Queryable,
  customerId: string,
  id: string,
  now: number,
): Promise<boolean> {
  const { rows } = await db.query(
    `UPDATE reservations SET status = 'released', finished_at = $3
     WHERE customer_id = $1 AND id = $2 AND status = 'held' AND expires_at > $3
       AND (commit_claimed_at IS NULL OR commit_claimed_at < $4)
     RETURNING id`,
    [customerId, id, isoOrNull(now), isoOrNull(now - COMMIT_CLAIM_STALE_MS)],
  );
  return rows.length > 0;
}

export interface ReservationListQuery {
  customerId: string;
  agentId: string | null;
  status: StoredStatus | null;
  limit: number;
  after: [string, string] | null;
  now: number;
}

/**
 * Newest first, keyset on (created_at, id). `held`/`expired` are derived: a held row past expires_at is expired
 * (the store dropped the hold by itself; the row is not rewritten).
 */
export async function listReservations(db: Queryable, q: ReservationListQuery): Promise<ReservationRow[]> {
  const { rows } = await db.query<DbRow>(
    `SELECT ${COLUMNS} FROM reservations r JOIN agents a ON a.id = r.agent_id
     WHERE r.customer_id = $1
       AND ($2::text IS NULL OR r.agent_id = $2)
       AND (
         $3::text IS NULL
         OR ($3 = 'held' AND r.status = 'held' AND r.expires_at > $4)
         OR ($3 = 'expired' AND (r.status = 'expired' OR (r.status = 'held' AND r.expires_at <= $4)))
         OR ($3 NOT IN ('held', 'expired') AND r.status = $3)
       )
       AND ($5::timestamptz IS NULL OR (r.created_at, r.id) < ($5::timestamptz, $6::text))
     ORDER BY r.created_at DESC, r.id DESC
     LIMIT $7`,
    [
      q.customerId,
      q.agentId,
      q.status,
      isoOrNull(q.now),
      q.after?.[0] ?? null,
      q.after?.[1] ?? null,
      q.limit + 1,
    ],
  );
  return rows.map(fromDb);
}
