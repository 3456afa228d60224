// budget.threshold alerts (docs/api.md §13): a threshold fires once per (agent or customer, period window, threshold)
// when COMMITTED spend first reaches that percentage of a month or day limit.
//
// Why a sweep and not the batch that wrote the spend: a batch's statement sees only what was committed before it, not
// the batches committing beside it (the writer's other slot, other instances), so two batches that together cross 80 %
// can each see less. The sweep looks at every spend_daily row PostgreSQL stamped (updated_at, writer.ts) twice: as soon
// as it is visible (fresh pass, about a second after the commit), and once more when nothing stamped that long ago can
// still be committing (final pass, LATE_COMMIT_MS later — the bound the reconciler rests on too). The second look sees
// all of the spend, so no crossing is missed; the key of budget_alerts_fired makes each fire once; the cursors commit
// with the alerts they produced, so a crash repeats a sweep instead of skipping it. One instance sweeps at a time
// (an advisory lock); the others skip that round.
import { dayKey, dayResetsAt, monthResetsAt } from '../budget/periods.js';
import type { Db, Queryable } from '../db/types.js';
import { LATE_COMMIT_MS } from '../spend/bounds.js';
import { enqueueAlert } from './outbox.js';

/** The advisory lock id of the sweep ('sgth' as an integer): one sweeper at a time across instances. */
const SWEEP_LOCK = 0x73677468;

export const DEFAULT_ALERT_THRESHOLDS = [50, 80, 100];

/**
 * The scopes (agent day, agent month, customer month) of the spend rows stamped in either pass's window, their limits
 * and committed spend now, and the customer's thresholds that spend reaches and that have not fired yet in that
 * window: inserted into budget_alerts_fired (once, by its key) and returned.
 */
const FIRE_REACHED = `
WITH changed AS (
  SELECT DISTINCT customer_id, agent_id, day FROM spend_daily
   WHERE day >= $1::date
     AND ((updated_at > $2 AND updated_at <= $3) OR (updated_at > $4 AND updated_at <= $5))
), scopes AS (
  SELECT c.customer_id, c.agent_id, 'day' AS period, to_char(c.day, 'YYYY-MM-DD') AS window_key,
         c.day AS first_day, c.day AS last_day, a.day_limit_micros AS limit_micros
    FROM changed c JOIN agents a ON a.id = c.agent_id
   WHERE a.day_limit_micros IS NOT NULL
  UNION
  SELECT c.customer_id, c.agent_id, 'month', to_char(c.day, 'YYYY-MM'), date_trunc('month', c.day)::date,
         (date_trunc('month', c.day) + interval '1 month - 1 day')::date, a.month_limit_micros
    FROM changed c JOIN agents a ON a.id = c.agent_id
   WHERE a.month_limit_micros IS NOT NULL
  UNION
  SELECT c.customer_id, '', 'month', to_char(c.day, 'YYYY-MM'), date_trunc('month', c.day)::date,
         (date_trunc('month', c.day) + interval '1 month - 1 day')::date, cu.month_limit_micros
    FROM changed c JOIN customers cu ON cu.id = c.customer_id
   WHERE cu.month_limit_micros IS NOT NULL
), spent AS (
  SELECT s.*, CASE WHEN s.agent_id = ''
    THEN (SELECT coalesce(sum(d.spent_micros), 0) FROM spend_daily d
           WHERE d.customer_id = s.customer_id AND d.day BETWEEN s.first_day AND s.last_day)
    ELSE (SELECT coalesce(sum(d.spent_micros), 0) FROM spend_daily d
           WHERE d.agent_id = s.agent_id AND d.day BETWEEN s.first_day AND s.last_day)
    END AS spent_micros
  FROM scopes s
)
INSERT INTO budget_alerts_fired (customer_id, agent_id, period, window_key, threshold_percent, limit_micros,
                                 spent_micros)
SELECT sp.customer_id, sp.agent_id, sp.period, sp.window_key, t.percent, sp.limit_micros, sp.spent_micros
  FROM spent sp JOIN customers cu ON cu.id = sp.customer_id
 CROSS JOIN LATERAL unnest(cu.alert_thresholds_percent) AS t(percent)
 WHERE sp.spent_micros::numeric * 100 >= t.percent::numeric * sp.limit_micros
 ORDER BY 1, 2, 3, 4, 5
ON CONFLICT DO NOTHING
RETURNING customer_id, agent_id, period, window_key, threshold_percent, limit_micros, spent_micros`;

interface FiredRow {
  customer_id: string;
  agent_id: string;
  period: 'month' | 'day';
  window_key: string;
  threshold_percent: number;
  limit_micros: number;
  spent_micros: number;
}

/** When the period of a window key ('2026-12' or '2026-12-07') resets, as an ISO timestamp. */
function resetsAt(period: 'month' | 'day', windowKey: string): string {
  const start = Date.parse(period === 'month' ? `${windowKey}-01T00:00:00Z` : `${windowKey}T00:00:00Z`);
  return new Date(period === 'month' ? monthResetsAt(start) : dayResetsAt(start)).toISOString();
}

