// Webhook endpoints (docs/api.md §13): create (the secret shown once), list, delete, test ping, the delivery log and a
// manual retry. Admin keys or admin sessions write; viewers read.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { principalOf } from '../../auth/plugin.js';
import type { AppContext } from '../../context.js';
import { decodeCursor, pageOf } from '../../http/cursor.js';
import { errors, ref } from '../../schemas/common.js';
import {
  AcceptedSchema,
  AlertPageSchema,
  CreatedWebhookEndpointSchema,
  CreateWebhookBody,
  DeliveryParams,
  PageQuery,
  WebhookDeliveryPageSchema,
  WebhookEndpointPageSchema,
  WebhookParams,
} from '../../schemas/webhooks.js';
import type { WebhookDelivery, WebhookEndpoint } from '../../webhooks/types.js';

const tags = ['webhooks'];
const iso = (ms: number) => new Date(ms).toISOString();

const endpointJson = (e: WebhookEndpoint) => ({
  id: e.id,
  url: e.url,
  events: e.events,
  description: e.description,
  created_at: iso(e.createdAt),
});

const deliveryJson = (d: WebhookDelivery) => ({
  id: d.id,
  event_id: d.eventId,
  type: d.type,
  attempt: d.attempt,
  status: d.status,
  response_status: d.responseStatus,
  error: d.error,
  created_at: iso(d.createdAt),
  next_attempt_at: d.nextAttemptAt === null ? null : iso(d.nextAttemptAt),
});

const isIdCursor = (v: unknown): v is string => typeof v === 'string' && v.length <= 64;
/** Every list here pages by the last row's id (the repository continues below that row's created_at and id). */
const byId = (row: { id: string }) => row.id;

export async function webhookRoutes(fastify: FastifyInstance, ctx: AppContext): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const webhooks = ctx.webhooks;

  app.post(
    '/v1/webhooks',
    {
      config: { access: 'admin' },
      schema: {
        tags,
        summary: 'Add a webhook endpoint; the answer carries its signing secret, the only time it is shown',
        description:
          'Every delivery is a POST of {id, type, created_at, data} signed with Spendguard-Signature: ' +
          't=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>. Audited (webhook.create).',
        body: CreateWebhookBody,
        response: {
          201: ref(CreatedWebhookEndpointSchema, 'the endpoint, with its secret'),
          ...errors(400, 401, 403, 409, 413, 415, 429, 500, 503),
        },
      },
    },
    async (request, reply) => {
      const created = await webhooks.create(principalOf(request), request.body);
      return reply.code(201).send({ ...endpointJson(created), secret: created.secret });
    },
  );

  app.get(
    '/v1/webhooks',
    {
      config: { access: 'admin' },
      schema: {
        tags,
        summary: 'The customer’s webhook endpoints (never their secrets)',
        querystring: PageQuery,
        response: {
          200: ref(WebhookEndpointPageSchema, 'one page, by id'),
          ...errors(400, 401, 403, 429, 500, 503),
        },
      },
    },
    async (request) => {
      const limit = request.query.limit ?? 50;
      const after = decodeCursor(request.query.cursor, isIdCursor);
      const list = await webhooks.list(principalOf(request).customerId, after, limit + 1);
      return pageOf(list, limit, byId, endpointJson);
    },
  );

  app.delete(
    '/v1/webhooks/:id',
    {
      config: { access: 'admin' },
      schema: {
        tags,
        summary: 'Delete a webhook endpoint: no new deliveries; its pending ones end as failed',
        params: WebhookParams,
        response: {
          204: { type: 'null', description: 'deleted' },
          ...errors(400, 401, 403, 404, 429, 500, 503),
        },
      },
    },
    async (request, reply) => {
      await webhooks.remove(principalOf(request), request.params.id);
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/v1/webhooks/:id/test',
    {
      config: { access: 'admin' },
      schema: {
        tags,
        summary: 'Send a webhook.test to this endpoint (whatever its events)',
        params: WebhookParams,
        response: {
          202: {
            type: 'object',
            required: ['event_id'],
            additionalProperties: false,
            properties: { event_id: { type: 'string', description: 'whevt_…: the test alert' } },
            description: 'queued; see the delivery log',
          },
          ...errors(400, 401, 403, 404, 429, 500, 503),
        },
      },
    },
    async (request, reply) => {
      const eventId = await webhooks.test(principalOf(request).customerId, request.params.id);
      return reply.code(202).send({ event_id: eventId });
    },
  );

  app.get(
    '/v1/webhooks/:id/deliveries',
    {
      config: { access: 'admin' },
      schema: {
        tags,
        summary:
          'The endpoint’s delivery log, newest first: one row per alert, its attempts and last outcome',
        params: WebhookParams,
        querystring: PageQuery,
        response: {
          200: ref(WebhookDeliveryPageSchema, 'one page'),
          ...errors(400, 401, 403, 404, 429, 500, 503),
        },
      },
    },
    async (request) => {
      const limit = request.query.limit ?? 50;
      const after = decodeCursor(request.query.cursor, isIdCursor);
      const list = await webhooks.deliveries(
        principalOf(request).customerId,
        request.params.id,
        after,
        limit + 1,
      );
      return pageOf(list, limit, byId, deliveryJson);
    },
  );

  app.post(
    '/v1/webhooks/:id/deliveries/:delivery_id/retry',
    {
      config: { access: 'admin' },
      schema: {
        tags,
        summary: 'Deliver this alert again now (also a delivered or failed one), with the same id and body',
        params: DeliveryParams,
        response: {
          202: ref(AcceptedSchema, 'queued'),
          ...errors(400, 401, 403, 404, 429, 500, 503),
        },
      },
    },
    async (request, reply) => {
      const { id, delivery_id } = request.params;
      const delivery = await webhooks.retry(principalOf(request).customerId, id, delivery_id);
      return reply.code(202).send({ delivery: deliveryJson(delivery) });
    },
  );

  app.get(
    '/v1/alerts',
    {
      config: { access: 'admin' },
      schema: {
        tags,
        summary: 'The customer’s alerts, newest first, whether or not a webhook endpoint received them',
        querystring: PageQuery,
        response: {
          200: ref(AlertPageSchema, 'one page'),
          ...errors(400, 401, 403, 429, 500, 503),
        },
      },
    },
    async (request) => {
      const limit = request.query.limit ?? 50;
      const after = decodeCursor(request.query.cursor, isIdCursor);
      const list = await webhooks.alerts(principalOf(request).customerId, after, limit + 1);
      return pageOf(list, limit, byId, (alert) => alert);
    },
  );
}
