// The one error module: every error body is {"error": {"code", "message", ...extra}} (docs/api.md §4).
// Each code maps to exactly one HTTP status; routes throw ApiError and the error handler renders it.

export const ERROR_STATUS = {
  invalid_request: 400,
  unauthenticated: 401,
  forbidden: 403,
  csrf_failed: 403,
  budget_exceeded: 403,
  agent_suspended: 403,
  loop_detected: 403,
  not_found: 404,
  conflict: 409,
  idempotency_key_in_flight: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  idempotency_key_reused: 422,
  unknown_model: 422,
  rate_limited: 429,
  internal: 500,
  unavailable: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export interface ErrorDetail {
  field: string;
  problem: string;
}

export type ErrorExtra = Record<string, unknown>;

export class ApiError extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly extra: ErrorExtra = {},
    /** Seconds for the Retry-After header (429, 503, 409 in-flight). */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'ApiError';
    this.status = ERROR_STATUS[code];
  }

  body(): { error: { code: ErrorCode; message: string } & ErrorExtra } {
    return { error: { ...this.extra, code: this.code, message: this.message } };
  }
}

export const invalidRequest = (details: ErrorDetail[], message = 'The request is invalid.') =>
  new ApiError('invalid_request', message, { details });

export const notFound = (what = 'object') => new ApiError('not_found', `No such ${what}.`);

export const unauthenticated = () => new ApiError('unauthenticated', 'Missing or invalid credentials.');

export const forbidden = (message = 'This credential is not allowed to do that.') =>
  new ApiError('forbidden', message);

export const conflict = (field: string, message: string) => new ApiError('conflict', message, { field });

/** A dependency (PostgreSQL, Redis) is down and nothing was recorded: the request is safe to retry. */
export const unavailable = (retryAfterSeconds = 1) =>
  new ApiError(
    'unavailable',
    'A storage dependency is unavailable; nothing was recorded. Retry with the same Idempotency-Key.',
    {},
    retryAfterSeconds,
  );

/** A dependency failed where it is not known whether the change was made (the generic storage failure). */
export const storageUnavailable = (retryAfterSeconds = 1) =>
  new ApiError('unavailable', 'A storage dependency is unavailable; retry shortly.', {}, retryAfterSeconds);

/**
 * A money request whose commit could not be confirmed in time: it may still be recorded. Retrying with the same
 * Idempotency-Key is safe either way (it is counted at most once) and answers the outcome once it is known.
 */
export const notConfirmed = (retryAfterSeconds = 1) =>
  new ApiError(
    'unavailable',
    'Spendguard could not confirm in time whether this was recorded. Retry with the same Idempotency-Key: it is counted at most once.',
    {},
    retryAfterSeconds,
  );

/** The spend store lost data and is waiting until nothing decided before can still commit (docs/architecture.md). */
export const recovering = (retryAfterSeconds: number) =>
  new ApiError(
    'unavailable',
    `The spend store is being rebuilt after it lost data; nothing was recorded. Retry in ${retryAfterSeconds} s with the same Idempotency-Key.`,
    {},
    retryAfterSeconds,
  );

export const rateLimited = (retryAfterSeconds: number) =>
  new ApiError('rate_limited', 'Too many requests; retry later.', {}, retryAfterSeconds);
