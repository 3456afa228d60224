// GET/PATCH /v1/customer (docs/api.md §8): monthly limit, default limits of new agents, auto-creation of agents.
import { type Static, Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { LimitsInputSchema, parseLimitsInput } from '../../agents/limits.js';
import { principalOf } from '../../auth/plugin.js';
import { MAX_LIMIT_MICROS, parseAmount } from '../../budget/money.js';
import type { AppContext } from '../../context.js';
import type { CustomerPatch } from '../../customers/service.js';
import { invalidRequest } from '../../http/errors.js';

const tags = ['customer'];
const PatchBody = Type.Object(
  {
    limits: Type.Optional(
      Type.Object(
        {
          month_usd: Type.Optional(Type.Union([Type.Number(), Type.String(), Type.Null()])),
          month_micros: Type.Optional(Type.Union([Type.Integer(), Type.Null()])),
        },
        { additionalProperties: false },
      ),
    ),
    default_agent_limits: Type.Optional(LimitsInputSchema),
    auto_create_agents: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

type PatchShape = Static<typeof PatchBody>;

function monthLimit(limits: PatchShape['limits']): number | null | undefined {
  if (limits === undefined) return undefined;
  const both = limits.month_usd !== undefined && limits.month_micros !== undefined;
  if (both) {
    throw invalidRequest([
      { field: 'limits.month_usd', problem: 'give either month_usd or month_micros, not both' },
    ]);
  }
  if (limits.month_usd === null || limits.month_micros === null) return null;
  const parsed = parseAmount(limits as Record<string, unknown>, 'month_usd', 'month_micros', {
    maxMicros: MAX_LIMIT_MICROS,
    required: false,
  });
  if (!parsed.ok) throw invalidRequest(parsed.problems.map((p) => ({ ...p, field: `limits.${p.field}` })));
  return parsed.micros;
}

export async function customerRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  app.get(
    '/v1/customer',
    {
      config: { access: 'admin' },
      schema: { tags, summary: 'Budget settings and month spend of the customer' },
    },
    async (request) => ctx.spend.customers.get(principalOf(request).customerId),
  );

  app.patch(
    '/v1/customer',
    { config: { access: 'admin' }, schema: { tags, summary: 'Change budget settings', body: PatchBody } },
    async (request) => {
      const body = request.body as PatchShape;
      const patch: CustomerPatch = {};
      const month = monthLimit(body.limits);
      if (month !== undefined) patch.monthLimitMicros = month;
      if (body.default_agent_limits !== undefined) {
        patch.defaults = parseLimitsInput(body.default_agent_limits, 'default_agent_limits');
      }
      if (body.auto_create_agents !== undefined) patch.autoCreateAgents = body.auto_create_agents;
      return ctx.spend.customers.update(principalOf(request), patch);
    },
  );
}
