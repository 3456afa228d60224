// Response shapes of the Spendguard API, generated from the server's OpenAPI document (./generated/openapi.ts,
// `npm run generate:api-types`): exactly the JSON the server sends. The names below are the ones the pages import.
import type { components } from './generated/openapi.js';

type Schemas = components['schemas'];

export type Limits = Schemas['Limits'];
export type VelocityLimit = NonNullable<Limits['velocity']>;
export type Agent = Schemas['Agent'];
/** An agent's accepted spend plus live holds. */
export type Spend = Agent['spend'];
export type AgentStatus = Agent['status'];

export type SpendEvent = Schemas['Event'];

export type Reservation = Schemas['Reservation'];

export type Timeseries = Schemas['Timeseries'];
export type TimeseriesPoint = Timeseries['data'][number];
/** One model's spend in a ?by=model bucket (`by_model`); provider and model null for events given a cost. */
export type ModelSpend = Schemas['ModelSpend'];
export type Granularity = Timeseries['granularity'];

/** One page of a list (AgentPage, EventPage, …): pass `next_cursor` as `?cursor=` (null on the last page). */
export interface Page<T> {
  data: T[];
  next_cursor: Schemas['AgentPage']['next_cursor'];
}

export type ApiKey = Schemas['ApiKey'];
export type CreatedApiKey = Schemas['CreatedApiKey'];

export type Customer = Schemas['Customer'];
/** One of the customer's own prices (GET /v1/prices/customer). */
export type CustomerPrice = Schemas['CustomerPrice'];

/** A provider credential of the LLM gateway (GET/PUT /v1/providers, docs/api.md §12): never the key, only its hint. */
export type ProviderCredential = Schemas['ProviderCredential'];

export type User = Schemas['User'];
export type Session = Schemas['Session'];

export type AuditEntry = Schemas['AuditEntry'];

/** A webhook endpoint and its delivery log (docs/api.md §13); the secret only in the create answer. */
export type WebhookEndpoint = Schemas['WebhookEndpoint'];
export type CreatedWebhookEndpoint = Schemas['CreatedWebhookEndpoint'];
export type WebhookDelivery = Schemas['WebhookDelivery'];
/** An alert as GET /v1/alerts lists it (the body its webhooks carry). */
export type Alert = Schemas['Alert'];

// Payloads of the Server-Sent Events of GET /v1/stream. The stream is `text/event-stream`, so the OpenAPI document
// does not describe its frames; they are built from the components they carry.

/** `spend`: an agent's spend after an accepted event or commit. */
export interface StreamSpend {
  agent: Agent['name'];
  spend: Spend;
}

/** `declined`: a declined event (with the event) or a declined reservation (with the reservation). */
export interface StreamDeclined {
  agent: Agent['name'];
  /** The error code it was declined with (budget_exceeded, agent_suspended). */
  code: Schemas['ApiError']['code'];
  event?: SpendEvent;
  reservation?: Reservation;
}
