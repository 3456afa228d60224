// Wire pieces every route shares: money fields, timestamps, the error envelope (docs/api.md §4), pages and the
// `budget` object. Schemas with an `$id` are components of the OpenAPI document (`#/components/schemas/<id>`); routes
// point at them with ref(), so each shape is written once and the generated SDK/dashboard types name it.
import { type Static, type TSchema, type TUnsafe, Type } from 'typebox';
import { ERROR_STATUS, type ErrorCode } from '../http/errors.js';

/**
 * A reference to a component schema, typed as the schema it points at (Fastify resolves `<$id>#`). As a response,
 * `description` is what the document says that answer means.
 */
export function ref<T extends TSchema>(schema: T, description?: string): TUnsafe<Static<T>> {
  const id = (schema as { $id?: unknown }).$id;
  if (typeof id !== 'string') throw new Error('ref() needs a schema with an $id (a component schema)');
  return Type.Unsafe<Static<T>>({ $ref: `${id}#`, ...(description ? { description } : {}) });
}

export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

export const Timestamp = Type.String({ format: 'date-time', description: 'ISO 8601, UTC' });
export const Micros = Type.Integer({ description: 'integer micro-dollars (1 USD = 1,000,000)' });
export const UsdString = Type.String({
  pattern: '^[0-9]+\\.[0-9]{6}$',
  description: 'exact decimal USD with six places, e.g. "0.012300"',
});
/** A USD amount in a request: a JSON number or a decimal string, rounded half-up to whole micros. */
export const UsdInput = (description: string) =>
  Type.Union([Type.Number(), Type.String()], {
    description: `${description}: USD as a JSON number or a decimal string (give this or the *_micros field)`,
  });
export const MicrosInput = (description: string) =>
  Type.Integer({ description: `${description}: integer micro-dollars (give this or the *_usd field)` });

export const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$/;
export const Name = (description: string) => Type.String({ pattern: NAME_PATTERN.source, description });

export const Limit = Type.Optional(
  Type.Integer({ minimum: 1, maximum: 100, default: 50, description: 'page size, 1–100' }),
);
export const Cursor = Type.Optional(
  Type.String({ maxLength: 512, description: 'next_cursor of the previous page' }),
);
export const Page = <T extends TSchema>(item: T) =>
  Type.Object(
    {
      data: Type.Array(item),
      next_cursor: Type.Union([Type.String(), Type.Null()], {
        description: 'pass as ?cursor= for the next page; null on the last page',
      }),
    },
    { additionalProperties: false },
  );

const ErrorDetail = Type.Object(
  { field: Type.String(), problem: Type.String() },
  { additionalProperties: false },
);

/**
 * The `error` object of every error answer. `code` maps to one status (docs/api.md §4); the optional fields are the
 * extras some codes carry (budget_exceeded: scope…resets_at; agent_suspended: reason, suspended_at; loop_detected:
 * fingerprint, count, window_seconds; a declined money request: the recorded event or reservation).
 */
export const ApiErrorSchema = Type.Object(
  {
    code: Type.Unsafe<ErrorCode>({
      type: 'string',
      enum: Object.keys(ERROR_STATUS),
      description: 'machine-readable; one HTTP status per code',
    }),
    message: Type.String({ description: 'for people; never carries internals' }),
    details: Type.Optional(
      Type.Array(ErrorDetail, { description: 'invalid_request: each field and problem' }),
    ),
    field: Type.Optional(
      Type.String({ description: 'conflict: the field whose value is taken or in the way' }),
    ),
    status: Type.Optional(Type.String({ description: 'conflict on a reservation: its status' })),
    event_id: Type.Optional(Type.String()),
    scope: Type.Optional(Type.Union([Type.Literal('agent'), Type.Literal('customer')])),
    period: Type.Optional(
      Type.Union([Type.Literal('month'), Type.Literal('day'), Type.Literal('velocity'), Type.Literal('run')]),
    ),
    limit_micros: Type.Optional(Micros),
    spent_micros: Type.Optional(
      Type.Integer({ description: 'accepted spend plus live holds in that period, before this request' }),
    ),
    resets_at: Type.Optional(Nullable(Timestamp)),
    reason: Type.Optional(
      Type.Union([
        Type.Literal('manual'),
        Type.Literal('budget_exceeded'),
        Type.Literal('velocity_exceeded'),
        Type.Literal('loop_detected'),
      ]),
    ),
    suspended_at: Type.Optional(Nullable(Timestamp)),
    fingerprint: Type.Optional(
      Type.String({ description: 'loop_detected: the fingerprint repeated too often' }),
    ),
    count: Type.Optional(
      Type.Integer({ description: 'loop_detected: requests with it within the window, this one included' }),
    ),
    window_seconds: Type.Optional(Type.Integer({ description: 'loop_detected: the repeats limit’s window' })),
    event: Type.Optional(Type.Unknown({ description: 'a declined event, as recorded' })),
    reservation: Type.Optional(Type.Unknown({ description: 'a declined reservation, as recorded' })),
    provider: Type.Optional(Type.String({ description: 'unknown_model: the provider asked for' })),
    model: Type.Optional(Type.String({ description: 'unknown_model: the model asked for' })),
  },
  { $id: 'ApiError', additionalProperties: false },
);

