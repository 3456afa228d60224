// Wire shapes of agents, their limits and the customer's budget settings (docs/api.md §7, §8, §9).
import { Type } from 'typebox';
import { MAX_MODELS_PER_BUCKET } from '../agents/timeseries.js';
import { Cursor, Limit, Micros, Name, Nullable, Page, ref, Timestamp, UsdString } from './common.js';

const UsdOrNull = Type.Union([Type.Number(), Type.String(), Type.Null()], {
  description: 'USD as a number or decimal string; null = no limit',
});
const MicrosOrNull = Type.Union([Type.Integer(), Type.Null()], {
  description: 'integer micro-dollars; null = no limit',
});

/** A limits object in a request: per limit `*_usd` or `*_micros` (not both); null = none; left out = unchanged. */
export const LimitsInputSchema = Type.Object(
  {
    month_usd: Type.Optional(UsdOrNull),
    month_micros: Type.Optional(MicrosOrNull),
    day_usd: Type.Optional(UsdOrNull),
    day_micros: Type.Optional(MicrosOrNull),
    run_usd: Type.Optional(UsdOrNull),
    run_micros: Type.Optional(MicrosOrNull),
    velocity: Type.Optional(
      Type.Union([
        Type.Object(
          {
            window_seconds: Type.Integer({ minimum: 1, maximum: 3600 }),
            max_usd: Type.Optional(Type.Union([Type.Number(), Type.String()])),
            max_micros: Type.Optional(Type.Integer()),
          },
          { additionalProperties: false, description: 'at most max_* within any window_seconds' },
        ),
        Type.Null(),
      ]),
    ),
    repeats: Type.Optional(
      Type.Union([
        Type.Object(
          {
            max: Type.Integer({ minimum: 1, maximum: 100_000 }),
            window_seconds: Type.Integer({ minimum: 1, maximum: 86_400 }),
          },
          {
            additionalProperties: false,
            description:
              'loop detection: more than max requests with one fingerprint within window_seconds is 403 ' +
              'loop_detected and suspends the agent (reason loop_detected)',
          },
        ),
        Type.Null(),
      ]),
    ),
  },
  {
    additionalProperties: false,
    description: 'per limit give *_usd or *_micros, not both; null removes the limit; left out keeps it',
  },
);

export const LimitsSchema = Type.Object(
  {
    month_micros: Nullable(Micros),
    day_micros: Nullable(Micros),
    run_micros: Nullable(Micros),
    velocity: Nullable(
      Type.Object({ window_seconds: Type.Integer(), max_micros: Micros }, { additionalProperties: false }),
    ),
    repeats: Nullable(
      Type.Object(
        { max: Type.Integer(), window_seconds: Type.Integer() },
        {
          additionalProperties: false,
          description: 'at most max requests with one fingerprint within window_seconds',
        },
      ),
    ),
  },
  { $id: 'Limits', additionalProperties: false, description: 'null = no limit' },
);

export const SuspendReason = Type.Union(
  [
    Type.Literal('manual'),
    Type.Literal('budget_exceeded'),
    Type.Literal('velocity_exceeded'),
    Type.Literal('loop_detected'),
  ],
  { description: 'budget_exceeded lifts by itself when its period rolls over; the others only by resume' },
);

export const AgentSchema = Type.Object(
  {
    id: Type.String({ description: 'agt_…' }),
    name: Type.String(),
    status: Type.Union([Type.Literal('active'), Type.Literal('suspended')], {
      description: 'the kill switch: a suspended agent’s events are declined',
    }),
    suspended_reason: Nullable(SuspendReason),
    suspended_at: Nullable(Timestamp),
    suspended_period: Nullable(
      Type.Union([Type.Literal('month'), Type.Literal('day'), Type.Literal('velocity')], {
        description: 'which limit a budget_exceeded or velocity_exceeded suspension broke',
      }),
    ),
    resumes_at: Nullable(
      Type.String({
        format: 'date-time',
        description:
          'when the suspension lifts by itself (a budget_exceeded one, at its period’s end); null = only by resume',
      }),
    ),
    suspended_note: Nullable(Type.String()),
    limits: ref(LimitsSchema),
    spend: Type.Object(
      { month_micros: Type.Integer(), day_micros: Type.Integer(), velocity_micros: Type.Integer() },
      { additionalProperties: false, description: 'accepted spend plus live holds' },
    ),
    auto_created: Type.Boolean({
      description:
        'created on the fly by its first event or reservation, not by a person (a typo shows here)',
    }),
    archived_at: Nullable(
      Type.String({
        format: 'date-time',
        description: 'archived by DELETE: its events are refused until restore',
      }),
    ),
    created_at: Timestamp,
    last_event_at: Nullable(Timestamp),
  },
  { $id: 'Agent', additionalProperties: false },
);

