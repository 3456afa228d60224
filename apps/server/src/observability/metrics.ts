// Prometheus metrics (docs/api.md §10). One registry per app so tests and two in-process instances don't collide.
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

export function createMetrics() {
  const registry = new Registry();
  // The event-loop delay is sampled every 50 ms, not every 10 (prom-client's default): each sample wakes the process,
  // and on a VM a wake-up is the dearest thing an idle-ish server does (bench: wake-ups per event). Stalls longer
  // than the resolution are still measured in full.
  collectDefaultMetrics({ register: registry, prefix: 'spendguard_', eventLoopMonitoringPrecision: 50 });
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
    redisCommands: new Counter({
      name: 'spendguard_redis_commands_total',
      help: 'Commands this instance sent to Redis, by command (a script is one EVALSHA, whatever it calls inside)',
      labelNames: ['command'] as const,
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
    gatewayRequests: new Counter({
      name: 'spendguard_gateway_requests_total',
      help: 'LLM gateway calls by provider, model (the first 100 distinct, then "other") and the status answered',
      labelNames: ['provider', 'model', 'status'] as const,
      registers,
    }),
    gatewayAddedLatency: new Histogram({
      name: 'spendguard_gateway_added_latency_seconds',
      help: 'Time the gateway adds to a call: phase "response" for a non-streamed answer, "first_byte" for a stream',
      labelNames: ['provider', 'phase'] as const,
      buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers,
    }),
    gatewayUpstreamFirstByte: new Histogram({
      name: 'spendguard_gateway_upstream_time_to_first_byte_seconds',
      help: "Time from sending a call to the provider to the provider's response headers",
      labelNames: ['provider'] as const,
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    }),
    gatewayOpenStreams: new Gauge({
      name: 'spendguard_gateway_open_streams',
      help: 'Gateway streams open on this instance',
      registers,
    }),
    gatewayStreamEnds: new Counter({
      name: 'spendguard_gateway_stream_ends_total',
      help: 'How gateway streams ended: completed, client_gone, stopped (kill switch), upstream_failed',
      labelNames: ['provider', 'end'] as const,
      registers,
    }),
    sseClients: new Gauge({
      name: 'spendguard_sse_clients',
      help: 'Open dashboard event streams on this instance',
      registers,
    }),
    webhookDeliveries: new Counter({
      name: 'spendguard_webhook_deliveries_total',
      help: 'Webhook delivery attempts by outcome: delivered, retry (will be tried again), failed (given up)',
      labelNames: ['outcome'] as const,
      registers,
    }),
    webhookQueueDepth: new Gauge({
      name: 'spendguard_webhook_queue_depth',
      help: 'Webhook deliveries pending (due or waiting for a retry), all instances (read from PostgreSQL)',
      registers,
    }),
    webhookOldestDueSeconds: new Gauge({
      name: 'spendguard_webhook_oldest_due_seconds',
      help: 'How long the oldest due webhook delivery has been waiting; 0 when none is due',
      registers,
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
