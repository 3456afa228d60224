// Public types. Inputs are camelCase (the SDK converts them to the API's snake_case);
// responses are the API's JSON bodies exactly as docs/api.md describes them, so what you read in
// the API reference is what you get here.

import type { UnavailableError } from './errors.js';

/** A USD amount: a number (`0.0123`) or an exact decimal string (`"0.0123"`). */
export type Usd = number | string;

/** Exactly one of `costUsd` / `costMicros` (integer micro-dollars, 1 USD = 1,000,000). */
export type Cost = { costUsd: Usd; costMicros?: never } | { costMicros: number; costUsd?: never };

/** Exactly one of `amountUsd` / `amountMicros`. */
export type Amount = { amountUsd: Usd; amountMicros?: never } | { amountMicros: number; amountUsd?: never };

export type Metadata = Record<string, unknown>;

export type TrackParams = Cost & {
  agent: string;
  run?: string | undefined;
  metadata?: Metadata | undefined;
  /** When the spend happened; informational (budgets count by the time it is recorded). */
  occurredAt?: Date | string | undefined;
  /** Generated (crypto.randomUUID) when omitted; reused on every retry of this call. */
  idempotencyKey?: string | undefined;
};

export type ReserveParams = Amount & {
  agent: string;
  /** 1–3600, server default 300. An uncommitted hold expires by itself after this. */
  ttlSeconds?: number | undefined;
  run?: string | undefined;
  idempotencyKey?: string | undefined;
};

export type CommitParams = Cost & { metadata?: Metadata | undefined };

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

export type ReservationStatus = 'held' | 'committed' | 'released' | 'expired' | 'declined';

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

// ---- Response bodies (docs/api.md §5–§8) ----

export interface BudgetPeriodState {
  limit_micros: number | null;
  spent_micros: number;
  remaining_micros: number | null;
  resets_at: string | null;
  [extra: string]: unknown;
}

export interface BudgetState {
  agent: {
    month?: BudgetPeriodState;
    day?: BudgetPeriodState;
    velocity?: BudgetPeriodState;
    run?: BudgetPeriodState;
    [period: string]: BudgetPeriodState | undefined;
  };
  customer: { month?: BudgetPeriodState; [period: string]: BudgetPeriodState | undefined };
}

export interface SpendEvent {
  id: string;
  agent: string;
  cost_micros: number;
  cost_usd: string;
  idempotency_key: string;
  occurred_at: string;
  recorded_at: string;
  status: 'accepted' | 'declined';
  run?: string | null;
  metadata?: Metadata | null;
  [extra: string]: unknown;
}

/** `201` body of `POST /v1/events` and of a reservation commit. */
export interface TrackResponse {
  event: SpendEvent;
  budget: BudgetState;
  [extra: string]: unknown;
}

export interface ReservationRecord {
  id: string;
  agent: string;
  amount_micros: number;
  status: ReservationStatus;
  expires_at: string;
  run?: string | null;
  amount_usd?: string;
  [extra: string]: unknown;
}

export interface ReserveResponse {
  reservation: ReservationRecord;
  budget: BudgetState;
  [extra: string]: unknown;
}

export interface ReleaseResponse {
  reservation: ReservationRecord;
  [extra: string]: unknown;
}

export interface AgentRecord {
  id: string;
  name: string;
  status: 'active' | 'suspended';
  suspended_reason: 'manual' | 'budget_exceeded' | 'velocity_exceeded' | null;
  suspended_at: string | null;
  limits: {
    month_micros: number | null;
    day_micros: number | null;
    run_micros: number | null;
    velocity: { window_seconds: number; max_micros: number } | null;
  };
  spend: { month_micros: number; day_micros: number; velocity_micros: number; [extra: string]: unknown };
  created_at: string;
  [extra: string]: unknown;
}

export interface Page<T> {
  data: T[];
  next_cursor: string | null;
}

export interface ApiKeyRecord {
  id: string;
  name: string;
  kind: 'ingest' | 'admin';
  prefix: string;
  /** The one agent an ingest key is bound to, or null. */
  agent: string | null;
  created_at: string;
  last_used_at: string | null;
  [extra: string]: unknown;
}

/** `201` body of `POST /v1/api-keys`: the only time `key` (the secret) is shown. */
export interface CreatedApiKey extends ApiKeyRecord {
  key: string;
}

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
