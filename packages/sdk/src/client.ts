// The Spendguard client: report spend, hold budget for calls whose cost is known only
// afterwards, guard a unit of work, and manage agents and keys.

import { UnavailableError } from './errors.js';
import { AgentsApi, ApiKeysApi, ReservationsApi } from './management.js';
import { OfflineReservation, Reservation, type ReservationOperations } from './reservation.js';
import { DEFAULT_BACKOFF } from './retry.js';
import { Transport } from './transport.js';
import type {
  AgentRecord,
  CommitParams,
  GuardOutcome,
  GuardParams,
  Logger,
  OrUnavailable,
  ReleaseResponse,
  ReserveParams,
  ReserveResponse,
  TrackParams,
  TrackResponse,
  UnavailablePolicy,
  UnavailableResult,
} from './types.js';
import { VERSION } from './version.js';
import { compact, costBody, eventCostBody, holdBody, isoTime } from './wire.js';

export { VERSION };

export interface SpendguardOptions<P extends UnavailablePolicy = 'throw'> {
  /** An `sg_ingest_…` or `sg_admin_…` key. */
  apiKey: string;
  /** Where the server listens, e.g. `http://127.0.0.1:8787`. */
  baseUrl: string;
  /** Per attempt, including reading the body. Default 10,000 ms. */
  timeoutMs?: number;
  /** Retries after the first attempt. Default 3. */
  maxRetries?: number;
  /**
   * What agent code gets when Spendguard cannot be reached (network error, timeout, 5xx)
   * after every retry. `'throw'` (default, fail closed): an `UnavailableError`. `'allow'`
   * (fail open): `track()`/`reserve()`/commits resolve to `{ allowed: true, unavailable: true }`
   * results and `guard()` runs its function; one warning is logged per outage.
   */
  onUnavailable?: P;
  /** Receives the fail-open warning. Default: `console`. */
  logger?: Logger;
  /** First backoff ceiling (doubles per retry, full jitter). Default 250 ms. */
  retryBaseDelayMs?: number;
  /** Longest single wait between attempts; a longer `Retry-After` is not waited for. Default 8,000 ms. */
  retryMaxDelayMs?: number;
}

/** An offline hold (fail-open) or a real one. */
export type ReserveResult<P extends UnavailablePolicy> = P extends 'allow'
  ? Reservation<P> | OfflineReservation
  : Reservation<P>;

export class Spendguard<P extends UnavailablePolicy = 'throw'> {
  /** Agents and the kill switch (admin key). */
  readonly agents: AgentsApi;
  /** API keys (admin key). */
  readonly apiKeys: ApiKeysApi;
  /** Listing and reading reservations. */
  readonly reservations: ReservationsApi;
  readonly #transport: Transport;
  readonly #policy: UnavailablePolicy;
  readonly #logger: Logger;
  readonly #reservationOps: ReservationOperations<P>;
  /** True between a fail-open and the next successful call: one warning per outage. */
  #inOutage = false;

