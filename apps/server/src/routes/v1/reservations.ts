// Reservations (docs/api.md §6): POST /v1/reservations (hold), POST /v1/reservations/{id}/commit and /release,
// GET /v1/reservations and GET /v1/reservations/{id}. Thin: validate, call reservations/*, send what it decided.
// Access 'ingest' (any API key or a session); an agent-bound ingest key acts on and sees its own agent only.
// Another customer's reservation id is 404 everywhere.
import { type Static, Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
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
import { createReservationServices } from '../../reservations/service.js';

const DEFAULT_TTL_SECONDS = 300;
const ID_PATTERN = '^rsv_[A-Za-z0-9]{1,64}$';

const ReserveBody = Type.Object(
  {
    agent: Type.String({
      pattern: NAME_PATTERN.source,
      description: 'agent name; created on the fly if allowed',
    }),
    amount_usd: Type.Optional(
      Type.Union([Type.Number(), Type.String()], {
        description: 'the estimate in USD, a JSON number or a decimal string',
      }),
    ),
    amount_micros: Type.Optional(Type.Integer({ description: 'the estimate in integer micro-dollars' })),
    ttl_seconds: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 3600,
        description: 'seconds until the hold expires (default 300)',
      }),
    ),
    run: Type.Optional(Type.String({ pattern: NAME_PATTERN.source })),
    idempotency_key: IdempotencyKeyField,
  },
  { additionalProperties: false },
);

const CommitBody = Type.Object(
  {
    cost_usd: Type.Optional(
      Type.Union([Type.Number(), Type.String()], {
        description: 'the real cost in USD (number or decimal string)',
      }),
    ),
    cost_micros: Type.Optional(Type.Integer({ description: 'the real cost in integer micro-dollars' })),
    metadata: Type.Optional(Type.Object({}, { additionalProperties: true })),
  },
  { additionalProperties: false },
);

const IdParams = Type.Object({ id: Type.String({ pattern: ID_PATTERN }) });

const ListQuery = Type.Object(
  {
    agent: Type.Optional(Type.String({ pattern: NAME_PATTERN.source })),
    status: Type.Optional(
      Type.Union([
        Type.Literal('held'),
        Type.Literal('committed'),
        Type.Literal('released'),
        Type.Literal('expired'),
        Type.Literal('declined'),
      ]),
    ),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 50 })),
    cursor: Type.Optional(Type.String({ maxLength: 512 })),
  },
  { additionalProperties: false },
);

export async function reservationRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const reservations = createReservationServices(ctx);

  app.post(
    '/v1/reservations',
    {
      bodyLimit: MONEY_BODY_LIMIT,
      config: { access: 'ingest' },
      schema: {
        tags: ['reservations'],
        summary: 'Hold an estimate against every budget of the agent; declined with 403 as an event would be',
        headers: IdempotencyKeyHeaders,
        body: ReserveBody,
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const body = request.body as Static<typeof ReserveBody>;
      const problems: FieldProblem[] = [];
      const amountMicros = requiredAmountOf(body, 'amount_usd', 'amount_micros', problems);
      const idempotencyKey = idempotencyKeyOf(request, body.idempotency_key, problems);
      if (problems.length > 0 || amountMicros === null) throw invalidRequest(problems);
      logAgentOf(request, body.agent);
      const result = await reservations.create(
        principal,
        {
          agent: body.agent,
          amountMicros,
          ttlSeconds: body.ttl_seconds ?? DEFAULT_TTL_SECONDS,
          run: body.run ?? null,
          idempotencyKey,
        },
        Date.now() - reply.elapsedTime,
      );
      return sendOutcome(request, reply, result);
    },
  );

  app.post(
    '/v1/reservations/:id/commit',
    {
      bodyLimit: MONEY_BODY_LIMIT,
      config: { access: 'ingest' },
      schema: {
        tags: ['reservations'],
        summary:
          'Record the real cost (always: the money is spent); 201 with the event as POST /v1/events. ' +
          'Idempotent per reservation: a repeat replays the first answer; another cost is 422',
        headers: IdempotencyKeyHeaders,
        params: IdParams,
        body: CommitBody,
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const body = request.body as Static<typeof CommitBody>;
      const { id } = request.params as { id: string };
      const problems: FieldProblem[] = [];
      const costMicros = requiredAmountOf(body, 'cost_usd', 'cost_micros', problems);
      metadataProblems(body.metadata, problems);
      if (problems.length > 0 || costMicros === null) throw invalidRequest(problems);
      const result = await reservations.commit(
        principal,
        id,
        { costMicros, metadata: body.metadata ?? null },
        Date.now() - reply.elapsedTime,
      );
      return sendOutcome(request, reply, result);
    },
  );

  app.post(
    '/v1/reservations/:id/release',
    {
      bodyLimit: MONEY_BODY_LIMIT,
      config: { access: 'ingest' },
      schema: {
        tags: ['reservations'],
        summary: 'Give the held amount back; 200 again for a repeat, 409 once committed',
        headers: IdempotencyKeyHeaders,
        params: IdParams,
        // No body schema: a release may come with no body at all (curl) or with `{}` (the SDK).
      },
    },
    async (request, reply) => {
      const { id } = request.params as { id: string };
      const body = request.body;
      if (
        body !== undefined &&
        body !== null &&
        (typeof body !== 'object' || Array.isArray(body) || Object.keys(body).length > 0)
      ) {
        throw invalidRequest([{ field: 'body', problem: 'must be empty or {}' }]);
      }
      const result = await reservations.release(principalOf(request), id);
      return sendOutcome(request, reply, result);
    },
  );

  app.get(
    '/v1/reservations',
    {
      config: { access: 'ingest' },
      schema: {
        tags: ['reservations'],
        summary:
          'Reservations of the customer, newest first (keyset pagination); held past expires_at reads expired',
        querystring: ListQuery,
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const q = request.query as Static<typeof ListQuery>;
      return reservations.list(principal, {
        agentId: await agentFilter(ctx, principal, q.agent),
        status: q.status ?? null,
        limit: q.limit ?? 50,
        cursor: q.cursor,
      });
    },
  );

  app.get(
    '/v1/reservations/:id',
    {
      config: { access: 'ingest' },
      schema: { tags: ['reservations'], summary: 'One reservation', params: IdParams },
    },
    async (request) => reservations.get(principalOf(request), (request.params as { id: string }).id),
  );
}
