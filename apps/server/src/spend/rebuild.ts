// Rebuilds the spend store's cache of one agent (and its customer) from PostgreSQL's truth (DESIGN §2):
// called when decide() answers `missing` — a new day/month, a new run, a new agent, an idle agent's state expired,
// or a new epoch after Redis lost data (then only once nothing decided before the loss can still commit).
// Values are absolute sums at `now`; loadCounters writes counters only where still absent and state only where
// newer (versions), so a rebuild racing with live decisions or with another rebuild never double-counts.

import { AGENT_COLUMNS, type AgentRow, rowToState } from '../agents/repository.js';
import { REVOKED_MARKERS_LOOKBACK_MS } from '../auth/api-keys.js';
import { monthStart, velocityWindow } from '../budget/periods.js';
import { int8Of, type Queryable } from '../db/types.js';
import { openHolds } from '../reservations/repository.js';
import { periodKeys } from './decide.js';
import type { Occurrence } from './repeats.js';
import type { CounterLoad, CustomerState, SpendStore } from './store.js';

/** How long the cross-instance rebuild lock lives if its holder dies. */
const REBUILD_LOCK_TTL_MS = 2_000;
const LOCK_POLL_MS = 25;

function microsOrNull(value: unknown): number | null {
  return value === null || value === undefined ? null : int8Of(value);
}

/** Absolute counters and state of `agentId` (and its customer) at `now`, computed from PostgreSQL. */
export async function loadCounterState(
  db: Queryable,
  customerId: string,
  agentId: string,
  runId: string | null,
  now: number,
): Promise<CounterLoad> {
  const agentResult = await db.query<AgentRow>(
    `SELECT ${AGENT_COLUMNS} FROM agents WHERE id = $1 AND customer_id = $2`,
    [agentId, customerId],
  );
  const agentRow = agentResult.rows[0];
  if (!agentRow) throw new Error(`agent ${agentId} of customer ${customerId} not found`);
  const agent = rowToState(agentRow);

  const customerResult = await db.query<{
    month_limit_micros: unknown;
    state_version: unknown;
    revoked_keys: string[];
  }>(
    `SELECT month_limit_micros, state_version,
            ARRAY(SELECT k.id FROM api_keys k
                   WHERE k.customer_id = c.id AND k.revoked_at > now() - make_interval(secs => $2)) AS revoked_keys
       FROM customers c WHERE c.id = $1`,
    [customerId, REVOKED_MARKERS_LOOKBACK_MS / 1000],
  );
  const customerRow = customerResult.rows[0];
  if (!customerRow) throw new Error(`customer ${customerId} not found`);
  const customer: CustomerState = {
    customerId,
    version: int8Of(customerRow.state_version),
    monthLimitMicros: microsOrNull(customerRow.month_limit_micros),
  };

  // spend_daily holds at most ~31 rows per agent for a month; day is a date, compared as 'YYYY-MM-DD' text.
  const periods = periodKeys(now);
  const firstDay = new Date(monthStart(now)).toISOString().slice(0, 10);
  const sums = await db.query<{ customer_month: unknown; agent_month: unknown; agent_day: unknown }>(
    `SELECT COALESCE(SUM(spent_micros), 0)::bigint AS customer_month,
            COALESCE(SUM(spent_micros) FILTER (WHERE agent_id = $2), 0)::bigint AS agent_month,
            COALESCE(SUM(spent_micros) FILTER (WHERE agent_id = $2 AND day = $4::date), 0)::bigint AS agent_day
       FROM spend_daily
      WHERE customer_id = $1 AND day >= $3::date AND day <= $4::date`,
    [customerId, agentId, firstDay, periods.dayKey],
  );
  const sumRow = sums.rows[0];

  // Velocity: whole seconds from PostgreSQL, bucketed here with periods.ts's own math so the buckets
  // are exactly the ones decide() adds to (recorded_at is the `now` the decision was made at).
  const velocityBuckets: CounterLoad['velocityBuckets'] = [];
  if (agent.limits.velocity) {
    const window = velocityWindow(now, agent.limits.velocity.windowSeconds);
    const since = new Date(window.firstBucket * window.bucketSeconds * 1000);
    const seconds = await db.query<{ second: unknown; micros: unknown }>(
      `SELECT floor(extract(epoch FROM recorded_at))::bigint AS second, SUM(cost_micros)::bigint AS micros
         FROM events
        WHERE agent_id = $1 AND customer_id = $2 AND status = 'accepted' AND recorded_at >= $3
        GROUP BY 1`,
      [agentId, customerId, since],
    );
    const byBucket = new Map<number, number>();
    for (const row of seconds.rows) {
      // Buckets ahead of `now` count too: an instance whose clock runs ahead recorded them (decide.ts velocityInWindow).
      const bucket = Math.floor(int8Of(row.second) / window.bucketSeconds);
      byBucket.set(bucket, (byBucket.get(bucket) ?? 0) + int8Of(row.micros));
    }
    for (const [bucket, total] of byBucket) velocityBuckets.push({ bucket, micros: total });
  }

  let run: CounterLoad['run'] = null;
  if (runId !== null) {
    const runSum = await db.query<{ micros: unknown }>(
      `SELECT COALESCE(SUM(cost_micros), 0)::bigint AS micros
         FROM events WHERE agent_id = $1 AND customer_id = $2 AND run_id = $3 AND status = 'accepted'`,
      [agentId, customerId, runId],
    );
    run = { runId, micros: int8Of(runSum.rows[0]?.micros ?? 0) };
  }

  const holds = await openHolds(db, customerId, now);
  const repeats = agent.limits.repeats
    ? await committedRepeats(db, customerId, agentId, agent.limits.repeats, now)
    : [];

  return {
    customerId,
    agentId,
    now,
    customer,
    agent,
    customerMonthMicros: int8Of(sumRow?.customer_month ?? 0),
    agentMonthMicros: int8Of(sumRow?.agent_month ?? 0),
    agentDayMicros: int8Of(sumRow?.agent_day ?? 0),
    velocityBuckets,
    run,
    holds: holds.map(({ commitClaimedAt: _, ...hold }) => hold),
    repeats,
    revokedKeyIds: customerRow.revoked_keys ?? [],
  };
}

