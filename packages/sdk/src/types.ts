// Public types. Inputs are camelCase (the SDK converts them to the API's snake_case);
// responses are the API's JSON bodies exactly as the server's OpenAPI document describes them
// (generated into ./generated/openapi.ts), so what you read in the API reference is what you get here.

import type { UnavailableError } from './errors.js';
import type { components } from './generated/openapi.js';

/** A USD amount: a number (`0.0123`) or an exact decimal string (`"0.0123"`). */
export type Usd = number | string;

/** Exactly one of `costUsd` / `costMicros` (integer micro-dollars, 1 USD = 1,000,000). */
export type Cost = { costUsd: Usd; costMicros?: never } | { costMicros: number; costUsd?: never };

/** Exactly one of `amountUsd` / `amountMicros`. */
export type Amount = { amountUsd: Usd; amountMicros?: never } | { amountMicros: number; amountUsd?: never };

export type Metadata = Record<string, unknown>;

/**
 * An LLM call's token usage, priced by the server from its bundled catalogue (docs/api.md §5.1): the counts
 * (`inputTokens` counts every input token, cache included; `outputTokens` reasoning included) or `raw`, the
 * provider's own usage object as its API returned it (OpenAI chat-completions / responses, Anthropic messages).
 */
export interface Usage {
  provider: string;
  model: string;
  inputTokens?: number | undefined;
  outputTokens?: number | undefined;
  cacheReadTokens?: number | undefined;
  cacheWriteTokens?: number | undefined;
  raw?: Record<string, unknown> | undefined;
}

/** What an event cost: `costUsd`, `costMicros`, or the `usage` the server prices. */
export type EventCost = (Cost & { usage?: never }) | { usage: Usage; costUsd?: never; costMicros?: never };

/**
 * A reservation's estimate of an LLM call, priced by the server like a usage with every input token uncached
 * (docs/api.md §6): the prompt's tokens and the most the call may generate (its `max_tokens`).
 */
export interface Estimate {
  provider: string;
  model: string;
  inputTokens: number;
  maxOutputTokens: number;
}

/** What a reservation holds: `amountUsd`, `amountMicros`, or an `estimate` the server prices. */
export type HoldAmount =
  | (Amount & { estimate?: never })
  | { estimate: Estimate; amountUsd?: never; amountMicros?: never };

export type TrackParams = EventCost & {
  agent: string;
  run?: string | undefined;
  /**
   * 1–128 printable ASCII chars naming what this call does (e.g. a hash of model + prompt); the agent's `repeats`
   * limit counts calls with the same fingerprint and declines a loop (`LoopDetectedError`).
   */
  fingerprint?: string | undefined;
  metadata?: Metadata | undefined;
  /** When the spend happened; informational (budgets count by the time it is recorded). */
  occurredAt?: Date | string | undefined;
  /** Generated (crypto.randomUUID) when omitted; reused on every retry of this call. */
  idempotencyKey?: string | undefined;
};

export type ReserveParams = HoldAmount & {
  agent: string;
  /** 1–3600, server default 300. An uncommitted hold expires by itself after this. */
  ttlSeconds?: number | undefined;
  run?: string | undefined;
  /** As on `track()`: a held reservation counts once toward the agent's `repeats` limit (its commit adds nothing). */
  fingerprint?: string | undefined;
  idempotencyKey?: string | undefined;
};

/** The real cost of a held call: `costUsd`, `costMicros`, or the `usage` the server prices. */
export type CommitParams = EventCost & { metadata?: Metadata | undefined };

export interface GuardParams {
  agent: string;
  /** What the guarded action may cost at most; held against the budget while it runs. */
  estimateUsd: Usd;
  run?: string | undefined;
  ttlSeconds?: number | undefined;
}

/** What a guarded function returns: its real cost and the value to hand back. */
export type GuardOutcome<T> = Cost & { value: T; metadata?: Metadata | undefined };

/**
 * Limits to set on an agent. For each limit give `…Usd` or `…Micros` (not both); `null` means
 * "no limit"; a limit left out keeps its current value (or the customer's default on create).
 */
