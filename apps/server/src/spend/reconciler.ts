// Brings the spend store (Redis) back to PostgreSQL's truth, in both directions, every RECONCILE_INTERVAL_MS
// (docs/architecture.md "Convergence"). One round, for every customer and agent with activity:
// 1. entries older than STALE_AFTER_MS (a request that crashed, or whose undo/complete never reached Redis) are
//    settled from PostgreSQL's answer: its event is there → confirmed; it is not → taken back (and its claim freed).
//    Nothing decided that long ago can still commit (bounds.ts), so the answer is final;
// 2. month and day counters (agent and customer) are repaired exactly, also under load: what the counter held before
//    the cut (counter − contributions of the seconds since) is set to PostgreSQL's accepted spend recorded before the
//    cut — a number neither side can change any more;
// 3. agent state is written from PostgreSQL's row (by version); a provisional flip or suspend older than the cut is
//    withdrawn (its request is over: the row is the answer);
// 4. velocity buckets are raised to PostgreSQL's, never lowered; open holds are made PostgreSQL's.
// After faults end, Redis equals PostgreSQL within one round after STALE_AFTER_MS: ≤ 60 s.
// The memory store (embedded, one process) has nothing to repair: its counters die with the process.
import { AGENT_COLUMNS, type AgentRow, rowToState } from '../agents/repository.js';
import { dayKey, dayStart, monthKey, monthStart, velocityWindow } from '../budget/periods.js';
import { type Db, int8Of } from '../db/types.js';
import { openHolds } from '../reservations/repository.js';
import { isoOrNull } from '../time.js';
import { COMMIT_CLAIM_STALE_MS, LATE_COMMIT_MS, RECONCILE_INTERVAL_MS, STALE_AFTER_MS } from './bounds.js';
import type { AgentRepair, RedisSpendStore } from './redis-store.js';
import type { SpendStore } from './store.js';

/** Agents compared per round at most; a larger deployment is covered over several rounds (docs/scaling.md). */
const MAX_AGENTS_PER_ROUND = 5_000;
const MAX_STALE_PER_CUSTOMER = 1_000;
/** Agents whose row changed this recently are compared even without spend (a write-through may have failed). */
const RECENTLY_CHANGED_MS = 3_600_000;

export interface ReconcileResult {
  customers: number;
  agents: number;
  /** Entries settled from PostgreSQL's answer. */
  confirmed: number;
  takenBack: number;
  repairs: Array<{ customerId: string; agentId: string | null; what: string; micros?: number }>;
}

export interface ReconcileOptions {
  now?: number;
  /**
   * Entries and provisional marks decided before this are settled from PostgreSQL's answer, counters compared as of
   * it. Default now − STALE_AFTER_MS, after which nothing decided earlier can still commit. A later cut is only right
   * when nothing is in flight (every instance idle or stopped: an operator's repair, a test after its faults).
   */
  settledBefore?: number;
}

export interface Reconciler {
  /** One round; exported for tests and operators. */
  reconcileOnce(options?: ReconcileOptions): Promise<ReconcileResult>;
  close(): Promise<void>;
}

const empty = (): ReconcileResult => ({ customers: 0, agents: 0, confirmed: 0, takenBack: 0, repairs: [] });

/** customer → agent ids with activity worth comparing: spend this month, open holds, a row changed lately. */
async function activeAgents(db: Db, now: number, afterKey: string): Promise<Map<string, Set<string>>> {
  const { rows } = await db.query<{ customer_id: string; agent_id: string }>(
    `SELECT customer_id, agent_id FROM (
       SELECT customer_id, agent_id FROM spend_daily WHERE day >= $1::date
       UNION SELECT customer_id, agent_id FROM reservations WHERE status = 'held' AND expires_at > $2
       UNION SELECT customer_id, id FROM agents WHERE updated_at > $3
     ) active
     WHERE customer_id || '/' || agent_id > $4
     ORDER BY customer_id || '/' || agent_id
     LIMIT $5`,
    [
      dayKey(monthStart(now)),
      isoOrNull(now),
      isoOrNull(now - RECENTLY_CHANGED_MS),
      afterKey,
      MAX_AGENTS_PER_ROUND,
    ],
  );
  const out = new Map<string, Set<string>>();
  for (const r of rows) {
    const set = out.get(r.customer_id) ?? new Set<string>();
    set.add(r.agent_id);
    out.set(r.customer_id, set);
  }
  return out;
}

