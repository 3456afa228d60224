// Wire shapes of the money routes (docs/api.md §5, §6, §9): events, reservations and their request bodies.
import { Type } from 'typebox';
import {
  BudgetSchema,
  Cursor,
  Limit,
  Micros,
  MicrosInput,
  Name,
  Nullable,
  Page,
  ref,
  Timestamp,
  UsdInput,
  UsdString,
} from './common.js';

export const Metadata = Type.Record(Type.String(), Type.Unknown(), {
  description: 'any JSON object, at most 64 keys and 8 KiB serialized; kept with the event',
});

/** The body field alternative to the Idempotency-Key header. */
export const IdempotencyKeyField = Type.Optional(
  Type.String({
    minLength: 1,
    maxLength: 255,
    pattern: '^[\\x20-\\x7E]+$',
    description: 'instead of the Idempotency-Key header (equal if both are given)',
  }),
);

/** docs/api.md §7: what the agent's `repeats` limit counts; the client chooses it (e.g. a hash of model + prompt). */
export const FingerprintField = Type.Optional(
  Type.String({
    minLength: 1,
    maxLength: 128,
    pattern: '^[\\x20-\\x7E]{1,128}$',
    description:
      'identifies a repeated call (e.g. a hash of model + prompt); counted against the agent’s repeats limit: ' +
      'more than `max` with one fingerprint within the window is 403 loop_detected',
  }),
);

const EventStatus = Type.Union([Type.Literal('accepted'), Type.Literal('declined')]);

const Tokens = (description: string) => Type.Integer({ minimum: 0, maximum: 1_000_000_000, description });
export const ProviderField = Type.String({
  minLength: 1,
  maxLength: 64,
  pattern: '^[A-Za-z0-9._-]+$',
  description: 'openai, anthropic, …',
});
export const ModelField = Type.String({
  minLength: 1,
  maxLength: 200,
  pattern: '^[\\x21-\\x7E]+$',
  description: 'as the provider names it; dated snapshot ids too',
});

/** An event's (or commit's) `usage` in a request: the token counts, or the provider's own usage object as `raw`. */
export const UsageInputSchema = Type.Object(
  {
    provider: ProviderField,
    model: ModelField,
    input_tokens: Type.Optional(Tokens('every input token, cache reads and writes included')),
    output_tokens: Type.Optional(Tokens('every output token, reasoning included')),
    cache_read_tokens: Type.Optional(Tokens('the part of input_tokens read from the prompt cache')),
    cache_write_tokens: Type.Optional(Tokens('the part of input_tokens written to the prompt cache')),
    raw: Type.Optional(
      Type.Record(Type.String(), Type.Unknown(), {
        maxProperties: 64,
        description:
          'instead of the counts: the provider’s usage object as its API returned it (OpenAI chat-completions or responses, Anthropic messages)',
      }),
    ),
  },
  {
    additionalProperties: false,
    description: 'priced from the bundled catalogue; an unknown model is 422 unknown_model',
  },
);

/** A reservation's `estimate` (docs/api.md §6): held at the usage's price with every input token uncached. */
export const EstimateInputSchema = Type.Object(
  {
    provider: ProviderField,
    model: ModelField,
    input_tokens: Tokens('the prompt’s tokens, all priced as uncached input'),
    max_output_tokens: Tokens('the most the call may generate (its max_tokens)'),
  },
  {
    additionalProperties: false,
    description: 'priced from the catalogue like a usage; an unknown model is 422 unknown_model',
  },
);

export const UsageSchema = Type.Object(
  {
    provider: Type.String(),
    model: Type.String(),
    input_tokens: Type.Integer(),
    output_tokens: Type.Integer(),
    cache_read_tokens: Type.Integer(),
    cache_write_tokens: Type.Integer(),
  },
  {
    $id: 'Usage',
    additionalProperties: false,
    description: 'the usage an event was priced from, normalised',
  },
);

const PerMtok = Nullable(
  Type.String({ description: 'USD per million tokens, exact decimal; null where not priced' }),
);

export const PriceSchema = Type.Object(
  {
    source: Type.Union([Type.Literal('catalogue'), Type.Literal('customer')], {
      description: 'the bundled catalogue, or the customer’s own price (docs/api.md §14)',
    }),
    catalogue_version: Nullable(
      Type.String({ description: 'e.g. genai-prices@0.1.8; null for the customer’s own price' }),
    ),
    input_per_mtok_usd: PerMtok,
    output_per_mtok_usd: PerMtok,
    cache_read_per_mtok_usd: PerMtok,
    cache_write_per_mtok_usd: PerMtok,
  },
  { $id: 'Price', additionalProperties: false, description: 'the prices an event was charged at' },
);

export const EventSchema = Type.Object(
  {
    id: Type.String({ description: 'evt_…' }),
    agent: Type.String(),
    cost_micros: Micros,
    cost_usd: UsdString,
    idempotency_key: Type.String(),
    occurred_at: Timestamp,
    recorded_at: Timestamp,
    status: EventStatus,
    decline_code: Type.Optional(
      Nullable(Type.String({ description: 'why a declined event was declined (an error code)' })),
    ),
    run: Nullable(Type.String()),
    metadata: Nullable(Metadata),
    reservation_id: Type.Optional(
      Nullable(Type.String({ description: 'the reservation it committed, if any' })),
    ),
    usage: Type.Optional(ref(UsageSchema, 'for an event priced from usage: the usage, normalised')),
    price: Type.Optional(ref(PriceSchema, 'for an event priced from usage: the prices it was charged at')),
  },
  { $id: 'Event', additionalProperties: false },
);

export const EventCreatedSchema = Type.Object(
  { event: ref(EventSchema), budget: ref(BudgetSchema) },
  { $id: 'EventCreated', additionalProperties: false },
);

