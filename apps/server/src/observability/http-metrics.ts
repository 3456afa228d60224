// Records every HTTP response into spendguard_http_request_duration_seconds. The route label is the route's
// declared URL pattern (`/v1/agents/:name`), never the raw URL: raw URLs carry ids and would explode the label set.
import type { FastifyInstance } from 'fastify';
import type { Metrics } from './metrics.js';

/** Label for requests that matched no route (404s from probes and typos) so they stay one series. */
export const UNMATCHED_ROUTE = 'unmatched';

export function observeHttpRequests(app: FastifyInstance, metrics: Metrics): void {
  app.addHook('onResponse', async (request, reply) => {
    metrics.httpRequestDuration.observe(
      {
        method: request.method,
        route: request.routeOptions.url ?? UNMATCHED_ROUTE,
        status: String(reply.statusCode),
      },
      reply.elapsedTime / 1000,
    );
  });
}