export function createReconciler(deps: {
  db: Db;
  store: SpendStore;
  log: { info(obj: unknown, msg: string): void; warn(obj: unknown, msg: string): void };
  intervalMs?: number;
}): Reconciler {
  const { db } = deps;
  const store = deps.store.kind === 'redis' ? (deps.store as RedisSpendStore) : null;
  // Rounds page through the active agents; the next round goes on after the last one compared.
  let cursor = '';

  /** Step 1 for one customer: settle its stale entries. */
  const settleStale = async (customerId: string, cutMs: number, result: ReconcileResult) => {
    const stale = await store!.staleEntries(customerId, cutMs, MAX_STALE_PER_CUSTOMER);
    if (stale.length === 0) return stale;
    const { rows } = await db.query<{ id: string }>(
      'SELECT id FROM events WHERE customer_id = $1 AND id = ANY($2::text[])',
      [customerId, stale.map((e) => e.token)],
    );
    const inDb = new Set(rows.map((r) => r.id));
    for (const entry of stale) {
      const committed = inDb.has(entry.token);
      await store!.resolveEntry(customerId, entry, committed);
      if (committed) result.confirmed += 1;
      else {
        result.takenBack += 1;
        result.repairs.push({
          customerId,
          agentId: entry.agentId,
          what: 'entry_taken_back',
          micros: entry.amountMicros,
        });
      }
    }
    return stale;
  };

  /** Steps 2 and 4 for the customer: its month counter and open holds. */
  const repairCustomer = async (customerId: string, cutMs: number, now: number, result: ReconcileResult) => {
    const monthFrom = monthStart(now);
    const { rows } = await db.query<{
      before_cut: unknown;
      state_version: unknown;
      month_limit_micros: unknown;
    }>(
      `SELECT (SELECT coalesce(sum(spent_micros), 0) FROM spend_daily
                WHERE customer_id = $1 AND day >= $2::date AND day <= $3::date)
            - (SELECT coalesce(sum(cost_micros), 0) FROM events
                WHERE customer_id = $1 AND status = 'accepted' AND recorded_at >= $4) AS before_cut,
              c.state_version, c.month_limit_micros
         FROM customers c WHERE c.id = $1`,
      [customerId, dayKey(monthFrom), dayKey(now), isoOrNull(Math.max(cutMs, monthFrom))],
    );
    const customer = rows[0];
    if (!customer) return;
    const holds = await openHolds(db, customerId, now);
    const repaired = await store!.reconcileCustomer({
      customerId,
      state: {
        customerId,
        version: int8Of(customer.state_version),
        monthLimitMicros: customer.month_limit_micros === null ? null : int8Of(customer.month_limit_micros),
      },
      monthKey: monthKey(now),
      monthStartSecond: monthFrom / 1000,
      cutSecond: cutMs / 1000,
      spentBeforeCut: int8Of(customer.before_cut),
      now,
      holds: holds.map(({ commitClaimedAt, ...hold }) => ({
        ...hold,
        claimed: commitClaimedAt !== null && commitClaimedAt > now - COMMIT_CLAIM_STALE_MS,
      })),
    });
    if (repaired.monthMicros !== 0) {
      result.repairs.push({
        customerId,
        agentId: null,
        what: 'customer_month',
        micros: repaired.monthMicros,
      });
    }
    if (repaired.stateChanged) result.repairs.push({ customerId, agentId: null, what: 'customer_state' });
    if (repaired.dropped + repaired.added > 0) {
      result.repairs.push({
        customerId,
        agentId: null,
        what: 'holds',
        micros: repaired.dropped + repaired.added,
      });
    }
  };

  /** Steps 2–4 for the customer's agents. */
  const repairAgents = async (
    customerId: string,
    agentIds: string[],
    cutMs: number,
    now: number,
    result: ReconcileResult,
  ) => {
    const monthFrom = monthStart(now);
    const dayFrom = dayStart(now);
    const sums = await db.query<{ agent_id: string; month: unknown; day: unknown }>(
      `WITH ids AS (SELECT unnest($2::text[]) AS agent_id),
       daily AS (
         SELECT agent_id, sum(spent_micros) AS month, sum(spent_micros) FILTER (WHERE day = $4::date) AS day
           FROM spend_daily WHERE customer_id = $1 AND agent_id = ANY($2::text[])
            AND day >= $3::date AND day <= $4::date
          GROUP BY agent_id),
       recent AS (
         SELECT agent_id, sum(cost_micros) FILTER (WHERE recorded_at >= $6) AS month,
                sum(cost_micros) FILTER (WHERE recorded_at >= $7) AS day
           FROM events WHERE customer_id = $1 AND agent_id = ANY($2::text[]) AND status = 'accepted'
            AND recorded_at >= $5
          GROUP BY agent_id)
       SELECT ids.agent_id, coalesce(d.month, 0) - coalesce(r.month, 0) AS month,
              coalesce(d.day, 0) - coalesce(r.day, 0) AS day
         FROM ids LEFT JOIN daily d USING (agent_id) LEFT JOIN recent r USING (agent_id)`,
      [
        customerId,
        agentIds,
        dayKey(monthFrom),
        dayKey(now),
        isoOrNull(cutMs),
        isoOrNull(Math.max(cutMs, monthFrom)),
        isoOrNull(Math.max(cutMs, dayFrom)),
      ],
    );
    const { rows: agentRows } = await db.query<AgentRow>(
      `SELECT ${AGENT_COLUMNS} FROM agents WHERE customer_id = $1 AND id = ANY($2::text[])`,
      [customerId, agentIds],
    );
    const rowsById = new Map(agentRows.map((r) => [r.id, r]));
    for (const sum of sums.rows) {
      const row = rowsById.get(sum.agent_id);
      const state = row ? rowToState(row) : null;
      const repair: AgentRepair = {
        customerId,
        agentId: sum.agent_id,
        monthKey: monthKey(now),
        dayKey: dayKey(now),
        monthStartSecond: monthFrom / 1000,
        dayStartSecond: dayFrom / 1000,
        cutSecond: cutMs / 1000,
        monthBeforeCut: int8Of(sum.month),
        dayBeforeCut: int8Of(sum.day),
        state,
        velocity: state?.limits.velocity
          ? await velocityBeforeCut(sum.agent_id, customerId, state.limits.velocity.windowSeconds, cutMs, now)
          : null,
      };
      const done = await store!.reconcileAgent(repair);
      result.agents += 1;
      const agentId = sum.agent_id;
      if (done.monthMicros !== 0)
        result.repairs.push({ customerId, agentId, what: 'month', micros: done.monthMicros });
      if (done.dayMicros !== 0)
        result.repairs.push({ customerId, agentId, what: 'day', micros: done.dayMicros });
      if (done.stateChanged) result.repairs.push({ customerId, agentId, what: 'state' });
      if (done.withdrawn) result.repairs.push({ customerId, agentId, what: 'provisional' });
      if (done.bucketsRaised > 0) {
        result.repairs.push({ customerId, agentId, what: 'velocity', micros: done.bucketsRaised });
      }
    }
  };

  /** Accepted spend per velocity bucket, for the whole buckets of the window that ended before the cut. */
  const velocityBeforeCut = async (
    agentId: string,
    customerId: string,
    windowSeconds: number,
    cutMs: number,
    now: number,
  ): Promise<AgentRepair['velocity']> => {
    const window = velocityWindow(now, windowSeconds);
    const width = window.bucketSeconds;
    const cutBucket = Math.floor(cutMs / 1000 / width);
    if (cutBucket <= window.firstBucket) return { windowSeconds, buckets: [] };
    const { rows } = await db.query<{ bucket: unknown; micros: unknown }>(
      `SELECT floor(floor(extract(epoch FROM recorded_at)) / $3)::bigint AS bucket, sum(cost_micros) AS micros
         FROM events WHERE agent_id = $1 AND customer_id = $2 AND status = 'accepted'
          AND recorded_at >= $4 AND recorded_at < $5
        GROUP BY 1`,
      [
        agentId,
        customerId,
        width,
        isoOrNull(window.firstBucket * width * 1000),
        isoOrNull(cutBucket * width * 1000),
      ],
    );
    return {
      windowSeconds,
      buckets: rows.map((r) => ({ bucket: int8Of(r.bucket), micros: int8Of(r.micros) })),
    };
  };

  const reconcileOnce = async (options: ReconcileOptions = {}): Promise<ReconcileResult> => {
    const result = empty();
    if (!store) return result;
    const now = options.now ?? Date.now();
    const epoch = await store.currentEpoch();
    // While requests decided before a loss may still commit, nothing is loaded and nothing is repaired.
    if (now < epoch.since + LATE_COMMIT_MS) return result;
    // Whole seconds: the per-second contributions and PostgreSQL's recorded_at split at the same instant.
    const cutMs = Math.floor((options.settledBefore ?? now - STALE_AFTER_MS) / 1000) * 1000;

    const active = await activeAgents(db, now, cursor);
    let last = '';
    for (const [customerId, agents] of active) {
      for (const agentId of agents) last = `${customerId}/${agentId}`;
    }
    cursor =
      active.size === 0 || [...active.values()].reduce((n, s) => n + s.size, 0) < MAX_AGENTS_PER_ROUND
        ? ''
        : last;
    for (const customerId of await store.openCustomers(cutMs, MAX_AGENTS_PER_ROUND)) {
      if (!active.has(customerId)) active.set(customerId, new Set());
    }

    for (const [customerId, agents] of active) {
      const stale = await settleStale(customerId, cutMs, result);
      for (const entry of stale) agents.add(entry.agentId);
      for (const agentId of await store.provisionalAgents(customerId)) agents.add(agentId);
      await repairCustomer(customerId, cutMs, now, result);
      if (agents.size > 0) await repairAgents(customerId, [...agents], cutMs, now, result);
      result.customers += 1;
    }
    if (result.repairs.length > 0) {
      deps.log.warn(
        { repairs: result.repairs.slice(0, 50), count: result.repairs.length },
        'reconciler repaired the spend store',
      );
    }
    return result;
  };

  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> = Promise.resolve();
  if (store) {
    timer = setInterval(() => {
      running = reconcileOnce().catch((error: unknown) => {
        deps.log.info({ err: error }, 'reconciler: round skipped (a store is unavailable)');
      });
    }, deps.intervalMs ?? RECONCILE_INTERVAL_MS);
    timer.unref();
  }

  return {
    reconcileOnce,
    async close() {
      if (timer) clearInterval(timer);
      await running;
    },
  };
}