export const EventPageSchema = Type.Object(Page(ref(EventSchema)).properties, {
  $id: 'EventPage',
  additionalProperties: false,
});

export const EventBody = Type.Object(
  {
    agent: Name('agent name; created on its first event when the customer allows it'),
    cost_usd: Type.Optional(UsdInput('the cost')),
    cost_micros: Type.Optional(MicrosInput('the cost')),
    usage: Type.Optional(UsageInputSchema),
    run: Type.Optional(Name('one run/task/session of the agent; its run limit caps what the run may spend')),
    occurred_at: Type.Optional(
      Type.String({ format: 'date-time', description: 'informational; default now' }),
    ),
    metadata: Type.Optional(Metadata),
    idempotency_key: IdempotencyKeyField,
    fingerprint: FingerprintField,
  },
  {
    additionalProperties: false,
    description: 'exactly one of cost_usd / cost_micros / usage',
    examples: [
      {
        agent: 'research-bot',
        cost_usd: '0.0123',
        run: 'task-8812',
        metadata: { model: 'gpt-4o', tokens: 1834 },
      },
      { agent: 'research-bot', cost_micros: 12300 },
      {
        agent: 'research-bot',
        usage: {
          provider: 'openai',
          model: 'gpt-4o-mini',
          input_tokens: 1200,
          output_tokens: 350,
          cache_read_tokens: 1000,
        },
      },
      {
        agent: 'research-bot',
        usage: {
          provider: 'anthropic',
          model: 'claude-sonnet-4-5',
          raw: { input_tokens: 2000, cache_read_input_tokens: 5000, output_tokens: 1000 },
        },
      },
    ],
  },
);

export const EventListQuery = Type.Object(
  {
    agent: Type.Optional(Name('only this agent')),
    status: Type.Optional(EventStatus),
    from: Type.Optional(Type.String({ format: 'date-time', description: 'recorded at or after' })),
    to: Type.Optional(Type.String({ format: 'date-time', description: 'recorded before' })),
    limit: Limit,
    cursor: Cursor,
  },
  { additionalProperties: false },
);

export const RESERVATION_ID_PATTERN = '^rsv_[A-Za-z0-9]{1,64}$';
export const ReservationStatus = Type.Union(
  [
    Type.Literal('held'),
    Type.Literal('committed'),
    Type.Literal('released'),
    Type.Literal('expired'),
    Type.Literal('declined'),
  ],
  { description: 'a held reservation past expires_at reads expired' },
);

export const ReservationSchema = Type.Object(
  {
    id: Type.String({ description: 'rsv_…' }),
    agent: Type.String(),
    run: Nullable(Type.String()),
    amount_micros: Micros,
    amount_usd: UsdString,
    status: ReservationStatus,
    decline_code: Type.Optional(Type.String()),
    expires_at: Timestamp,
    created_at: Timestamp,
    finished_at: Nullable(Timestamp),
    event_id: Nullable(Type.String({ description: 'the event its commit recorded' })),
  },
  { $id: 'Reservation', additionalProperties: false },
);

export const ReservationCreatedSchema = Type.Object(
  { reservation: ref(ReservationSchema), budget: ref(BudgetSchema) },
  { $id: 'ReservationCreated', additionalProperties: false },
);

/** One reservation: GET /v1/reservations/{id} and the answer of a release. */
export const ReservationEnvelopeSchema = Type.Object(
  { reservation: ref(ReservationSchema) },
  { $id: 'ReservationEnvelope', additionalProperties: false },
);

export const ReservationPageSchema = Type.Object(Page(ref(ReservationSchema)).properties, {
  $id: 'ReservationPage',
  additionalProperties: false,
});

export const ReserveBody = Type.Object(
  {
    agent: Name('agent name; created on its first request when the customer allows it'),
    amount_usd: Type.Optional(UsdInput('the estimate')),
    amount_micros: Type.Optional(MicrosInput('the estimate')),
    estimate: Type.Optional(EstimateInputSchema),
    ttl_seconds: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 3600,
        description: 'seconds until the hold expires (default 300)',
      }),
    ),
    run: Type.Optional(Name('one run of the agent')),
    idempotency_key: IdempotencyKeyField,
    fingerprint: FingerprintField,
  },
  {
    additionalProperties: false,
    description: 'exactly one of amount_usd / amount_micros / estimate',
    examples: [
      { agent: 'research-bot', amount_usd: '0.05', ttl_seconds: 120 },
      {
        agent: 'research-bot',
        estimate: { provider: 'openai', model: 'gpt-4o-mini', input_tokens: 1200, max_output_tokens: 1000 },
      },
    ],
  },
);

export const CommitBody = Type.Object(
  {
    cost_usd: Type.Optional(UsdInput('the real cost')),
    cost_micros: Type.Optional(MicrosInput('the real cost')),
    usage: Type.Optional(UsageInputSchema),
    metadata: Type.Optional(Metadata),
  },
  {
    additionalProperties: false,
    description: 'exactly one of cost_usd / cost_micros / usage; recorded even above the estimate',
    examples: [
      { cost_usd: '0.0312', metadata: { model: 'gpt-4o', tokens: 2210 } },
      { usage: { provider: 'openai', model: 'gpt-4o-mini', input_tokens: 1200, output_tokens: 310 } },
    ],
  },
);

export const ReservationIdParams = Type.Object({
  id: Type.String({ pattern: RESERVATION_ID_PATTERN }),
});

export const ReservationListQuery = Type.Object(
  {
    agent: Type.Optional(Name('only this agent')),
    status: Type.Optional(ReservationStatus),
    limit: Limit,
    cursor: Cursor,
  },
  { additionalProperties: false },
);
