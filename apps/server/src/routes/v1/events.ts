// POST /v1/events (docs/api.md §5, the hot path) and GET /v1/events (docs/api.md §9). Thin: validate, call the event service,
// send what it decided. Validation failures save nothing, so a retry with the same key is processed afresh.
import { type Static, Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { listEvents } from '../../agents/event-list.js';
import { NAME_PATTERN } from '../../agents/service.js';
import { principalOf } from '../../auth/plugin.js';
import type { FieldProblem } from '../../budget/money.js';
import type { AppContext } from '../../context.js';
import { invalidRequest } from '../../http/errors.js';
import {
  agentFilter,
  IdempotencyKeyField,
  IdempotencyKeyHeaders,
  idempotencyKeyOf,
  logAgentOf,
  MONEY_BODY_LIMIT,
  metadataProblems,
  requiredAmountOf,
  sendOutcome,
} from '../../http/request-input.js';

const EventBody = Type.Object(
  {
    agent: Type.String({
      pattern: NAME_PATTERN.source,
      description: 'agent name; created on the fly if allowed',
    }),
    cost_usd: Type.Optional(
      Type.Union([Type.Number(), Type.String()], { description: 'USD as a JSON number or a decimal string' }),
    ),
    cost_micros: Type.Optional(Type.Integer({ description: 'integer micro-dollars (1 USD = 1,000,000)' })),
    run: Type.Optional(Type.String({ pattern: NAME_PATTERN.source })),
    occurred_at: Type.Optional(Type.String({ format: 'date-time' })),
    metadata: Type.Optional(Type.Object({}, { additionalProperties: true })),
    idempotency_key: IdempotencyKeyField,
  },
  { additionalProperties: false },
);

const ListQuery = Type.Object(
  {
    agent: Type.Optional(Type.String({ pattern: NAME_PATTERN.source })),
    status: Type.Optional(Type.Union([Type.Literal('accepted'), Type.Literal('declined')])),
    from: Type.Optional(Type.String({ format: 'date-time' })),
    to: Type.Optional(Type.String({ format: 'date-time' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 50 })),
    cursor: Type.Optional(Type.String({ maxLength: 512 })),
  },
  { additionalProperties: false },
);

function parseTime(value: string | undefined, field: string): number | null {
  if (value === undefined) return null;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw invalidRequest([{ field, problem: 'must be an ISO 8601 date-time' }]);
  return ms;
}

export async function eventRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  app.post(
    '/v1/events',
    {
      bodyLimit: MONEY_BODY_LIMIT,
      config: { access: 'ingest' },
      schema: {
        tags: ['events'],
        summary: 'Record one cost-bearing action; declined with 403 if it would break a budget',
        headers: IdempotencyKeyHeaders,
        body: EventBody,
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const body = request.body as Static<typeof EventBody>;
      const problems: FieldProblem[] = [];
      const costMicros = requiredAmountOf(body, 'cost_usd', 'cost_micros', problems);
      const idempotencyKey = idempotencyKeyOf(request, body.idempotency_key, problems);
      metadataProblems(body.metadata, problems);
      const occurredAt = parseTime(body.occurred_at, 'occurred_at');
      if (problems.length > 0 || costMicros === null) throw invalidRequest(problems);
      logAgentOf(request, body.agent);

      const result = await ctx.spend.events.record(
        principal,
        {
          agent: body.agent,
          costMicros,
          run: body.run ?? null,
          occurredAt,
          metadata: body.metadata ?? null,
          idempotencyKey,
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
        querystring: ListQuery,
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const q = request.query as Static<typeof ListQuery>;
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
