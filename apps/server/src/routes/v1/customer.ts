// GET/PATCH /v1/customer (docs/api.md §8): monthly limit, default limits of new agents, auto-creation of agents.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import type { Static } from 'typebox';
import { parseLimitsInput } from '../../agents/limits.js';
import { principalOf } from '../../auth/plugin.js';
import { MAX_LIMIT_MICROS, parseAmount } from '../../budget/money.js';
import type { AppContext } from '../../context.js';
import type { CustomerPatch } from '../../customers/service.js';
import { invalidRequest } from '../../http/errors.js';
import { CustomerSchema, PatchCustomerBody } from '../../schemas/agents.js';
import { errors, ref } from '../../schemas/common.js';

const tags = ['customer'];

type PatchShape = Static<typeof PatchCustomerBody>;

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

export async function customerRoutes(fastify: FastifyInstance, ctx: AppContext): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  app.get(
    '/v1/customer',
    {
      config: { access: 'admin' },
      schema: {
        tags,
        summary: 'Budget settings and month spend of the customer',
        response: { 200: ref(CustomerSchema, 'the customer'), ...errors(401, 403, 404, 429, 500, 503) },
      },
    },
    async (request) => ctx.spend.customers.get(principalOf(request).customerId),
  );

  app.patch(
    '/v1/customer',
    {
      config: { access: 'admin' },
      schema: {
        tags,
        summary: 'Change budget settings; in force for the very next event on every instance',
        body: PatchCustomerBody,
        response: {
          200: ref(CustomerSchema, 'the customer with its new settings'),
          ...errors(400, 401, 403, 404, 413, 415, 429, 500, 503),
        },
      },
    },
    async (request) => {
      const body = request.body;
      const patch: CustomerPatch = {};
      const month = monthLimit(body.limits);
      if (month !== undefined) patch.monthLimitMicros = month;
      if (body.default_agent_limits !== undefined) {
        patch.defaults = parseLimitsInput(body.default_agent_limits, 'default_agent_limits');
      }
      if (body.auto_create_agents !== undefined) patch.autoCreateAgents = body.auto_create_agents;
      if (body.gateway_default_max_output_tokens !== undefined) {
        patch.gatewayDefaultMaxOutputTokens = body.gateway_default_max_output_tokens;
      }
      if (body.alert_thresholds_percent !== undefined) {
        patch.alertThresholdsPercent = body.alert_thresholds_percent;
      }
      return ctx.spend.customers.update(principalOf(request), patch);
    },
  );
}
