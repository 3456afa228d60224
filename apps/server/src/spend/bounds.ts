// The time bounds the engine's convergence rests on (docs/architecture.md "Failure matrix"). They are one chain:
// a decision can reach PostgreSQL only within COMMIT_AGE_LIMIT_MS of being made (PostgreSQL refuses older rows), so
// after LATE_COMMIT_MS nothing decided earlier can appear there any more; an entry or provisional flip older than
// STALE_AFTER_MS therefore has a final answer in PostgreSQL, which the reconciler takes.

/**
 * PostgreSQL refuses an event or reservation row whose decision (recorded_at / created_at) is older than this by its
 * own clock, and a transaction checks it again right before COMMIT (writer.ts, reservations/repository.ts). Far
 * above any live request (the deadline is 1.8 s); a batch stalled longer on the network is refused, not recorded.
 */
export const COMMIT_AGE_LIMIT_MS = 10_000;
/** COMMIT_AGE_LIMIT_MS as the PostgreSQL interval the insert statements compare against. */
export const COMMIT_AGE_LIMIT_INTERVAL = `${COMMIT_AGE_LIMIT_MS} milliseconds`;

/** Server-side bounds of a statement and of a client that stops talking inside a transaction (db/postgres.ts). */
export const STATEMENT_TIMEOUT_MS = 5_000;
export const IDLE_IN_TRANSACTION_MS = 2_000;

/** Clock difference between instances and PostgreSQL that the bounds tolerate (NTP keeps it in milliseconds). */
export const CLOCK_SKEW_MS = 3_000;

/**
 * After this long, a decision either is in PostgreSQL or never will be: the age limit, plus a statement (or the
 * COMMIT of a transaction) that started just inside it, plus clock skew.
 */
export const LATE_COMMIT_MS =
  COMMIT_AGE_LIMIT_MS + STATEMENT_TIMEOUT_MS + IDLE_IN_TRANSACTION_MS + CLOCK_SKEW_MS;

/**
 * An entry (counted, not yet confirmed), a provisional flip or a provisional suspend older than this is resolved by
 * the reconciler from PostgreSQL's answer. Above LATE_COMMIT_MS with room for a reconciler round in between.
 */
export const STALE_AFTER_MS = 30_000;

/** The reconciler's period; with STALE_AFTER_MS it bounds convergence: Redis equals PostgreSQL ≤ 60 s after faults. */
export const RECONCILE_INTERVAL_MS = 30_000;

/**
 * A reservation's commit claim older than this is taken to belong to a request that died (crash) and may be taken
 * over. Longer than a request's deadline plus the time money-pipeline.ts may spend settling a commit's fate.
 */
export const COMMIT_CLAIM_STALE_MS = 120_000;
