// Closed-loop maximum throughput with autocannon: N connections, each sending its next request as soon as the
// previous response arrived. Every request gets a fresh idempotency key through setupRequest; the per-connection
// context carries the request's cost to onResponse so acknowledged spend is tallied exactly.
import autocannon from 'autocannon';
import type { Ledger } from './ledger.js';
import { eventHeaders, type Workload } from './workload.js';

export interface ThroughputResult {
  requests: number;
  requestsPerSecond: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  errors: number;
  timeouts: number;
  non201: number;
  durationSeconds: number;
}

interface ConnectionContext {
  agent?: string;
  cost?: number;
}

export async function runMaxThroughput(options: {
  url: string;
  connections: number;
  durationSeconds: number;
  workload: Workload;
  apiKey: string;
  ledger?: Ledger;
}): Promise<ThroughputResult> {
  let non201 = 0;
  const result = await autocannon({
    url: options.url,
    connections: options.connections,
    duration: options.durationSeconds,
    pipelining: 1,
    timeout: 10,
    requests: [
      {
        method: 'POST',
        path: '/v1/events',
        setupRequest: (request, context) => {
          const event = options.workload.make();
          const ctx = context as ConnectionContext;
          ctx.agent = event.agent;
          ctx.cost = event.costMicros;
          return { ...request, headers: eventHeaders(options.apiKey, event), body: event.body };
        },
        onResponse: (status, _body, context) => {
          const ctx = context as ConnectionContext;
          if (status !== 201) non201++;
          options.ledger?.record(status, ctx.agent ?? '', ctx.cost ?? 0);
        },
      },
    ],
  });
  return {
    requests: result.requests.total,
    requestsPerSecond: result.requests.average,
    p50: result.latency.p50,
    p90: result.latency.p90,
    p99: result.latency.p99,
    max: result.latency.max,
    errors: result.errors,
    timeouts: result.timeouts,
    non201,
    durationSeconds: result.duration,
  };
}
