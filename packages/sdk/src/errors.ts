// Typed errors for every failure the Spendguard API can report (docs/api.md §4), so agent code can
// branch with `instanceof` instead of string-matching codes.

import type { components } from './generated/openapi.js';

/** The server's `error` object (generated from its OpenAPI document). */
type ApiError = components['schemas']['ApiError'];

/**
 * The JSON object under `error` in a Spendguard error body, as read from any response: kept open (`code` a string,
 * any extra field) so a code or field this SDK version does not know still reaches the caller.
 */
export interface ErrorEnvelope {
  code: string;
  message: string;
  [extra: string]: unknown;
}

export interface SpendguardErrorInit {
  /** HTTP status; 0 when no response was received (network error, timeout). */
  status: number;
  code: string;
  requestId?: string | null;
  /** The full `error` object of the response body, when there was one. */
  body?: ErrorEnvelope | null;
  cause?: unknown;
}

/** Base class of every error the SDK throws for an API call. */
export class SpendguardError extends Error {
  readonly status: number;
  readonly code: string;
  /** The `X-Request-Id` of the response — quote it when reporting a problem. */
  readonly requestId: string | null;
  readonly body: ErrorEnvelope | null;

  constructor(message: string, init: SpendguardErrorInit) {
    super(message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = new.target.name;
    this.status = init.status;
    this.code = init.code;
    this.requestId = init.requestId ?? null;
    this.body = init.body ?? null;
  }
}

/**
 * Why the kill switch is on. `loop_detected` is named here as well as in the generated server types so the SDK
 * knows it whether or not the OpenAPI document it was generated from lists it yet (a union keeps it once).
 */
export type SuspensionReason = NonNullable<ApiError['reason']> | 'loop_detected';

/** 403 `agent_suspended`: the agent's kill switch is on. Stop the agent's work. */
export class AgentSuspendedError extends SpendguardError {
  readonly reason: SuspensionReason;
  /** ISO time the kill switch was flipped, when the server said. */
  readonly suspendedAt: string | null;

  constructor(message: string, init: SpendguardErrorInit) {
    super(message, init);
    this.reason = stringField(init.body, 'reason') as SuspensionReason;
    this.suspendedAt = stringField(init.body, 'suspended_at');
  }
}

export type BudgetScope = NonNullable<ApiError['scope']>;
export type BudgetPeriod = NonNullable<ApiError['period']>;

/** 403 `budget_exceeded`: the spend would break a limit; nothing was counted. */
export class BudgetExceededError extends SpendguardError {
  readonly scope: BudgetScope;
  readonly period: BudgetPeriod;
  readonly limitMicros: number | null;
  readonly spentMicros: number | null;
  /** ISO time the period rolls over, or null (velocity windows, runs). */
  readonly resetsAt: string | null;

  constructor(message: string, init: SpendguardErrorInit) {
    super(message, init);
    this.scope = stringField(init.body, 'scope') as BudgetScope;
    this.period = stringField(init.body, 'period') as BudgetPeriod;
    this.limitMicros = numberField(init.body, 'limit_micros');
    this.spentMicros = numberField(init.body, 'spent_micros');
    this.resetsAt = stringField(init.body, 'resets_at');
  }
}

/**
 * 403 `loop_detected`: the agent repeated one `fingerprint` more often than its `repeats` limit allows; the call
 * was not counted and the agent's kill switch flipped (reason `loop_detected`, lifted only by a resume).
 */
export class LoopDetectedError extends SpendguardError {
  readonly fingerprint: string | null;
  /** Calls with that fingerprint within the window, the refused one included. */
  readonly count: number | null;
  readonly windowSeconds: number | null;

  constructor(message: string, init: SpendguardErrorInit) {
    super(message, init);
    this.fingerprint = stringField(init.body, 'fingerprint');
    this.count = numberField(init.body, 'count');
    this.windowSeconds = numberField(init.body, 'window_seconds');
  }
}

/**
 * 422 `idempotency_key_reused` (same key, different body — a bug in the caller) or
 * 409 `idempotency_key_in_flight` still reported after every retry.
 */
export class IdempotencyError extends SpendguardError {}

/** 401 `unauthenticated`: missing, wrong or revoked API key. */
export class AuthenticationError extends SpendguardError {}

/** 403 `forbidden` / `csrf_failed`: the key may not do this. */
export class PermissionError extends SpendguardError {}

/** 404 `not_found`: no such object for this customer. */
export class NotFoundError extends SpendguardError {}

/** 422 `unknown_model`: no price is known for the `usage`'s model; nothing was counted. */
export class UnknownModelError extends SpendguardError {
  readonly provider: string | null;
  readonly model: string | null;

  constructor(message: string, init: SpendguardErrorInit) {
    super(message, init);
    this.provider = stringField(init.body, 'provider');
    this.model = stringField(init.body, 'model');
  }
}

/** 409 `conflict`: a unique name is taken; `field` names it. */
export class ConflictError extends SpendguardError {
  readonly field: string | null;

  constructor(message: string, init: SpendguardErrorInit) {
    super(message, init);
    this.field = stringField(init.body, 'field');
  }
}

/** 429 `rate_limited`, still reported after every retry. */
export class RateLimitedError extends SpendguardError {
  /** Seconds the server asked us to wait (`Retry-After`), when it said. */
  readonly retryAfter: number | null;

