// Agents and the kill switch (docs/api.md §7) and an agent's spend over time (docs/api.md §9). Handlers are thin:
// schema in, service call, object out. Names that cannot be agent names answer 404 like any unknown agent.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { parseLimitsInput } from '../../agents/limits.js';
import { agentTimeseries } from '../../agents/timeseries.js';
import { assertAgentAllowed } from '../../auth/agent-access.js';
import { principalOf } from '../../auth/plugin.js';
import type { AppContext } from '../../context.js';
import { parseTime } from '../../http/request-input.js';
import {
  AgentListQuery,
  AgentNameParams,
  AgentPageSchema,
  AgentSchema,
  CreateAgentBody,
  PatchAgentBody,
  SuspendBody,
  TimeseriesQuery,
  TimeseriesSchema,
} from '../../schemas/agents.js';
import { errors, ref } from '../../schemas/common.js';

const tags = ['agents'];
const READ_ERRORS = errors(400, 401, 403, 404, 429, 500, 503);
const WRITE_ERRORS = errors(400, 401, 403, 404, 413, 415, 429, 500, 503);

export async function agentRoutes(fastify: FastifyInstance, ctx: AppContext): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const agents = ctx.spend.agents;

  app.get(
    '/v1/agents',
    {
      config: { access: 'admin' },
      schema: {
        tags,
        summary: 'Every agent with live spend (?archived=true: only the archived ones)',
        querystring: AgentListQuery,
        response: { 200: ref(AgentPageSchema, 'one page of agents'), ...READ_ERRORS },
      },
    },
    async (request) => {
      const q = request.query;
      return agents.list(principalOf(request).customerId, {
        limit: q.limit ?? 50,
        cursor: q.cursor,
        archived: q.archived ?? false,
      });
    },
  );

  app.post(
    '/v1/agents',
    {
      config: { access: 'admin' },
      schema: {
        tags,
        summary: 'Create an agent; limits left out take the customer’s defaults',
        body: CreateAgentBody,
        response: { 201: ref(AgentSchema, 'created'), ...WRITE_ERRORS, ...errors(409) },
      },
    },
    async (request, reply) => {
      const limits = parseLimitsInput(request.body.limits);
      const agent = await agents.create(principalOf(request), { name: request.body.name, limits });
      return reply.code(201).send(agent);
    },
  );

  app.get(
    '/v1/agents/:name',
    {
      // An ingest key may read an agent's budget before starting work (a bound key: its own agent only).
      config: { access: 'ingest' },
      schema: {
        tags,
        summary: 'One agent with live spend (ingest keys too)',
        params: AgentNameParams,
        response: { 200: ref(AgentSchema, 'the agent'), ...READ_ERRORS },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const row = await agents.row(principal.customerId, request.params.name);
      assertAgentAllowed(principal, row.id);
      return agents.get(principal.customerId, request.params.name);
    },
  );

  app.patch(
    '/v1/agents/:name',
    {
      config: { access: 'admin' },
      schema: {
        tags,
        summary: 'Change limits; in force for the very next event on every instance',
        params: AgentNameParams,
        body: PatchAgentBody,
        response: { 200: ref(AgentSchema, 'the agent with its new limits'), ...WRITE_ERRORS },
      },
    },
    async (request) =>
      agents.updateLimits(principalOf(request), request.params.name, parseLimitsInput(request.body.limits)),
  );

  app.post(
    '/v1/agents/:name/suspend',
    {
      config: { access: 'admin' },
      schema: {
        tags,
        summary: 'Kill switch on (manual); the very next event on any instance is declined',
        params: AgentNameParams,
        body: SuspendBody,
        response: { 200: ref(AgentSchema, 'suspended (manual)'), ...WRITE_ERRORS },
      },
    },
    async (request) => agents.suspend(principalOf(request), request.params.name, request.body?.note ?? null),
  );

  app.post(
    '/v1/agents/:name/resume',
    {
      config: { access: 'admin' },
      schema: {
        tags,
        summary: 'Kill switch off',
        params: AgentNameParams,
        response: { 200: ref(AgentSchema, 'active'), ...WRITE_ERRORS },
      },
    },
    async (request) => agents.resume(principalOf(request), request.params.name),
  );

  app.delete(
    '/v1/agents/:name',
    {
      config: { access: 'admin' },
      schema: {
        tags,
        summary: 'Archive an agent: out of the list, its events refused (404) and not re-created on the fly',
        description:
          'Its history stays; open holds can still be committed. Idempotent: archiving an archived agent answers ' +
          '204 again. POST /v1/agents/{name}/restore brings it back.',
        params: AgentNameParams,
        response: { 204: { type: 'null', description: 'archived' }, ...READ_ERRORS },
      },
    },
    async (request, reply) => {
      await agents.archive(principalOf(request), request.params.name);
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/v1/agents/:name/restore',
    {
      config: { access: 'admin' },
      schema: {
        tags,
        summary: 'Bring an archived agent back: listed again, its events decided again',
        params: AgentNameParams,
        response: { 200: ref(AgentSchema, 'the agent, archived_at null'), ...WRITE_ERRORS },
      },
    },
    async (request) => agents.restore(principalOf(request), request.params.name),
  );

  app.get(
    '/v1/agents/:name/timeseries',
    {
      config: { access: 'ingest' },
      schema: {
        tags,
        summary:
          'Accepted spend per minute/hour/day bucket (at most 1,000 buckets); ?by=model splits each by model',
        params: AgentNameParams,
        querystring: TimeseriesQuery,
        response: { 200: ref(TimeseriesSchema, 'spend per bucket'), ...READ_ERRORS },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const q = request.query;
      const from = parseTime(q.from, 'from');
      const to = parseTime(q.to, 'to');
      const row = await agents.row(principal.customerId, request.params.name);
      assertAgentAllowed(principal, row.id);
      return agentTimeseries(ctx.db, {
        agentId: row.id,
        granularity: q.granularity ?? 'hour',
        from,
        to,
        now: Date.now(),
        by: q.by,
      });
    },
  );
}
