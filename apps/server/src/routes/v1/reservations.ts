// Reservations (docs/api.md §6): POST /v1/reservations (hold), POST /v1/reservations/{id}/commit and /release,
// GET /v1/reservations and GET /v1/reservations/{id}. Thin: validate, call reservations/*, send what it decided.
// Access 'ingest' (any API key or a session); an agent-bound ingest key acts on and sees its own agent only.
// Another customer's reservation id is 404 everywhere.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { principalOf } from '../../auth/plugin.js';
import type { FieldProblem } from '../../budget/money.js';
import type { AppContext } from '../../context.js';
import { invalidRequest } from '../../http/errors.js';
import {
  agentFilter,
  costOf,
  holdAmountOf,
  idempotencyKeyOf,
  logAgentOf,
  MONEY_BODY_LIMIT,
  metadataProblems,
  sendOutcome,
} from '../../http/request-input.js';
import { errors, IdempotencyKeyHeaders, ref } from '../../schemas/common.js';
import {
  CommitBody,
  EventCreatedSchema,
  ReservationCreatedSchema,
  ReservationEnvelopeSchema,
  ReservationIdParams,
  ReservationListQuery,
  ReservationPageSchema,
  ReserveBody,
} from '../../schemas/spend.js';

const DEFAULT_TTL_SECONDS = 300;
const tags = ['reservations'];

export async function reservationRoutes(fastify: FastifyInstance, ctx: AppContext): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const reservations = ctx.spend.reservations;

  app.post(
    '/v1/reservations',
    {
      bodyLimit: MONEY_BODY_LIMIT,
      // The decision checks the key's revocation (auth/api-keys.ts resolveForDecision).
      config: { access: 'ingest', keyCheckedInDecision: true },
      schema: {
        tags,
        summary: 'Hold an estimate against every budget of the agent; declined with 403 as an event would be',
        description:
          'A hold counts against every limit of the agent and customer until it is committed, released or ' +
          'expires. A hold declined for a limit does not flip the kill switch (an estimate is not spend).',
        headers: IdempotencyKeyHeaders,
        body: ReserveBody,
        response: {
          201: ref(ReservationCreatedSchema, 'held until committed, released or expired'),
          ...errors(400, 401, 403, 404, 409, 413, 415, 422, 429, 500, 503),
        },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const body = request.body;
      const problems: FieldProblem[] = [];
      const receivedAt = Date.now() - reply.elapsedTime;
      const { amountMicros, priced } = await holdAmountOf(body, problems, receivedAt, {
        db: ctx.db,
        customerId: principal.customerId,
      });
      const idempotencyKey = idempotencyKeyOf(request, body.idempotency_key, problems);
      if (problems.length > 0 || amountMicros === null) throw invalidRequest(problems);
      logAgentOf(request, body.agent);
      const result = await reservations.create(
        principal,
        {
          agent: body.agent,
          amountMicros,
          estimate: priced ? body.estimate : undefined,
          ttlSeconds: body.ttl_seconds ?? DEFAULT_TTL_SECONDS,
          run: body.run ?? null,
          idempotencyKey,
          fingerprint: body.fingerprint ?? null,
        },
        receivedAt,
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
        tags,
        summary: 'Record the real cost; 201 with the event as POST /v1/events answers',
        description:
          'Always recorded (the money is spent), even above the estimate or after the agent was suspended; if a ' +
          'limit is now exceeded the kill switch flips for what comes next. Idempotent per reservation: a repeat ' +
          'replays the first answer; another cost is 422; a released or declined reservation is 409 (an expired ' +
          'one is still recorded: the money was spent). No Idempotency-Key is needed: the reservation id is the key.',
        params: ReservationIdParams,
        body: CommitBody,
        response: {
          201: ref(EventCreatedSchema, 'the real cost, recorded as an event'),
          ...errors(400, 401, 403, 404, 409, 413, 415, 422, 429, 500, 503),
        },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const body = request.body;
      const problems: FieldProblem[] = [];
      const receivedAt = Date.now() - reply.elapsedTime;
      metadataProblems(body.metadata, problems);
      const { costMicros, priced } = await costOf(body, problems, receivedAt, {
        db: ctx.db,
        customerId: principal.customerId,
      });
      if (problems.length > 0 || costMicros === null) throw invalidRequest(problems);
      const result = await reservations.commit(
        principal,
        request.params.id,
        { costMicros, priced, metadata: body.metadata ?? null },
        receivedAt,
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
        tags,
        summary: 'Give the held amount back; 200 again for a repeat, 409 once committed',
        description: 'The body is empty or {}. Idempotent per reservation: no Idempotency-Key is needed.',
        params: ReservationIdParams,
        // No body schema: a release may come with no body at all (curl) or with `{}` (the SDK).
        response: {
          200: ref(ReservationEnvelopeSchema, 'released (or already released or expired)'),
          ...errors(400, 401, 403, 404, 409, 413, 415, 429, 500, 503),
        },
      },
    },
    async (request, reply) => {
      const body = request.body;
      if (
        body !== undefined &&
        body !== null &&
        (typeof body !== 'object' || Array.isArray(body) || Object.keys(body).length > 0)
      ) {
        throw invalidRequest([{ field: 'body', problem: 'must be empty or {}' }]);
      }
      const result = await reservations.release(principalOf(request), request.params.id);
      return sendOutcome(request, reply, result);
    },
  );

  app.get(
    '/v1/reservations',
    {
      config: { access: 'ingest' },
      schema: {
        tags,
        summary:
          'Reservations of the customer, newest first (keyset pagination); held past expires_at reads expired',
        querystring: ReservationListQuery,
        response: {
          200: ref(ReservationPageSchema, 'one page, newest first'),
          ...errors(400, 401, 403, 404, 429, 500, 503),
        },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const q = request.query;
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
      schema: {
        tags,
        summary: 'One reservation',
        params: ReservationIdParams,
        response: {
          200: ref(ReservationEnvelopeSchema, 'the reservation'),
          ...errors(400, 401, 403, 404, 429, 500, 503),
        },
      },
    },
    async (request) => reservations.get(principalOf(request), request.params.id),
  );
}