  constructor(message: string, init: SpendguardErrorInit & { retryAfter?: number | null }) {
    super(message, init);
    this.retryAfter = init.retryAfter ?? null;
  }
}

/**
 * Spendguard could not be reached or could not serve (network error, timeout, 5xx) after
 * every retry. Nothing is known to have been recorded; with `onUnavailable: 'allow'` the SDK
 * returns an `{ allowed: true, unavailable: true }` result instead of throwing this.
 */
export class UnavailableError extends SpendguardError {
  readonly retryAfter: number | null;

  constructor(message: string, init: SpendguardErrorInit & { retryAfter?: number | null }) {
    super(message, init);
    this.retryAfter = init.retryAfter ?? null;
  }
}

/** One problem of a `400 invalid_request`: the field (a dotted path, or `body`/`query`/a header) and what is wrong. */
export type ValidationDetail = NonNullable<ApiError['details']>[number];

/**
 * 400 `invalid_request` (also 413 / 415): the request itself is wrong. The message names the first problem
 * (`The request is invalid: cost_usd must be a decimal string.`); `details` lists them all.
 */
export class ValidationError extends SpendguardError {
  readonly details: ValidationDetail[];

  constructor(message: string, init: SpendguardErrorInit) {
    const raw = init.body?.details;
    const details = Array.isArray(raw) ? (raw as ValidationDetail[]) : [];
    super(validationMessage(message, details), init);
    this.details = details;
  }
}

/** The server's message plus the first detail (`field problem`), unless the message already says it. */
function validationMessage(message: string, details: readonly unknown[]): string {
  const first = details[0];
  if (typeof first !== 'object' || first === null) return message;
  const { field, problem } = first as { field?: unknown; problem?: unknown };
  const what = [field, problem]
    .filter((part) => typeof part === 'string' && part !== '')
    .join(' ')
    .replace(/[.\s]+$/, '');
  if (what === '' || message.includes(what)) return message;
  const more = details.length > 1 ? ` (+${details.length - 1} more in .details)` : '';
  return `${message.replace(/[.\s]+$/, '')}: ${what}${more}.`;
}

export interface ErrorResponse {
  status: number;
  /** The parsed response body, whatever it was (may not be an envelope at all). */
  body: unknown;
  requestId: string | null;
  /** `Retry-After` in seconds, already parsed. */
  retryAfter: number | null;
}

/** Turns a non-2xx response into the matching error class. */
export function errorFromResponse(response: ErrorResponse): SpendguardError {
  const envelope = readEnvelope(response.body);
  const code = envelope?.code ?? fallbackCode(response.status);
  const message = envelope?.message ?? `Spendguard responded with HTTP ${response.status}`;
  const init = {
    status: response.status,
    code,
    requestId: response.requestId,
    body: envelope,
    retryAfter: response.retryAfter,
  };
  switch (code) {
    case 'agent_suspended':
      return new AgentSuspendedError(message, init);
    case 'budget_exceeded':
      return new BudgetExceededError(message, init);
    case 'loop_detected':
      return new LoopDetectedError(message, init);
    case 'idempotency_key_reused':
    case 'idempotency_key_in_flight':
      return new IdempotencyError(message, init);
    case 'unauthenticated':
      return new AuthenticationError(message, init);
    case 'forbidden':
    case 'csrf_failed':
      return new PermissionError(message, init);
    case 'not_found':
      return new NotFoundError(message, init);
    case 'unknown_model':
      return new UnknownModelError(message, init);
    case 'conflict':
      return new ConflictError(message, init);
    case 'rate_limited':
      return new RateLimitedError(message, init);
    case 'invalid_request':
    case 'payload_too_large':
    case 'unsupported_media_type':
      return new ValidationError(message, init);
  }
  // Codes this SDK does not know yet: classify by status so instanceof still works.
  if (response.status >= 500) return new UnavailableError(message, init);
  if (response.status === 429) return new RateLimitedError(message, init);
  if (response.status === 401) return new AuthenticationError(message, init);
  if (response.status === 403) return new PermissionError(message, init);
  if (response.status === 404) return new NotFoundError(message, init);
  if (response.status === 400 || response.status === 413 || response.status === 415) {
    return new ValidationError(message, init);
  }
  return new SpendguardError(message, init);
}

function readEnvelope(body: unknown): ErrorEnvelope | null {
  if (typeof body !== 'object' || body === null) return null;
  const error = (body as { error?: unknown }).error;
  if (typeof error !== 'object' || error === null) return null;
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (typeof code !== 'string') return null;
  return {
    ...(error as Record<string, unknown>),
    code,
    message: typeof message === 'string' ? message : code,
  };
}

function fallbackCode(status: number): string {
  if (status === 503) return 'unavailable';
  if (status >= 500) return 'internal';
  return `http_${status}`;
}

function stringField(body: ErrorEnvelope | null | undefined, key: string): string | null {
  const value = body?.[key];
  return typeof value === 'string' ? value : null;
}

function numberField(body: ErrorEnvelope | null | undefined, key: string): number | null {
  const value = body?.[key];
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}
