// Agents and the kill switch (docs/api.md §7) and an agent's spend over time (docs/api.md §9). Handlers are thin: schema in,
// service call, object out. Names that cannot be agent names answer 404 like any unknown agent.
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { LimitsInputSchema, parseLimitsInput } from '../../agents/limits.js';
import { NAME_PATTERN } from '../../agents/service.js';
import { agentTimeseries, type Granularity } from '../../agents/timeseries.js';
import { assertAgentAllowed } from '../../auth/agent-access.js';
import { principalOf } from '../../auth/plugin.js';
import type { AppContext } from '../../context.js';
import { invalidRequest } from '../../http/errors.js';

const tags = ['agents'];
const NameParams = Type.Object({ name: Type.String({ maxLength: 200 }) });
const ListQuery = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 50 })),
    cursor: Type.Optional(Type.String({ maxLength: 512 })),
  },
  { additionalProperties: false },
);
const CreateBody = Type.Object(
  { name: Type.String({ pattern: NAME_PATTERN.source }), limits: Type.Optional(LimitsInputSchema) },
  { additionalProperties: false },
);
const PatchBody = Type.Object({ limits: LimitsInputSchema }, { additionalProperties: false });
const SuspendBody = Type.Union([
  Type.Object({ note: Type.Optional(Type.String({ maxLength: 1000 })) }, { additionalProperties: false }),
  Type.Null(),
]);
const TimeseriesQuery = Type.Object(
  {
    granularity: Type.Optional(
      Type.Union([Type.Literal('minute'), Type.Literal('hour'), Type.Literal('day')], { default: 'hour' }),
    ),
    from: Type.Optional(Type.String({ format: 'date-time' })),
    to: Type.Optional(Type.String({ format: 'date-time' })),
  },
  { additionalProperties: false },
);

const time = (value: string | undefined): number | null => (value === undefined ? null : Date.parse(value));

export async function agentRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const agents = ctx.spend.agents;

  app.get(
    '/v1/agents',
    {
      config: { access: 'admin' },
      schema: { tags, summary: 'Every agent with live spend', querystring: ListQuery },
    },
    async (request) => {
      const q = request.query as { limit?: number; cursor?: string };
      return agents.list(principalOf(request).customerId, { limit: q.limit ?? 50, cursor: q.cursor });
    },
  );

  app.post(
    '/v1/agents',
    { config: { access: 'admin' }, schema: { tags, summary: 'Create an agent', body: CreateBody } },
    async (request, reply) => {
      const body = request.body as { name: string; limits?: unknown };
      const limits = parseLimitsInput(body.limits);
      const agent = await agents.create(principalOf(request), { name: body.name, limits });
      return reply.code(201).send(agent);
    },
  );

  app.get(
    '/v1/agents/:name',
    {
      // An ingest key may read an agent's budget before starting work (a bound key: its own agent only).
      config: { access: 'ingest' },
      schema: { tags, summary: 'One agent with live spend', params: NameParams },
    },
    async (request) => {
      const principal = principalOf(request);
      const { name } = request.params as { name: string };
      const row = await agents.row(principal.customerId, name);
      assertAgentAllowed(principal, row.id);
      return agents.get(principal.customerId, name);
    },
  );

  app.patch(
    '/v1/agents/:name',
    {
      config: { access: 'admin' },
      schema: { tags, summary: 'Change limits', params: NameParams, body: PatchBody },
    },
    async (request) => {
      const { name } = request.params as { name: string };
      const limits = parseLimitsInput((request.body as { limits: unknown }).limits);
      return agents.updateLimits(principalOf(request), name, limits);
    },
  );

  app.post(
    '/v1/agents/:name/suspend',
    {
      config: { access: 'admin' },
      schema: { tags, summary: 'Kill switch on (manual)', params: NameParams, body: SuspendBody },
    },
    async (request) => {
      const { name } = request.params as { name: string };
      const note = (request.body as { note?: string } | null | undefined)?.note ?? null;
      return agents.suspend(principalOf(request), name, note);
    },
  );

  app.post(
    '/v1/agents/:name/resume',
    { config: { access: 'admin' }, schema: { tags, summary: 'Kill switch off', params: NameParams } },
    async (request) => {
      const { name } = request.params as { name: string };
      return agents.resume(principalOf(request), name);
    },
  );

  app.get(
    '/v1/agents/:name/timeseries',
    {
      config: { access: 'ingest' },
      schema: {
        tags,
        summary: 'Accepted spend per minute/hour/day bucket (at most 1,000 buckets)',
        params: NameParams,
        querystring: TimeseriesQuery,
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const { name } = request.params as { name: string };
      const q = request.query as { granularity?: Granularity; from?: string; to?: string };
      const from = time(q.from);
      const to = time(q.to);
      if (Number.isNaN(from) || Number.isNaN(to)) {
        throw invalidRequest([{ field: 'from', problem: 'must be an ISO 8601 date-time' }]);
      }
      const row = await agents.row(principal.customerId, name);
      assertAgentAllowed(principal, row.id);
      return agentTimeseries(ctx.db, {
        agentId: row.id,
        granularity: q.granularity ?? 'hour',
        from,
        to,
        now: Date.now(),
      });
    },
  );
}