export const ErrorBodySchema = Type.Object(
  { error: ref(ApiErrorSchema) },
  { $id: 'ErrorBody', additionalProperties: false },
);

/** What each error status means for a client; the descriptions of the documented error responses. */
const ERROR_MEANING: Record<number, string> = {
  400: 'invalid_request: the body, query or a header does not match the schema or a money rule; nothing changed',
  401: 'unauthenticated: no or bad credentials',
  403: 'forbidden, csrf_failed, or (money routes) budget_exceeded / agent_suspended / loop_detected',
  404: 'not_found: no such object for this customer',
  409: 'conflict, or idempotency_key_in_flight (retry after Retry-After)',
  413: 'payload_too_large',
  415: 'unsupported_media_type: send application/json',
  422: 'idempotency_key_reused: this key was used with another body',
  429: 'rate_limited (Retry-After)',
  500: 'internal: a bug; the request id identifies it in the logs',
  503: 'unavailable: a dependency is down; nothing recorded; retry after Retry-After (same Idempotency-Key)',
};

/** The documented error answers of a route: each status with the shared error body. */
export function errors(...statuses: number[]): Record<number, TSchema> {
  const out: Record<number, TSchema> = {};
  for (const status of statuses) {
    out[status] = Type.Unsafe<Static<typeof ErrorBodySchema>>({
      $ref: 'ErrorBody#',
      description: ERROR_MEANING[status] ?? 'error',
    });
  }
  return out;
}

/**
 * The errors any route can answer whatever it does — 400 (a malformed URL, query or body, a NUL in any input), 500,
 * and on the methods that carry a body 413 and 415 — added to every route that declares its responses (an onRoute
 * hook in app.ts), so no route's document can forget them.
 */
export function declareGenericErrors(route: {
  method: string | string[];
  schema?: { response?: unknown };
}): void {
  const response = route.schema?.response as Record<string, unknown> | undefined;
  if (response === undefined) return;
  const methods = Array.isArray(route.method) ? route.method : [route.method];
  const carriesBody = methods.some((m) => ['POST', 'PUT', 'PATCH', 'DELETE'].includes(m));
  const generic = carriesBody ? [400, 413, 415, 500] : [400, 500];
  for (const [status, schema] of Object.entries(errors(...generic))) {
    if (!(status in response)) response[status] = schema;
  }
}

export const BudgetPeriodSchema = Type.Object(
  {
    limit_micros: Nullable(Micros),
    spent_micros: Type.Integer({ description: 'accepted spend plus live holds' }),
    remaining_micros: Nullable(Type.Integer()),
    resets_at: Nullable(Timestamp),
  },
  { $id: 'BudgetPeriod', additionalProperties: false, description: 'null limit = no limit' },
);

export const BudgetSchema = Type.Object(
  {
    agent: Type.Object(
      { month: ref(BudgetPeriodSchema), day: ref(BudgetPeriodSchema), velocity: ref(BudgetPeriodSchema) },
      { additionalProperties: false },
    ),
    customer: Type.Object({ month: ref(BudgetPeriodSchema) }, { additionalProperties: false }),
  },
  {
    $id: 'Budget',
    additionalProperties: false,
    description: 'spend as the decision saw it, against the limits it applied',
  },
);

/**
 * The Idempotency-Key header of a money request. Required, but the body field idempotency_key may stand in for it, so
 * the schema validators see it optional (idempotencyKeyOf answers the 400 that names both) while the OpenAPI
 * document marks it required (http/openapi.ts).
 */
export const IDEMPOTENCY_HEADER = 'idempotency-key';
export const IdempotencyKeyHeaders = Type.Object({
  // No length rule here: idempotencyKeyOf checks the value and names the field in its own words.
  [IDEMPOTENCY_HEADER]: Type.Optional(
    Type.String({
      description:
        'Required: 1–255 printable ASCII characters, scoped to the customer. May instead be given as the body ' +
        'field idempotency_key (equal if both). A retry with the same key and body replays the first answer.',
    }),
  ),
});
