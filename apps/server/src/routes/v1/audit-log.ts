// GET /v1/audit-log (docs/api.md §7): who changed limits, kill switches, keys and settings — newest first.
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { principalOf } from '../../auth/plugin.js';
import type { AppContext } from '../../context.js';
import { listAudit } from '../../customers/audit-log.js';

const Query = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 50 })),
    cursor: Type.Optional(Type.String({ maxLength: 200 })),
  },
  { additionalProperties: false },
);

export async function auditLogRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  app.get(
    '/v1/audit-log',
    {
      config: { access: 'admin' },
      schema: { tags: ['audit-log'], summary: 'Audit entries, newest first', querystring: Query },
    },
    async (request) => {
      const q = request.query as { limit?: number; cursor?: string };
      return listAudit(ctx.db, principalOf(request).customerId, q.limit ?? 50, q.cursor);
    },
  );
}
