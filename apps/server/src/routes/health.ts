// Liveness and readiness (docs/api.md §10): /healthz is the process; /readyz asks PostgreSQL and Redis (observability/readiness.ts).
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../context.js';
import { checkReadiness } from '../observability/readiness.js';
import { ref } from '../schemas/common.js';
import { LiveSchema, ReadySchema } from '../schemas/operations.js';

export async function healthRoutes(fastify: FastifyInstance, ctx: AppContext): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
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
      const readiness = await checkReadiness(ctx.db, ctx.redis);
      if (readiness.status !== 'ready') reply.code(503).header('Retry-After', '1');
      return readiness;
    },
  );
}
