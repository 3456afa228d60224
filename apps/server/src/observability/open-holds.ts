// spendguard_open_holds is refreshed when /metrics is scraped: the number of reservations held right now (status
// held, not yet past expires_at) across ALL instances, read from PostgreSQL, the source of truth. Every instance
// reports the same number, so dashboards use max(), not sum(). Bounded in time: a slow database must not hang the
// scrape; on failure the gauge keeps its last value and the failure is counted as a store error.
import type { Queryable } from '../db/types.js';
import { withTimeout } from '../with-timeout.js';
import type { Metrics } from './metrics.js';

const REFRESH_TIMEOUT_MS = 1_000;

export async function refreshOpenHolds(db: Queryable, metrics: Metrics): Promise<void> {
  try {
    const { rows } = await withTimeout(
      db.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM reservations WHERE status = 'held' AND expires_at > now()",
      ),
      REFRESH_TIMEOUT_MS,
    );
    metrics.openHolds.set(rows[0]?.n ?? 0);
  } catch {
    metrics.storeErrors.inc({ store: 'postgres', operation: 'metrics_open_holds' });
  }
}
