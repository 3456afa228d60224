// Prometheus metrics (docs/api.md §10). One registry per app so tests and two in-process instances don't collide.
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'spendguard_' });
  const registers = [registry];
  return {
    registry,
    httpRequestDuration: new Histogram({
      name: 'spendguard_http_request_duration_seconds',
      help: 'HTTP request duration by route and status',
      labelNames: ['method', 'route', 'status'] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    }),
    events: new Counter({
      name: 'spendguard_events_total',
      help: 'Events and reservation decisions by outcome (accepted/declined/replayed/...) and code',
      labelNames: ['kind', 'outcome', 'code'] as const,
      registers,
    }),
    decisionDuration: new Histogram({
      name: 'spendguard_decision_duration_seconds',
      help: 'Latency of the atomic budget decision in the spend store',
      labelNames: ['store'] as const,
      buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1],
      registers,
    }),
    batchSize: new Histogram({
      name: 'spendguard_commit_batch_size',
      help: 'Rows per group commit to PostgreSQL',
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512],
      registers,
    }),
    commitDuration: new Histogram({
      name: 'spendguard_commit_duration_seconds',
      help: 'Latency of one group commit to PostgreSQL',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers,
    }),
    storeErrors: new Counter({
      name: 'spendguard_store_errors_total',
      help: 'Failures of PostgreSQL or Redis seen by the server',
      labelNames: ['store', 'operation'] as const,
      registers,
    }),
    counterRebuilds: new Counter({
      name: 'spendguard_counter_rebuilds_total',
      help: 'Spend counters rebuilt from PostgreSQL after a cache miss',
      registers,
    }),
    openHolds: new Gauge({
      name: 'spendguard_open_holds',
      help: 'Reservations currently held, all instances (read from PostgreSQL when /metrics is scraped; aggregate with max)',
      registers,
    }),
    sseClients: new Gauge({
      name: 'spendguard_sse_clients',
      help: 'Open dashboard event streams on this instance',
      registers,
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
