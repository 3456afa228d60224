import { BUCKET_COUNT, BUCKET_MS } from './buckets';
import type { Granularity, ModelSpend, TimeseriesPoint } from './types';

/** One line of the "Spend by model" table: a model, the events given a cost (`kind: 'cost'`), or the folded rest. */
export interface ModelRow {
  key: string;
  kind: 'model' | 'cost' | 'other';
  provider: string | null;
  model: string | null;
  spentMicros: number;
  events: number;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  /** Share of the range's spend, 0–100. */
  percent: number;
}

/**
 * The range's spend per model, largest first, over the same buckets the chart shows (denseBuckets: the last
 * BUCKET_COUNT buckets ending with the current one), so the table's total is the chart's total. Models the server
 * folded into a bucket's `other_models` (past its per-bucket cap) stay one "other models" line at the end.
 */
export function modelTotals(points: TimeseriesPoint[], granularity: Granularity, now: number): ModelRow[] {
  const step = BUCKET_MS[granularity];
  const first = Math.floor(now / step) * step - (BUCKET_COUNT[granularity] - 1) * step;
  const rows = new Map<string, ModelRow>();
  const add = (
    key: string,
    kind: ModelRow['kind'],
    provider: string | null,
    model: string | null,
    s: Omit<ModelSpend, 'provider' | 'model'>,
  ) => {
    const row = rows.get(key) ?? {
      key,
      kind,
      provider,
      model,
      spentMicros: 0,
      events: 0,
      inputTokens: 0,
      outputTokens: 0,
      cacheReadTokens: 0,
      percent: 0,
    };
    row.spentMicros += s.spent_micros;
    row.events += s.event_count;
    row.inputTokens += s.input_tokens;
    row.outputTokens += s.output_tokens;
    row.cacheReadTokens += s.cache_read_tokens;
    rows.set(key, row);
  };
  for (const point of points) {
    if (new Date(point.bucket_start).getTime() < first) continue;
    for (const m of point.by_model ?? []) {
      if (m.model === null) add('cost', 'cost', null, null, m);
      // JSON of the pair, so no provider/model spelling can collide with another pair's key.
      else add(JSON.stringify([m.provider, m.model]), 'model', m.provider, m.model, m);
    }
    if (point.other_models) add('other', 'other', null, null, point.other_models);
  }
  const list = [...rows.values()];
  const total = list.reduce((sum, r) => sum + r.spentMicros, 0);
  for (const row of list) row.percent = total > 0 ? (row.spentMicros * 100) / total : 0;
  const rank = (r: ModelRow) => (r.kind === 'other' ? 1 : 0);
  return list.sort(
    (a, b) =>
      rank(a) - rank(b) ||
      b.spentMicros - a.spentMicros ||
      b.events - a.events ||
      (a.model ?? '').localeCompare(b.model ?? ''),
  );
}
