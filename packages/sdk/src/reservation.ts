// A budget hold returned by `reserve()`: commit it with the real cost, or release it.

import type { UnavailableError } from './errors.js';
import type {
  CommitParams,
  OrUnavailable,
  ReleaseResponse,
  ReservationRecord,
  ReserveResponse,
  TrackResponse,
  UnavailablePolicy,
  UnavailableResult,
} from './types.js';

/** What a reservation needs from its client; kept narrow so the class stays testable. */
export interface ReservationOperations<P extends UnavailablePolicy> {
  commit(id: string, params: CommitParams): Promise<OrUnavailable<P, TrackResponse>>;
  release(id: string): Promise<OrUnavailable<P, ReleaseResponse>>;
}

/** A hold the server granted. */
export class Reservation<P extends UnavailablePolicy = 'throw'> {
  readonly allowed = true as const;
  readonly unavailable = false as const;
  readonly id: string;
  readonly agent: string;
  readonly amountMicros: number;
  readonly expiresAt: string;
  /** The full `201` body of `POST /v1/reservations` (reservation and budget state). */
  readonly response: ReserveResponse;
  readonly #operations: ReservationOperations<P>;

  constructor(operations: ReservationOperations<P>, response: ReserveResponse) {
    this.#operations = operations;
    this.response = response;
    this.id = response.reservation.id;
    this.agent = response.reservation.agent;
    this.amountMicros = response.reservation.amount_micros;
    this.expiresAt = response.reservation.expires_at;
  }

  get record(): ReservationRecord {
    return this.response.reservation;
  }

  /**
   * Records the real cost (always recorded, even above the estimate — the money is spent).
   * Each call sends its own idempotency key, reused on that call's retries.
   */
  commit(params: CommitParams): Promise<OrUnavailable<P, TrackResponse>> {
    return this.#operations.commit(this.id, params);
  }

  /** Gives the held amount back to the budget. */
  release(): Promise<OrUnavailable<P, ReleaseResponse>> {
    return this.#operations.release(this.id);
  }
}

/**
 * Returned by `reserve()` instead of throwing when Spendguard could not be reached and the
 * client uses `onUnavailable: 'allow'`. There is no hold on the server: `commit()` and
 * `release()` record nothing and resolve to the same unavailable marker.
 */
export class OfflineReservation implements UnavailableResult {
  readonly allowed = true as const;
  readonly unavailable = true as const;
  readonly id = null;
  readonly error: UnavailableError;

  constructor(error: UnavailableError) {
    this.error = error;
  }

  async commit(_params: CommitParams): Promise<UnavailableResult> {
    return this.marker();
  }

  async release(): Promise<UnavailableResult> {
    return this.marker();
  }

  private marker(): UnavailableResult {
    return { allowed: true, unavailable: true, error: this.error };
  }
}
