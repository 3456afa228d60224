// GET /v1/events (docs/api.md §9): newest first, keyset pagination on (recorded_at, id) — stable under concurrent inserts
// and as fast on page 1,000 as on page 1 (index events_customer_recorded / events_agent_recorded).
import { formatUsd } from '../budget/money.js';
import type { Db } from '../db/types.js';
import { decodeCursor, encodeCursor, isTimeIdCursor } from '../http/cursor.js';
import { pricingJson } from '../pricing/usage-cost.js';
import { isoOrNull } from '../time.js';

export interface EventListQuery {
  customerId: string;
  agentId: string | null;
  status: 'accepted' | 'declined' | null;
  from: number | null;
  to: number | null;
  limit: number;
  cursor: string | undefined;
}

interface EventListRow {
  id: string;
  agent: string;
  run_id: string | null;
  cost_micros: number;
  status: 'accepted' | 'declined';
  decline_code: string | null;
  idempotency_key: string;
  metadata: unknown;
  reservation_id: string | null;
  pricing: unknown;
  occurred_at: Date | string;
  recorded_at: Date | string;
}

export async function listEvents(db: Db, q: EventListQuery) {
  const after = decodeCursor(q.cursor, isTimeIdCursor);
  const { rows } = await db.query<EventListRow>(
    `SELECT e.id, a.name AS agent, e.run_id, e.cost_micros, e.status, e.decline_code, e.idempotency_key, e.metadata,
            e.reservation_id, e.occurred_at, e.recorded_at, e.pricing
     FROM events e JOIN agents a ON a.id = e.agent_id
     WHERE e.customer_id = $1
       AND ($2::text IS NULL OR e.agent_id = $2)
       AND ($3::text IS NULL OR e.status = $3)
       AND ($4::timestamptz IS NULL OR e.recorded_at >= $4)
       AND ($5::timestamptz IS NULL OR e.recorded_at < $5)
       AND ($6::timestamptz IS NULL OR (e.recorded_at, e.id) < ($6::timestamptz, $7::text))
     ORDER BY e.recorded_at DESC, e.id DESC
     LIMIT $8`,
    [
      q.customerId,
      q.agentId,
      q.status,
      isoOrNull(q.from),
      isoOrNull(q.to),
      after?.[0] ?? null,
      after?.[1] ?? null,
      q.limit + 1,
    ],
  );
  const page = rows.slice(0, q.limit);
  const last = page.at(-1);
  return {
    data: page.map((r) => ({
      id: r.id,
      agent: r.agent,
      cost_micros: r.cost_micros,
      cost_usd: formatUsd(r.cost_micros),
      idempotency_key: r.idempotency_key,
      occurred_at: new Date(r.occurred_at).toISOString(),
      recorded_at: new Date(r.recorded_at).toISOString(),
      status: r.status,
      decline_code: r.decline_code,
      run: r.run_id,
      metadata: typeof r.metadata === 'string' ? JSON.parse(r.metadata) : r.metadata,
      reservation_id: r.reservation_id,
      ...pricingJson(r.pricing),
    })),
    next_cursor:
      rows.length > q.limit && last
        ? encodeCursor([new Date(last.recorded_at).toISOString(), last.id])
        : null,
  };
}
