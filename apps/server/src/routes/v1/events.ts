// POST /v1/events (docs/api.md §5, the hot path) and GET /v1/events (docs/api.md §9). Thin: validate, call the event
// service, send what it decided. Validation failures save nothing, so a retry with the same key is processed afresh.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { listEvents } from '../../agents/event-list.js';
import { principalOf } from '../../auth/plugin.js';
import type { FieldProblem } from '../../budget/money.js';
import type { AppContext } from '../../context.js';
import { invalidRequest } from '../../http/errors.js';
import {
  agentFilter,
  costOf,
  idempotencyKeyOf,
  logAgentOf,
  MONEY_BODY_LIMIT,
  metadataProblems,
  parseTime,
  sendOutcome,
} from '../../http/request-input.js';
import { errors, IdempotencyKeyHeaders, ref } from '../../schemas/common.js';
import { EventBody, EventCreatedSchema, EventListQuery, EventPageSchema } from '../../schemas/spend.js';

export async function eventRoutes(fastify: FastifyInstance, ctx: AppContext): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();

  app.post(
    '/v1/events',
    {
      bodyLimit: MONEY_BODY_LIMIT,
      // The decision checks the key's revocation (auth/api-keys.ts resolveForDecision).
      config: { access: 'ingest', keyCheckedInDecision: true },
      schema: {
        tags: ['events'],
        summary: 'Record one cost-bearing action; declined with 403 if it would break a budget',
        description:
          'Decided atomically for the agent and its customer, in this order: agent suspended → customer month ' +
          'limit → run limit → agent month/day/velocity limits (the last flips the kill switch). Accepted events ' +
          'are stored in PostgreSQL before the 201. A replay (same key, same body) answers the first status and ' +
          'body with Idempotent-Replayed: true — a first 403 included.',
        headers: IdempotencyKeyHeaders,
        body: EventBody,
        response: {
          201: ref(EventCreatedSchema, 'accepted: counted in every period and stored in PostgreSQL'),
          ...errors(400, 401, 403, 404, 409, 413, 415, 422, 429, 500, 503),
        },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const body = request.body;
      const problems: FieldProblem[] = [];
      const idempotencyKey = idempotencyKeyOf(request, body.idempotency_key, problems);
      metadataProblems(body.metadata, problems);
      const occurredAt = parseTime(body.occurred_at, 'occurred_at');
      // Last: a request with other problems is a 400 before its model is looked up (422 unknown_model).
      const { costMicros, priced } = await costOf(body, problems, Date.now(), {
        db: ctx.db,
        customerId: principal.customerId,
      });
      if (problems.length > 0 || costMicros === null) throw invalidRequest(problems);
      logAgentOf(request, body.agent);

      const result = await ctx.spend.events.record(
        principal,
        {
          agent: body.agent,
          costMicros,
          priced,
          run: body.run ?? null,
          occurredAt,
          metadata: body.metadata ?? null,
          idempotencyKey,
          fingerprint: body.fingerprint ?? null,
        },
        Date.now() - reply.elapsedTime,
      );
      return sendOutcome(request, reply, result);
    },
  );

  app.get(
    '/v1/events',
    {
      config: { access: 'ingest' },
      schema: {
        tags: ['events'],
        summary: 'Events of the customer, newest first (keyset pagination)',
        description: 'An agent-bound ingest key sees its own agent only.',
        querystring: EventListQuery,
        response: {
          200: ref(EventPageSchema, 'one page, newest first'),
          ...errors(400, 401, 403, 404, 429, 500, 503),
        },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const q = request.query;
      const agentId = await agentFilter(ctx, principal, q.agent);
      return listEvents(ctx.db, {
        customerId: principal.customerId,
        agentId,
        status: q.status ?? null,
        from: parseTime(q.from, 'from'),
        to: parseTime(q.to, 'to'),
        limit: q.limit ?? 50,
        cursor: q.cursor,
      });
    },
  );
}