export interface SweepOptions {
  /** How long after its stamp a spend row is looked at again; LATE_COMMIT_MS (tests shorten it). */
  finalAfterMs?: number;
}

/**
 * One sweep (see the top of the file). Returns the number of alerts it wrote, or null when another instance holds the
 * sweep. One transaction: the fired rows, their alerts (and deliveries) and the cursors commit together.
 */
export async function sweepThresholds(db: Db, options: SweepOptions = {}): Promise<number | null> {
  const finalAfterMs = options.finalAfterMs ?? LATE_COMMIT_MS;
  return db.transaction(async (tx) => {
    const { rows: lock } = await tx.query<{ ok: boolean }>('SELECT pg_try_advisory_xact_lock($1) AS ok', [
      SWEEP_LOCK,
    ]);
    if (!lock[0]?.ok) return null;
    // now() is the transaction's start: everything committed before it is visible to the statements below.
    const { rows } = await tx.query<{
      fresh_from: Date;
      final_from: Date;
      now: Date;
      final_to: Date;
      lo: string;
    }>(
      `SELECT fresh_until AS fresh_from, final_until AS final_from, now() AS now,
              greatest(final_until, now() - make_interval(secs => $1::double precision / 1000)) AS final_to,
              to_char((least(fresh_until, final_until) AT TIME ZONE 'UTC')::date - 1, 'YYYY-MM-DD') AS lo
         FROM budget_alert_sweep WHERE id = 1 FOR UPDATE`,
      [finalAfterMs],
    );
    const c = rows[0];
    if (!c) return 0;
    const { rows: fired } = await tx.query<FiredRow>(FIRE_REACHED, [
      c.lo,
      c.fresh_from,
      c.now,
      c.final_from,
      c.final_to,
    ]);
    await enqueueThresholdAlerts(tx, fired);
    await tx.query('UPDATE budget_alert_sweep SET fresh_until = $1, final_until = $2 WHERE id = 1', [
      c.now,
      c.final_to,
    ]);
    return fired.length;
  });
}

async function enqueueThresholdAlerts(tx: Queryable, fired: FiredRow[]): Promise<void> {
  if (fired.length === 0) return;
  const agentIds = [...new Set(fired.map((f) => f.agent_id).filter((id) => id !== ''))];
  const { rows: names } = await tx.query<{ id: string; name: string }>(
    'SELECT id, name FROM agents WHERE id = ANY ($1::text[])',
    [agentIds],
  );
  const nameOf = new Map(names.map((r) => [r.id, r.name]));
  for (const f of fired) {
    const scope =
      f.agent_id === '' ? { scope: 'customer' } : { scope: 'agent', agent: nameOf.get(f.agent_id) };
    await enqueueAlert(tx, f.customer_id, 'budget.threshold', {
      ...scope,
      period: f.period,
      threshold_percent: f.threshold_percent,
      limit_micros: Number(f.limit_micros),
      spent_micros: Number(f.spent_micros),
      resets_at: resetsAt(f.period, f.window_key),
    });
  }
}

/**
 * After a limit change, in its transaction (the row already holds the new limit): the thresholds of the current
 * windows that committed spend has not reached under the new limit are armed again (docs/api.md §13). `agentId`
 * null: the customer's own month limit.
 */
export async function rearmThresholds(
  tx: Queryable,
  customerId: string,
  agentId: string | null,
  now: number,
): Promise<void> {
  const day = dayKey(now);
  await tx.query(
    `WITH windows AS (
       SELECT 'month' AS period, substr($3, 1, 7) AS window_key,
              date_trunc('month', $3::date)::date AS first_day, $3::date AS last_day,
              CASE WHEN $2 = '' THEN (SELECT month_limit_micros FROM customers WHERE id = $1)
                   ELSE (SELECT month_limit_micros FROM agents WHERE id = $2 AND customer_id = $1) END AS limit_micros
       UNION ALL
       SELECT 'day', $3, $3::date, $3::date,
              CASE WHEN $2 = '' THEN NULL
                   ELSE (SELECT day_limit_micros FROM agents WHERE id = $2 AND customer_id = $1) END
     ), spent AS (
       SELECT w.*, CASE WHEN $2 = ''
         THEN (SELECT coalesce(sum(spent_micros), 0) FROM spend_daily
                WHERE customer_id = $1 AND day BETWEEN w.first_day AND w.last_day)
         ELSE (SELECT coalesce(sum(spent_micros), 0) FROM spend_daily
                WHERE agent_id = $2 AND day BETWEEN w.first_day AND w.last_day)
         END AS spent_micros
       FROM windows w
     )
     DELETE FROM budget_alerts_fired f USING spent s
      WHERE f.customer_id = $1 AND f.agent_id = $2 AND f.period = s.period AND f.window_key = s.window_key
        AND (s.limit_micros IS NULL OR s.spent_micros::numeric * 100 < f.threshold_percent::numeric * s.limit_micros)`,
    [customerId, agentId ?? '', day],
  );
}
