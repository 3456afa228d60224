// GET /v1/agents/{name}/timeseries (docs/api.md §9): accepted spend per minute/hour/day bucket (UTC), at most 1,000
// buckets per response. Empty buckets are left out (the client knows the range and the granularity).
import type { Db } from '../db/types.js';
import { invalidRequest } from '../http/errors.js';

export type Granularity = 'minute' | 'hour' | 'day';
const BUCKET_MS: Record<Granularity, number> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };
export const MAX_BUCKETS = 1_000;

export async function agentTimeseries(
  db: Db,
  input: { agentId: string; granularity: Granularity; from: number | null; to: number | null; now: number },
) {
  const width = BUCKET_MS[input.granularity];
  const to = input.to ?? input.now;
  const from =
    input.from ?? to - width * (input.granularity === 'day' ? 30 : input.granularity === 'hour' ? 48 : 60);
  if (from >= to) throw invalidRequest([{ field: 'from', problem: 'must be before to' }]);
  const buckets = Math.ceil((to - Math.floor(from / width) * width) / width);
  if (buckets > MAX_BUCKETS) {
    throw invalidRequest([
      {
        field: 'from',
        problem: `the range holds ${buckets} ${input.granularity} buckets; at most ${MAX_BUCKETS}`,
      },
    ]);
  }
  const { rows } = await db.query<{ bucket_start: Date | string; spent_micros: number; event_count: number }>(
    `SELECT date_trunc($2, recorded_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS bucket_start,
            sum(cost_micros)::bigint AS spent_micros, count(*)::bigint AS event_count
     FROM events
     WHERE agent_id = $1 AND status = 'accepted' AND recorded_at >= $3 AND recorded_at < $4
     GROUP BY 1 ORDER BY 1`,
    [input.agentId, input.granularity, new Date(from).toISOString(), new Date(to).toISOString()],
  );
  return {
    granularity: input.granularity,
    from: new Date(from).toISOString(),
    to: new Date(to).toISOString(),
    data: rows.map((r) => ({
      bucket_start: new Date(r.bucket_start).toISOString(),
      spent_micros: r.spent_micros,
      event_count: r.event_count,
    })),
  };
}
