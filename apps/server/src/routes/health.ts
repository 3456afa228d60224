// Liveness and readiness (docs/api.md §10): /healthz is the process; /readyz asks PostgreSQL and Redis, bounded in time.
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../context.js';
import { ref } from '../schemas/common.js';
import { LiveSchema, ReadySchema } from '../schemas/operations.js';
import { withTimeout } from '../with-timeout.js';

const READY_TIMEOUT_MS = 1_500;

export async function healthRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  app.get(
    '/healthz',
    {
      config: { access: 'public' },
      schema: {
        tags: ['operations'],
        summary: 'Liveness: the process answers',
        security: [],
        response: { 200: LiveSchema },
      },
    },
    async () => ({ status: 'ok' as const }),
  );

  app.get(
    '/readyz',
    {
      config: { access: 'public' },
      schema: {
        tags: ['operations'],
        summary: 'Readiness: PostgreSQL and (if configured) Redis answer within 1.5 s',
        security: [],
        response: { 200: ref(ReadySchema, 'ready'), 503: ref(ReadySchema, 'not ready (Retry-After: 1)') },
      },
    },
    async (_request, reply) => {
      const [database, redis] = await Promise.all([
        withTimeout(ctx.db.query('SELECT 1'), READY_TIMEOUT_MS).then(
          () => 'ok' as const,
          () => 'down' as const,
        ),
        ctx.redis
          ? withTimeout(ctx.redis.ping(), READY_TIMEOUT_MS).then(
              () => 'ok' as const,
              () => 'down' as const,
            )
          : Promise.resolve('not_configured' as const),
      ]);
      const ready = database === 'ok' && redis !== 'down';
      if (!ready) reply.code(503).header('Retry-After', '1');
      return { status: ready ? ('ready' as const) : ('unavailable' as const), checks: { database, redis } };
    },
  );
}
