// Reads the server's own /metrics after a phase so the report can say where the time went (decision in the spend
// store vs group commit in PostgreSQL vs event-loop lag), not only what the client saw.
export const METRICS_TOKEN = 'bench-metrics-token-0123456789abcdef';

export interface ServerMetrics {
  decisionMeanMs: number | null;
  commitMeanMs: number | null;
  meanBatchSize: number | null;
  eventLoopLagP99Ms: number | null;
  storeErrors: number;
}

function total(text: string, name: string): number | null {
  let sum: number | null = null;
  for (const line of text.split('\n')) {
    if (line.startsWith(`${name} `) || line.startsWith(`${name}{`)) {
      sum = (sum ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1));
    }
  }
  return sum;
}

const ratio = (a: number | null, b: number | null, scale = 1) =>
  a !== null && b ? Math.round((a / b) * scale * 1000) / 1000 : null;

export async function readServerMetrics(baseUrl: string): Promise<ServerMetrics | null> {
  const res = await fetch(`${baseUrl}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
  if (res.status !== 200) return null;
  const text = await res.text();
  const lag = total(text, 'spendguard_nodejs_eventloop_lag_p99_seconds');
  return {
    decisionMeanMs: ratio(
      total(text, 'spendguard_decision_duration_seconds_sum'),
      total(text, 'spendguard_decision_duration_seconds_count'),
      1000,
    ),
    commitMeanMs: ratio(
      total(text, 'spendguard_commit_duration_seconds_sum'),
      total(text, 'spendguard_commit_duration_seconds_count'),
      1000,
    ),
    meanBatchSize: ratio(
      total(text, 'spendguard_commit_batch_size_sum'),
      total(text, 'spendguard_commit_batch_size_count'),
    ),
    eventLoopLagP99Ms: lag === null ? null : Math.round(lag * 1e6) / 1000,
    storeErrors: total(text, 'spendguard_store_errors_total') ?? 0,
  };
}

/** One sample line of the Prometheus text format: `name{label="value",...} value`. */
export interface MetricSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export function parsePrometheus(text: string): MetricSample[] {
  const samples: MetricSample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!match) continue;
    const labels: Record<string, string> = {};
    for (const l of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g))
      labels[l[1] as string] = (l[2] as string).replace(/\\(.)/g, '$1');
    samples.push({ name: match[1] as string, labels, value: Number(match[3]) });
  }
  return samples;
}

/** A histogram's cumulative state for the samples whose labels include `where`: sum, count and bucket counts. */
export interface HistogramState {
  sum: number;
  count: number;
  /** Upper bound in seconds (Infinity for +Inf) → how many observations were at or below it. */
  buckets: Map<number, number>;
}

export function histogramState(
  samples: MetricSample[],
  name: string,
  where: Record<string, string>,
): HistogramState {
  const state: HistogramState = { sum: 0, count: 0, buckets: new Map() };
  const matches = (s: MetricSample) => Object.entries(where).every(([k, v]) => s.labels[k] === v);
  for (const s of samples) {
    if (!matches(s)) continue;
    if (s.name === `${name}_sum`) state.sum += s.value;
    else if (s.name === `${name}_count`) state.count += s.value;
    else if (s.name === `${name}_bucket` && s.labels.le !== undefined) {
      const le = s.labels.le === '+Inf' ? Number.POSITIVE_INFINITY : Number(s.labels.le);
      state.buckets.set(le, (state.buckets.get(le) ?? 0) + s.value);
    }
  }
  return state;
}

/** What was observed between two readings of one histogram: mean in ms and the share at or below each bound. */
export function histogramDelta(before: HistogramState, after: HistogramState) {
  const count = after.count - before.count;
  const atOrBelow: Record<string, number> = {};
  for (const [le, n] of after.buckets) {
    if (!Number.isFinite(le)) continue;
    const share = count > 0 ? (n - (before.buckets.get(le) ?? 0)) / count : Number.NaN;
    atOrBelow[`${le * 1000} ms`] = Math.round(share * 1000) / 10;
  }
  return {
    count,
    meanMs: count > 0 ? Math.round(((after.sum - before.sum) / count) * 1e6) / 1000 : null,
    /** Percent of the observations at or below each bucket bound. */
    percentAtOrBelow: atOrBelow,
  };
}

export async function readMetricSamples(baseUrl: string): Promise<MetricSample[]> {
  const res = await fetch(`${baseUrl}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
  if (res.status !== 200) return [];
  return parsePrometheus(await res.text());
}
