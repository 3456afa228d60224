// Wire shapes of webhooks (docs/api.md §13): endpoints (the secret only in the create answer), the delivery log.
import { Type } from 'typebox';
import { WEBHOOK_EVENT_TYPES } from '../webhooks/types.js';
import { MAX_WEBHOOK_URL_LENGTH } from '../webhooks/url.js';
import { Cursor, Limit, Nullable, Page, ref, Timestamp } from './common.js';

const EventType = Type.Union(
  [
    Type.Literal('budget.threshold'),
    Type.Literal('agent.suspended'),
    Type.Literal('agent.resumed'),
    Type.Literal('webhook.test'),
  ],
  { description: WEBHOOK_EVENT_TYPES.join(', ') },
);

const endpointFields = {
  id: Type.String({ description: 'wh_…' }),
  url: Type.String(),
  events: Type.Array(EventType, { description: 'the alert types delivered to it' }),
  description: Nullable(Type.String()),
  created_at: Timestamp,
};

export const WebhookEndpointSchema = Type.Object(endpointFields, {
  $id: 'WebhookEndpoint',
  additionalProperties: false,
  description: 'a webhook endpoint; its secret is shown only when it is created',
});

export const CreatedWebhookEndpointSchema = Type.Object(
  {
    ...endpointFields,
    secret: Type.String({
      description:
        'whsec_…: the HMAC-SHA256 key of Spendguard-Signature (the whole string, UTF-8). Shown this once only',
    }),
  },
  { $id: 'CreatedWebhookEndpoint', additionalProperties: false },
);

export const WebhookEndpointPageSchema = Type.Object(
  { ...Page(ref(WebhookEndpointSchema)).properties },
  { $id: 'WebhookEndpointPage', additionalProperties: false },
);

export const CreateWebhookBody = Type.Object(
  {
    url: Type.String({
      minLength: 1,
      maxLength: MAX_WEBHOOK_URL_LENGTH,
      description:
        'https to a public address (http and private addresses only with SPENDGUARD_WEBHOOK_ALLOW_PRIVATE=1); no ' +
        'user name, password or fragment',
    }),
    events: Type.Optional(
      Type.Array(EventType, {
        minItems: 1,
        uniqueItems: true,
        description: 'the alert types to deliver; default: all',
      }),
    ),
    description: Type.Optional(Nullable(Type.String({ maxLength: 500 }))),
  },
  {
    additionalProperties: false,
    examples: [
      {
        url: 'https://hooks.example.com/spendguard',
        events: ['agent.suspended', 'agent.resumed'],
        description: 'on-call pager',
      },
    ],
  },
);

export const WebhookParams = Type.Object({ id: Type.String({ maxLength: 64 }) });
export const DeliveryParams = Type.Object({
  id: Type.String({ maxLength: 64 }),
  delivery_id: Type.String({ maxLength: 64 }),
});
export const PageQuery = Type.Object({ limit: Limit, cursor: Cursor }, { additionalProperties: false });

export const WebhookDeliverySchema = Type.Object(
  {
    id: Type.String({ description: 'whdel_…' }),
    event_id: Type.String({ description: 'whevt_…: the id every attempt of this alert carries' }),
    type: Type.String(),
    attempt: Type.Integer({ description: 'attempts so far' }),
    status: Type.Union([Type.Literal('pending'), Type.Literal('delivered'), Type.Literal('failed')]),
    response_status: Nullable(Type.Integer({ description: 'the HTTP status of the last attempt' })),
    error: Nullable(Type.String({ description: 'why the last attempt did not deliver' })),
    created_at: Timestamp,
    next_attempt_at: Nullable(Timestamp),
  },
  { $id: 'WebhookDelivery', additionalProperties: false },
);

export const WebhookDeliveryPageSchema = Type.Object(
  { ...Page(ref(WebhookDeliverySchema)).properties },
  { $id: 'WebhookDeliveryPage', additionalProperties: false },
);

export const AcceptedSchema = Type.Object(
  { delivery: ref(WebhookDeliverySchema) },
  { $id: 'WebhookRetryAccepted', additionalProperties: false },
);

export const AlertSchema = Type.Object(
  {
    id: Type.String({ description: 'whevt_…: also the id its webhook deliveries carry' }),
    type: Type.String({ description: 'budget.threshold, agent.suspended or agent.resumed' }),
    created_at: Timestamp,
    data: Type.Unknown({ description: 'as delivered (docs/api.md §13)' }),
  },
  { $id: 'Alert', additionalProperties: false },
);

export const AlertPageSchema = Type.Object(
  { ...Page(ref(AlertSchema)).properties },
  { $id: 'AlertPage', additionalProperties: false },
);
