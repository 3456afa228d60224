// Every component schema of the API, registered once with Fastify (for the OpenAPI document) and with the Ajv
// instances that validate requests and check responses (http/validation.ts). A schema used through ref() must be
// listed here, before the schemas that point at it.
import type { TSchema } from 'typebox';
import {
  ApiKeyPageSchema,
  ApiKeySchema,
  CreatedApiKeySchema,
  InviteSchema,
  SessionCustomerSchema,
  SessionSchema,
  SignupStatusSchema,
  UserPageSchema,
  UserSchema,
} from './accounts.js';
import {
  AgentPageSchema,
  AgentSchema,
  AuditEntrySchema,
  AuditPageSchema,
  CustomerSchema,
  LimitsSchema,
  ModelSpendSchema,
  OtherModelsSpendSchema,
  TimeseriesSchema,
} from './agents.js';
import { ApiErrorSchema, BudgetPeriodSchema, BudgetSchema, ErrorBodySchema } from './common.js';
import { ReadySchema } from './operations.js';
import { CustomerPricePageSchema, CustomerPriceSchema, ModelPriceSchema, PricesSchema } from './prices.js';
import { ProviderCredentialListSchema, ProviderCredentialSchema } from './providers.js';
import {
  EventCreatedSchema,
  EventPageSchema,
  EventSchema,
  PriceSchema,
  ReservationCreatedSchema,
  ReservationEnvelopeSchema,
  ReservationPageSchema,
  ReservationSchema,
  UsageSchema,
} from './spend.js';
import {
  AcceptedSchema,
  CreatedWebhookEndpointSchema,
  WebhookDeliveryPageSchema,
  WebhookDeliverySchema,
  WebhookEndpointPageSchema,
  WebhookEndpointSchema,
} from './webhooks.js';

export const COMPONENT_SCHEMAS: ReadonlyArray<TSchema> = [
  ApiErrorSchema,
  ErrorBodySchema,
  BudgetPeriodSchema,
  BudgetSchema,
  UsageSchema,
  PriceSchema,
  PricesSchema,
  ModelPriceSchema,
  CustomerPriceSchema,
  CustomerPricePageSchema,
  ProviderCredentialSchema,
  ProviderCredentialListSchema,
  WebhookEndpointSchema,
  CreatedWebhookEndpointSchema,
  WebhookEndpointPageSchema,
  WebhookDeliverySchema,
  WebhookDeliveryPageSchema,
  AcceptedSchema,
  EventSchema,
  EventCreatedSchema,
  EventPageSchema,
  ReservationSchema,
  ReservationCreatedSchema,
  ReservationEnvelopeSchema,
  ReservationPageSchema,
  LimitsSchema,
  AgentSchema,
  AgentPageSchema,
  ModelSpendSchema,
  OtherModelsSpendSchema,
  TimeseriesSchema,
  CustomerSchema,
  AuditEntrySchema,
  AuditPageSchema,
  UserSchema,
  UserPageSchema,
  InviteSchema,
  SignupStatusSchema,
  SessionCustomerSchema,
  SessionSchema,
  ApiKeySchema,
  CreatedApiKeySchema,
  ApiKeyPageSchema,
  ReadySchema,
];