export interface AgentLimitsInput {
  monthUsd?: Usd | null | undefined;
  monthMicros?: number | null | undefined;
  dayUsd?: Usd | null | undefined;
  dayMicros?: number | null | undefined;
  runUsd?: Usd | null | undefined;
  runMicros?: number | null | undefined;
  velocity?: VelocityLimitInput | null | undefined;
  /** At most `max` events/reservations with one `fingerprint` per window; more is `LoopDetectedError`. */
  repeats?: RepeatsLimitInput | null | undefined;
}

export interface RepeatsLimitInput {
  /** 1–100,000 calls with the same fingerprint … */
  max: number;
  /** … within this many seconds (1–86,400). */
  windowSeconds: number;
}

export interface VelocityLimitInput {
  /** 1–3600. */
  windowSeconds: number;
  maxUsd?: Usd | undefined;
  maxMicros?: number | undefined;
}

export interface CreateAgentParams {
  name: string;
  limits?: AgentLimitsInput | undefined;
}

export interface UpdateAgentParams {
  limits: AgentLimitsInput;
}

export interface ListParams {
  /** 1–100, server default 50. */
  limit?: number | undefined;
  cursor?: string | undefined;
}

export interface ListAgentsParams extends ListParams {
  /** true: only archived agents; otherwise only live ones. */
  archived?: boolean | undefined;
}

export type ReservationStatus = components['schemas']['Reservation']['status'];

export interface ListReservationsParams extends ListParams {
  agent?: string | undefined;
  status?: ReservationStatus | undefined;
}

export interface CreateApiKeyParams {
  name: string;
  kind: 'ingest' | 'admin';
  /** Bind an ingest key to one agent. */
  agent?: string | undefined;
}

// ---- Response bodies ----
// Generated from the server's OpenAPI document (./generated/openapi.ts, `npm run generate:api-types`): exactly the
// JSON the server sends, field for field. The names below are this package's public names for them.

type Schemas = components['schemas'];

/** One period of a `budget`: its limit (null = none), what is spent or held in it, and when it rolls over. */
export type BudgetPeriodState = Schemas['BudgetPeriod'];

/** The `budget` of a decision: spend as it saw it, against the limits it applied. */
export type BudgetState = Schemas['Budget'];

/** A recorded event (accepted or declined). */
export type SpendEvent = Schemas['Event'];

/** `201` body of `POST /v1/events` and of a reservation commit. */
export type TrackResponse = Schemas['EventCreated'];

export type ReservationRecord = Schemas['Reservation'];

/** `201` body of `POST /v1/reservations`. */
export type ReserveResponse = Schemas['ReservationCreated'];

/** `200` body of a release (and of `GET /v1/reservations/{id}`). */
export type ReleaseResponse = Schemas['ReservationEnvelope'];

export type AgentRecord = Schemas['Agent'];

/** One page of a list; pass `next_cursor` as `cursor` for the next (null on the last page). */
export interface Page<T> {
  data: T[];
  next_cursor: Schemas['AgentPage']['next_cursor'];
}

export type ApiKeyRecord = Schemas['ApiKey'];

/** `201` body of `POST /v1/api-keys`: the only time `key` (the secret) is shown. */
export type CreatedApiKey = Schemas['CreatedApiKey'];

// ---- Fail-open results ----

/**
 * What `track()` / `reserve()` / a commit return instead of throwing when Spendguard could not
 * be reached and the client was built with `onUnavailable: 'allow'`. Nothing was recorded.
 */
export interface UnavailableResult {
  allowed: true;
  unavailable: true;
  error: UnavailableError;
}

export type UnavailablePolicy = 'throw' | 'allow';

/** `T`, or with `onUnavailable: 'allow'` also an {@link UnavailableResult}. */
export type OrUnavailable<P extends UnavailablePolicy, T> = P extends 'allow' ? T | UnavailableResult : T;

export interface Logger {
  warn(message: string, ...details: unknown[]): void;
}