  constructor(options: SpendguardOptions<P>) {
    if (!options.apiKey) throw new TypeError('Spendguard: apiKey is required');
    if (!options.baseUrl) throw new TypeError('Spendguard: baseUrl is required');
    this.#transport = new Transport({
      apiKey: options.apiKey,
      baseUrl: options.baseUrl,
      timeoutMs: options.timeoutMs ?? 10_000,
      maxRetries: options.maxRetries ?? 3,
      backoff: {
        baseDelayMs: options.retryBaseDelayMs ?? DEFAULT_BACKOFF.baseDelayMs,
        maxDelayMs: options.retryMaxDelayMs ?? DEFAULT_BACKOFF.maxDelayMs,
      },
      userAgent: `spendguard-sdk/${VERSION}`,
    });
    this.#policy = options.onUnavailable ?? 'throw';
    this.#logger = options.logger ?? console;
    this.agents = new AgentsApi(this.#transport);
    this.apiKeys = new ApiKeysApi(this.#transport);
    this.reservations = new ReservationsApi(this.#transport);
    this.#reservationOps = {
      commit: (id, params) => this.#commit(id, params),
      release: (id) => this.#release(id),
    };
  }

  /**
   * Reports one cost-bearing action. Resolves to the `201` body (`{ event, budget }`);
   * a decline rejects with `BudgetExceededError` / `AgentSuspendedError`.
   */
  async track(params: TrackParams): Promise<OrUnavailable<P, TrackResponse>> {
    const body = compact({
      agent: params.agent,
      ...eventCostBody(params),
      run: params.run,
      fingerprint: params.fingerprint,
      occurred_at: isoTime(params.occurredAt),
      metadata: params.metadata,
    });
    const idempotencyKey = params.idempotencyKey ?? newKey();
    return this.#failOpen('track', () =>
      this.#transport.request<TrackResponse>('POST', '/v1/events', {
        body,
        idempotencyKey,
        retry: 'idempotent',
      }),
    );
  }

  /** Holds an estimate against every budget of the agent until committed, released or expired. */
  async reserve(params: ReserveParams): Promise<ReserveResult<P>> {
    const body = compact({
      agent: params.agent,
      ...holdBody(params),
      ttl_seconds: params.ttlSeconds,
      run: params.run,
      fingerprint: params.fingerprint,
    });
    const idempotencyKey = params.idempotencyKey ?? newKey();
    const result = await this.#failOpen('reserve', () =>
      this.#transport.request<ReserveResponse>('POST', '/v1/reservations', {
        body,
        idempotencyKey,
        retry: 'idempotent',
      }),
    );
    const reservation = isUnavailable(result)
      ? new OfflineReservation(result.error)
      : new Reservation(this.#reservationOps, result);
    return reservation as ReserveResult<P>;
  }

  /**
   * Runs `work` only if a hold of `estimateUsd` is granted (a refusal rejects and `work` is
   * never called), commits the real cost `work` reports, and releases the hold if `work`
   * throws (then rethrows). Resolves to `work`'s `value`.
   */
  async guard<T>(
    params: GuardParams,
    work: (hold: ReserveResult<P>) => Promise<GuardOutcome<T>> | GuardOutcome<T>,
  ): Promise<T> {
    const hold = await this.reserve({
      agent: params.agent,
      amountUsd: params.estimateUsd,
      run: params.run,
      ttlSeconds: params.ttlSeconds,
    });
    let outcome: GuardOutcome<T>;
    try {
      outcome = await work(hold);
      costBody(outcome); // a missing/double cost is a bug in `work`: fail before committing
    } catch (error) {
      await this.#releaseQuietly(hold);
      throw error;
    }
    const cost =
      outcome.costMicros === undefined ? { costUsd: outcome.costUsd } : { costMicros: outcome.costMicros };
    await hold.commit({ ...cost, metadata: outcome.metadata } as CommitParams);
    return outcome.value;
  }

  /** One agent's limits, live spend and kill-switch status (ingest or admin key). */
  agent(name: string): Promise<AgentRecord> {
    return this.agents.get(name);
  }

  #commit(id: string, params: CommitParams): Promise<OrUnavailable<P, TrackResponse>> {
    const body = compact({ ...eventCostBody(params), metadata: params.metadata });
    const idempotencyKey = newKey();
    return this.#failOpen('commit', () =>
      this.#transport.request<TrackResponse>('POST', `/v1/reservations/${encodeURIComponent(id)}/commit`, {
        body,
        idempotencyKey,
        retry: 'idempotent',
      }),
    );
  }

  #release(id: string): Promise<OrUnavailable<P, ReleaseResponse>> {
    const idempotencyKey = newKey();
    return this.#failOpen('release', () =>
      this.#transport.request<ReleaseResponse>('POST', `/v1/reservations/${encodeURIComponent(id)}/release`, {
        body: {},
        idempotencyKey,
        retry: 'idempotent',
      }),
    );
  }

  async #releaseQuietly(hold: { id: string | null; release(): Promise<unknown> }): Promise<void> {
    try {
      await hold.release();
    } catch (error) {
      // The caller's own error matters more; the hold expires by its TTL anyway.
      this.#logger.warn(
        `spendguard: could not release reservation ${hold.id}; it will expire by itself`,
        error,
      );
    }
  }

  async #failOpen<T>(operation: string, call: () => Promise<T>): Promise<OrUnavailable<P, T>> {
    try {
      const result = await call();
      this.#inOutage = false;
      return result;
    } catch (error) {
      if (this.#policy !== 'allow' || !(error instanceof UnavailableError)) throw error;
      if (!this.#inOutage) {
        this.#inOutage = true;
        this.#logger.warn(
          `spendguard: ${operation} could not reach Spendguard (${error.message}); ` +
            "continuing without a budget check because onUnavailable is 'allow'",
        );
      }
      const unavailable: UnavailableResult = { allowed: true, unavailable: true, error };
      return unavailable as OrUnavailable<P, T>;
    }
  }
}

/** Narrows a fail-open result. */
export function isUnavailable<T>(result: T | UnavailableResult): result is UnavailableResult {
  return (
    typeof result === 'object' &&
    result !== null &&
    (result as { unavailable?: unknown }).unavailable === true
  );
}

function newKey(): string {
  return globalThis.crypto.randomUUID();
}