export const AgentPageSchema = Type.Object(Page(ref(AgentSchema)).properties, {
  $id: 'AgentPage',
  additionalProperties: false,
});

// Any string: a name that cannot be an agent's answers 404 like an unknown agent (agents/service.ts).
export const AgentNameParams = Type.Object({ name: Type.String() });
export const AgentListQuery = Type.Object(
  {
    limit: Limit,
    cursor: Cursor,
    archived: Type.Optional(
      Type.Boolean({
        default: false,
        description: 'true lists only archived agents, false (default) only live ones',
      }),
    ),
  },
  { additionalProperties: false },
);

export const CreateAgentBody = Type.Object(
  {
    name: Name('unique per customer'),
    limits: Type.Optional(LimitsInputSchema),
  },
  {
    additionalProperties: false,
    examples: [
      {
        name: 'research-bot',
        limits: { month_usd: '50', day_usd: '5', velocity: { window_seconds: 60, max_usd: '2' } },
      },
    ],
  },
);

export const PatchAgentBody = Type.Object(
  { limits: LimitsInputSchema },
  { additionalProperties: false, examples: [{ limits: { day_usd: '10', run_micros: null } }] },
);

export const SuspendBody = Type.Union(
  [
    Type.Object(
      { note: Type.Optional(Type.String({ maxLength: 1000, description: 'why; shown on the agent' })) },
      { additionalProperties: false },
    ),
    Type.Null(),
  ],
  { examples: [{ note: 'looping on the same search' }] },
);

const Granularity = Type.Union([Type.Literal('minute'), Type.Literal('hour'), Type.Literal('day')]);

export const TimeseriesQuery = Type.Object(
  {
    granularity: Type.Optional(Type.Union(Granularity.anyOf, { default: 'hour' })),
    from: Type.Optional(Type.String({ format: 'date-time' })),
    to: Type.Optional(Type.String({ format: 'date-time' })),
    by: Type.Optional(
      Type.Literal('model', {
        description: 'model: split each bucket by the model its events were priced for',
      }),
    ),
  },
  { additionalProperties: false },
);

// The token sums of a model's events in one bucket; 0 for events not priced from usage.
const TokenSums = {
  input_tokens: Type.Integer(),
  output_tokens: Type.Integer(),
  cache_read_tokens: Type.Integer(),
  cache_write_tokens: Type.Integer(),
};

export const ModelSpendSchema = Type.Object(
  {
    provider: Nullable(
      Type.String({ description: 'as the events’ usage names it; null: not priced from usage' }),
    ),
    model: Nullable(
      Type.String({ description: 'as the events’ usage names it; null: not priced from usage' }),
    ),
    spent_micros: Type.Integer(),
    event_count: Type.Integer(),
    ...TokenSums,
  },
  {
    $id: 'ModelSpend',
    additionalProperties: false,
    description: 'one model’s accepted spend in a bucket; provider and model null for events given a cost',
  },
);

export const OtherModelsSpendSchema = Type.Object(
  {
    models: Type.Integer({ description: 'how many models were folded into this entry' }),
    spent_micros: Type.Integer(),
    event_count: Type.Integer(),
    ...TokenSums,
  },
  {
    $id: 'OtherModelsSpend',
    additionalProperties: false,
    description: `the models of a bucket beyond the first ${MAX_MODELS_PER_BUCKET} by spend, summed`,
  },
);

