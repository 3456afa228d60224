// GET /metrics (docs/api.md §10): Prometheus text, never open by default. With no SPENDGUARD_METRICS_TOKEN the route
// is not registered at all, so it answers exactly like any absent path (404 not_found). With a token, callers
// must send `Authorization: Bearer <token>`; the comparison is constant-time so the token can't be guessed byte
// by byte from response timings.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../context.js';
import { unauthenticated } from '../http/errors.js';
import { refreshOpenHolds } from '../observability/open-holds.js';

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/** Compares through SHA-256 digests: equal lengths for timingSafeEqual, and no early exit on a length mismatch. */
export function bearerMatches(header: string | undefined, token: string): boolean {
  if (typeof header !== 'string') return false;
  const match = /^Bearer (.+)$/i.exec(header);
  const presented = match?.[1] ?? '';
  return timingSafeEqual(digest(presented), digest(token)) && presented.length > 0;
}

export async function metricsRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const token = ctx.config.metricsToken;
  if (!token) return;
  const registry = ctx.metrics.registry;
  app.get(
    '/metrics',
    // `public` for the auth plugin: this route checks its own credential, which is not an API key or session.
    { config: { access: 'public' }, schema: { hide: true } },
    async (request, reply) => {
      if (!bearerMatches(request.headers.authorization, token)) throw unauthenticated();
      await refreshOpenHolds(ctx.db, ctx.metrics);
      reply.header('content-type', registry.contentType);
      reply.header('cache-control', 'no-store');
      return registry.metrics();
    },
  );
}