/**
 * Loop detection's occurrences as PostgreSQL has them (docs/api.md §7): the agent's accepted events and accepted
 * (held, then committed, released or expired) reservations with a fingerprint, decided inside the window. A
 * reservation's commit event is not one more (it carries no fingerprint). Per fingerprint the newest `max` are enough:
 * one more is already a loop. The timestamps are the decisions' own `now` (recorded_at, created_at).
 */
async function committedRepeats(
  db: Queryable,
  customerId: string,
  agentId: string,
  limit: { max: number; windowSeconds: number },
  now: number,
): Promise<Occurrence[]> {
  const since = new Date(now - limit.windowSeconds * 1000);
  const { rows } = await db.query<{ token: string; fingerprint: string; at: Date | string }>(
    `SELECT token, fingerprint, at FROM (
       SELECT token, fingerprint, at, row_number() OVER (PARTITION BY fingerprint ORDER BY at DESC) AS newest
         FROM (SELECT id AS token, fingerprint, recorded_at AS at FROM events
                WHERE agent_id = $1 AND customer_id = $2 AND fingerprint IS NOT NULL AND status = 'accepted'
                  AND recorded_at > $3
               UNION ALL
               SELECT id, fingerprint, created_at FROM reservations
                WHERE agent_id = $1 AND customer_id = $2 AND fingerprint IS NOT NULL AND status <> 'declined'
                  AND created_at > $3) AS occurrences) AS ranked
      WHERE newest <= $4`,
    [agentId, customerId, since, limit.max],
  );
  return rows.map((r) => ({ token: r.token, fingerprint: r.fingerprint, at: new Date(r.at).getTime() }));
}

// Misses inside one process share one rebuild; across instances the store's lock (Redis) does the same.
const pendingByStore = new WeakMap<object, Map<string, Promise<void>>>();

/** The part of a SpendStore a rebuild writes to. */
type RebuildTarget = Pick<SpendStore, 'loadCounters' | 'acquireRebuildLock'>;

/**
 * Loads the agent's counters from PostgreSQL into the store, once for concurrent misses. When another
 * instance holds the lock, waits for it to finish and returns without loading: the caller decides again,
 * and calls this again if something is still missing.
 */
export async function rebuildOnce(
  store: RebuildTarget,
  db: Queryable,
  customerId: string,
  agentId: string,
  runId: string | null,
  now: number,
): Promise<void> {
  let pending = pendingByStore.get(store);
  if (!pending) {
    pending = new Map();
    pendingByStore.set(store, pending);
  }
  const key = `${customerId}\u0000${agentId}\u0000${runId ?? ''}`;
  const existing = pending.get(key);
  if (existing) return existing;
  const map = pending;
  const load = () => loadCounterState(db, customerId, agentId, runId, now);
  const work = rebuildUnderLock(store, customerId, agentId, load).finally(() => map.delete(key));
  map.set(key, work);
  return work;
}

/** Runs `load` into the store under the agent's cross-instance lock (one lock per agent, whatever the run). */
async function rebuildUnderLock(
  store: RebuildTarget,
  customerId: string,
  agentId: string,
  load: () => Promise<CounterLoad>,
): Promise<void> {
  let release: (() => Promise<void>) | null = null;
  if (store.acquireRebuildLock) {
    release = await store.acquireRebuildLock(customerId, agentId, REBUILD_LOCK_TTL_MS);
    if (release === null) {
      // Someone else is loading: wait until the lock is free (bounded by its TTL), then let the caller retry.
      const deadline = Date.now() + REBUILD_LOCK_TTL_MS + LOCK_POLL_MS;
      while (Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, LOCK_POLL_MS));
        const got = await store.acquireRebuildLock(customerId, agentId, REBUILD_LOCK_TTL_MS);
        if (got) {
          await got();
          return;
        }
      }
      return;
    }
  }
  try {
    await store.loadCounters(await load());
  } finally {
    await release?.();
  }
}