export const TimeseriesSchema = Type.Object(
  {
    granularity: Granularity,
    from: Timestamp,
    to: Timestamp,
    data: Type.Array(
      Type.Object(
        {
          bucket_start: Timestamp,
          spent_micros: Type.Integer(),
          event_count: Type.Integer(),
          by_model: Type.Optional(
            Type.Array(ref(ModelSpendSchema), {
              description: `?by=model only: the bucket split by model, largest spend first, at most ${MAX_MODELS_PER_BUCKET} entries`,
            }),
          ),
          other_models: Type.Optional(
            Type.Union([ref(OtherModelsSpendSchema), Type.Null()], {
              description: `?by=model only: the models beyond the first ${MAX_MODELS_PER_BUCKET}, summed; null when by_model lists all`,
            }),
          ),
        },
        { additionalProperties: false },
      ),
      { description: 'buckets with accepted spend, oldest first; empty buckets are left out' },
    ),
  },
  { $id: 'Timeseries', additionalProperties: false },
);

/** docs/api.md §12: what a gateway call's output is estimated at when the request gives no maximum of its own. */
export const MAX_GATEWAY_DEFAULT_OUTPUT_TOKENS = 1_000_000;
const GatewayDefaultMaxOutputTokens = Type.Integer({
  minimum: 1,
  maximum: MAX_GATEWAY_DEFAULT_OUTPUT_TOKENS,
  description:
    'LLM gateway: the output tokens a call is estimated (held) at when the request sets no max_tokens / ' +
    'max_completion_tokens / max_output_tokens (capped at the model’s output limit); default 4096',
});

/** docs/api.md §13: the percentages of a limit at which budget.threshold alerts fire. */
const AlertThresholdsPercent = Type.Array(Type.Integer({ minimum: 1, maximum: 100 }), {
  maxItems: 10,
  uniqueItems: true,
  description:
    'budget.threshold webhooks fire once per period window when accepted spend first reaches each of these ' +
    'percentages of an agent’s month/day limit or the customer’s month limit; [] = none; default [50, 80, 100]',
});

export const CustomerSchema = Type.Object(
  {
    id: Type.String({ description: 'cus_…' }),
    name: Type.String(),
    limits: Type.Object(
      { month_micros: Nullable(Micros), month_usd: Nullable(UsdString) },
      { additionalProperties: false },
    ),
    default_agent_limits: ref(LimitsSchema),
    auto_create_agents: Type.Boolean(),
    gateway_default_max_output_tokens: GatewayDefaultMaxOutputTokens,
    alert_thresholds_percent: AlertThresholdsPercent,
    spend: Type.Object(
      { month_micros: Type.Integer(), resets_at: Timestamp },
      { additionalProperties: false },
    ),
  },
  { $id: 'Customer', additionalProperties: false },
);

export const PatchCustomerBody = Type.Object(
  {
    limits: Type.Optional(
      Type.Object(
        { month_usd: Type.Optional(UsdOrNull), month_micros: Type.Optional(MicrosOrNull) },
        { additionalProperties: false },
      ),
    ),
    default_agent_limits: Type.Optional(LimitsInputSchema),
    auto_create_agents: Type.Optional(Type.Boolean()),
    gateway_default_max_output_tokens: Type.Optional(GatewayDefaultMaxOutputTokens),
    alert_thresholds_percent: Type.Optional(AlertThresholdsPercent),
  },
  {
    additionalProperties: false,
    examples: [{ limits: { month_usd: '500' }, default_agent_limits: { month_usd: '10' } }],
  },
);

export const AuditEntrySchema = Type.Object(
  {
    id: Type.String(),
    actor_type: Type.String({ description: 'user, api_key or system' }),
    actor_id: Nullable(Type.String()),
    action: Type.String({ description: 'e.g. agent.suspend, agent.limits, api_key.revoke' }),
    target_type: Type.String(),
    target_id: Nullable(Type.String()),
    before: Type.Unknown(),
    after: Type.Unknown(),
    created_at: Timestamp,
  },
  { $id: 'AuditEntry', additionalProperties: false },
);

export const AuditPageSchema = Type.Object(Page(ref(AuditEntrySchema)).properties, {
  $id: 'AuditPage',
  additionalProperties: false,
});

export const AuditListQuery = Type.Object({ limit: Limit, cursor: Cursor }, { additionalProperties: false });
