// GET /v1/agents/{name}/timeseries (docs/api.md §9): accepted spend per minute/hour/day bucket (UTC), at most 1,000
// buckets per response. Empty buckets are left out (the client knows the range and the granularity). With
// ?by=model each bucket is also split by the provider/model in its events' stored usage (events.pricing, §5.1).
import { type Db, int8Of } from '../db/types.js';
import { invalidRequest } from '../http/errors.js';

export type Granularity = 'minute' | 'hour' | 'day';
const BUCKET_MS: Record<Granularity, number> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };
export const MAX_BUCKETS = 1_000;
/**
 * Models listed per bucket with ?by=model; the rest are summed into `other_models`. Usage-priced models come from
 * the catalogue but their names are the client's (dated ids, customer prices for any model), so without a cap one
 * response could hold buckets × models entries.
 */
export const MAX_MODELS_PER_BUCKET = 20;

export async function agentTimeseries(
  db: Db,
  input: {
    agentId: string;
    granularity: Granularity;
    from: number | null;
    to: number | null;
    now: number;
    by?: 'model' | undefined;
  },
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
  if (input.by === 'model') return byModel(db, input.agentId, input.granularity, from, to);
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

interface ModelRow {
  bucket_start: Date | string;
  /** false: the row sums the models ranked beyond MAX_MODELS_PER_BUCKET in its bucket. */
  listed: boolean;
  provider: string | null;
  model: string | null;
  models: unknown;
  spent_micros: unknown;
  event_count: unknown;
  input_tokens: unknown;
  output_tokens: unknown;
  cache_read_tokens: unknown;
  cache_write_tokens: unknown;
}

// Same rows as the unsplit query (the bucket totals are summed from these groups, so they equal it exactly); the
// ranking and folding happen in PostgreSQL so a bucket with many models never ships more than the cap + 1 rows.
// Measured on 100k events of one agent (EXPLAIN ANALYZE): about 1.3× the unsplit query, both a scan of the agent's
// rows; an index would not make the JSON cheaper to read, so there is none.
const BY_MODEL_SQL = `
  WITH per_model AS (
    SELECT date_trunc($2, recorded_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS bucket_start,
           pricing->'usage'->>'provider' AS provider, pricing->'usage'->>'model' AS model,
           sum(cost_micros) AS spent_micros, count(*) AS event_count,
           coalesce(sum((pricing->'usage'->>'input_tokens')::bigint), 0) AS input_tokens,
           coalesce(sum((pricing->'usage'->>'output_tokens')::bigint), 0) AS output_tokens,
           coalesce(sum((pricing->'usage'->>'cache_read_tokens')::bigint), 0) AS cache_read_tokens,
           coalesce(sum((pricing->'usage'->>'cache_write_tokens')::bigint), 0) AS cache_write_tokens
    FROM events
    WHERE agent_id = $1 AND status = 'accepted' AND recorded_at >= $3 AND recorded_at < $4
    GROUP BY 1, 2, 3
  ), ranked AS (
    SELECT per_model.*,
           row_number() OVER (PARTITION BY bucket_start
                              ORDER BY spent_micros DESC, event_count DESC, provider NULLS LAST, model NULLS LAST)
             <= $5 AS listed
    FROM per_model
  )
  SELECT bucket_start, listed,
         CASE WHEN listed THEN provider END AS provider, CASE WHEN listed THEN model END AS model,
         count(*)::bigint AS models,
         sum(spent_micros)::bigint AS spent_micros, sum(event_count)::bigint AS event_count,
         sum(input_tokens)::bigint AS input_tokens, sum(output_tokens)::bigint AS output_tokens,
         sum(cache_read_tokens)::bigint AS cache_read_tokens, sum(cache_write_tokens)::bigint AS cache_write_tokens
  FROM ranked
  GROUP BY 1, 2, 3, 4
  ORDER BY 1, 2 DESC, 6 DESC, 7 DESC, 3 NULLS LAST, 4 NULLS LAST`;

interface ModelSpend {
  spent_micros: number;
  event_count: number;
  input_tokens: number;
  output_tokens: number;
  cache_read_tokens: number;
  cache_write_tokens: number;
}

function sums(r: ModelRow): ModelSpend {
  return {
    spent_micros: int8Of(r.spent_micros),
    event_count: int8Of(r.event_count),
    input_tokens: int8Of(r.input_tokens),
    output_tokens: int8Of(r.output_tokens),
    cache_read_tokens: int8Of(r.cache_read_tokens),
    cache_write_tokens: int8Of(r.cache_write_tokens),
  };
}

async function byModel(db: Db, agentId: string, granularity: Granularity, from: number, to: number) {
  const { rows } = await db.query<ModelRow>(BY_MODEL_SQL, [
    agentId,
    granularity,
    new Date(from).toISOString(),
    new Date(to).toISOString(),
    MAX_MODELS_PER_BUCKET,
  ]);
  type Bucket = {
    bucket_start: string;
    spent_micros: number;
    event_count: number;
    by_model: Array<{ provider: string | null; model: string | null } & ModelSpend>;
    other_models: ({ models: number } & ModelSpend) | null;
  };
  const data: Bucket[] = [];
  for (const r of rows) {
    const start = new Date(r.bucket_start).toISOString();
    let bucket = data.at(-1);
    if (bucket?.bucket_start !== start) {
      bucket = { bucket_start: start, spent_micros: 0, event_count: 0, by_model: [], other_models: null };
      data.push(bucket);
    }
    const s = sums(r);
    bucket.spent_micros += s.spent_micros;
    bucket.event_count += s.event_count;
    if (r.listed) bucket.by_model.push({ provider: r.provider, model: r.model, ...s });
    else bucket.other_models = { models: int8Of(r.models), ...s };
  }
  return { granularity, from: new Date(from).toISOString(), to: new Date(to).toISOString(), data };
}
