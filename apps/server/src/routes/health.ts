// Liveness and readiness (docs/api.md §10): /healthz is the process; /readyz asks PostgreSQL and Redis, bounded in time.
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../context.js';
import { withTimeout } from '../with-timeout.js';

const READY_TIMEOUT_MS = 1_500;

const Check = Type.Union([Type.Literal('ok'), Type.Literal('down'), Type.Literal('not_configured')]);
const ReadyBody = Type.Object({
  status: Type.Union([Type.Literal('ready'), Type.Literal('unavailable')]),
  checks: Type.Object({ database: Check, redis: Check }),
});

export async function healthRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  app.get(
    '/healthz',
    {
      config: { access: 'public' },
      schema: { tags: ['operations'], response: { 200: Type.Object({ status: Type.Literal('ok') }) } },
    },
    async () => ({ status: 'ok' as const }),
  );

  app.get(
    '/readyz',
    {
      config: { access: 'public' },
      schema: { tags: ['operations'], response: { 200: ReadyBody, 503: ReadyBody } },
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
