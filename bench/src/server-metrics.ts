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
