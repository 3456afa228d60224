// GET /v1/audit-log (docs/api.md §7): who changed limits, kill switches, keys and settings — newest first.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { principalOf } from '../../auth/plugin.js';
import type { AppContext } from '../../context.js';
import { listAudit } from '../../customers/audit-log.js';
import { AuditListQuery, AuditPageSchema } from '../../schemas/agents.js';
import { errors, ref } from '../../schemas/common.js';

export async function auditLogRoutes(fastify: FastifyInstance, ctx: AppContext): Promise<void> {
  fastify.withTypeProvider<TypeBoxTypeProvider>().get(
    '/v1/audit-log',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['audit-log'],
        summary: 'Audit entries, newest first',
        querystring: AuditListQuery,
        response: {
          200: ref(AuditPageSchema, 'one page, newest first'),
          ...errors(400, 401, 403, 429, 500, 503),
        },
      },
    },
    async (request) => {
      const q = request.query;
      return listAudit(ctx.db, principalOf(request).customerId, q.limit ?? 50, q.cursor);
    },
  );
}
