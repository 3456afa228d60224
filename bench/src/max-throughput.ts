// Closed-loop maximum throughput with autocannon: N connections, each sending its next request as soon as the
// previous response arrived. Every request gets a fresh idempotency key through setupRequest; the per-connection
// context carries the request's cost to onResponse so acknowledged spend is tallied exactly.
import autocannon from 'autocannon';
import type { Ledger } from './ledger.js';
import { type EventRequest, eventHeaders, type Workload } from './workload.js';

export interface ThroughputResult {
  /** Requests in flight at the deadline, settled afterwards by an idempotent resend. */
  resolvedInFlight: number;
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
  event?: EventRequest;
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
  // Requests sent but not answered when autocannon stops at the deadline: the server may well have committed them.
  const inFlight = new Set<EventRequest>();
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
          ctx.event = event;
          inFlight.add(event);
          return { ...request, headers: eventHeaders(options.apiKey, event), body: event.body };
        },
        onResponse: (status, _body, context) => {
          const event = (context as ConnectionContext).event;
          if (!event) return;
          inFlight.delete(event);
          if (status !== 201) non201++;
          options.ledger?.record(status, event.agent, event.costMicros);
        },
      },
    ],
  });
  // Settle them the way a real client would: resend with the same idempotency key. A committed one replays its
  // original 201 (counted once); one the server never saw is processed now. Either way the ledger stays exact.
  let resolvedInFlight = 0;
  for (const event of inFlight) {
    const res = await fetch(new URL('/v1/events', options.url), {
      method: 'POST',
      headers: eventHeaders(options.apiKey, event),
      body: event.body,
    });
    await res.arrayBuffer();
    options.ledger?.record(res.status, event.agent, event.costMicros);
    resolvedInFlight++;
  }
  return {
    resolvedInFlight,
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
