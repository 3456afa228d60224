// POST /v1/reservations behind the route (docs/api.md §6): the same atomic decision as an event (spend/idempotent-request.ts:
// claim the key, rebuild on a miss, wait for an in-flight twin, deadline), except that an accepted amount is
// HELD in the store rather than counted. The decided request — held or declined — is written to PostgreSQL's
// `reservations` row before the answer: a restart rebuilds open holds from there, and the same Idempotency-Key
// replays the stored answer (201 or 403). Store keys are shared with events (one key space per customer): an
// event's key reused for a reservation, or the reverse, is 422 idempotency_key_reused.
import { customerChannel } from '../agents/live-channel.js';
import { findAgentState } from '../agents/repository.js';
import { sha256Hex } from '../auth/secrets.js';
import type { Principal } from '../auth/types.js';
import { ApiError } from '../http/errors.js';
import { newId } from '../ids.js';
import type { EstimateInput } from '../pricing/usage-cost.js';
import { apiKeyIdOf, requestAgent } from '../spend/decision-effects.js';
import {
  afterConfirmedFlip,
  budgetJson,
  canonicalJson,
  deadlineAnswer,
  declineBody,
} from '../spend/event-service.js';
import { flipCandidate } from '../spend/flips.js';
import {
  answerWithinDeadline,
  claimDecision,
  DeadlineExceeded,
  replayOf,
  tokenRefOf,
} from '../spend/idempotent-request.js';
import { persistDecided } from '../spend/money-pipeline.js';
import type { Decline, SpendRequest } from '../spend/store.js';
import { reservationJson } from './present.js';
import {
  findReservationByKey,
  insertReservation,
  type NewReservation,
  reservationExists,
} from './repository.js';
import type { ReservationDeps, ReservationOutcome } from './types.js';

export interface HoldInput {
  agent: string;
  amountMicros: number;
  /** The `estimate` the amount was priced from, as sent (hashed in place of the amount: a retry after a catalogue
   * upgrade still replays); undefined for an amount given in USD or micros. */
  estimate?: EstimateInput | undefined;
  ttlSeconds: number;
  run: string | null;
  idempotencyKey: string;
  /** The `fingerprint` counted against the agent's `repeats` limit (docs/api.md §7); null when not sent. */
  fingerprint: string | null;
}

function holdRequestHash(input: HoldInput): string {
  return sha256Hex(
    canonicalJson({
      agent: input.agent,
      ...(input.estimate ? { estimate: input.estimate } : { amount_micros: input.amountMicros }),
      ttl_seconds: input.ttlSeconds,
      run: input.run,
      // Only when sent: every hash stored before fingerprints existed stays what its replay computes.
      ...(input.fingerprint !== null ? { fingerprint: input.fingerprint } : {}),
    }),
  );
}

/** The 403 of docs/api.md §5 for a reservation: the same fields, with the declined reservation instead of an event. */
function reservationDeclineBody(decline: Decline, reservation: unknown) {
  const { event: _event, ...error } = declineBody(decline, null, 'reservation').error;
  return { error: { ...error, reservation } };
}

export function createHoldService(deps: ReservationDeps) {
  const { db, directory, bus } = deps;

  const replay = async (customerId: string, key: string, hash: string): Promise<ReservationOutcome> => {
    const stored = await findReservationByKey(db, customerId, key);
    if (!stored || stored.requestHash !== hash) {
      // No reservation under this key: the store remembers it from an event (one key space per customer).
      throw new ApiError(
        'idempotency_key_reused',
        'This Idempotency-Key was already used with a different body.',
      );
    }
    return replayOf(stored.responseStatus, stored.responseBody);
  };

  const decideAndStore = async (
    principal: Principal,
    input: HoldInput,
    hash: string,
    expired: () => boolean,
    progress: { committing: boolean },
  ): Promise<ReservationOutcome> => {
    const customerId = principal.customerId;
    const agent = await requestAgent(directory, principal, input.agent);
    if (expired()) throw new DeadlineExceeded();

    const now = Date.now();
    const id = newId('rsv');
    const expiresAt = now + input.ttlSeconds * 1000;
    const request: SpendRequest = {
      customerId,
      agentId: agent.id,
      runId: input.run,
      amountMicros: input.amountMicros,
      token: id,
      idempotencyKey: input.idempotencyKey,
      requestHash: hash,
      now,
      hold: { expiresAt },
      fingerprint: input.fingerprint,
      apiKeyId: apiKeyIdOf(principal),
    };
    const claimed = await claimDecision(deps, request, expired, {
      find: () => findReservationByKey(db, customerId, input.idempotencyKey),
      replay: () => replay(customerId, input.idempotencyKey, hash),
    });
    if ('answer' in claimed) return claimed.answer;
    const { decision } = claimed;

    const accepted = decision.outcome === 'accepted';
    const row: NewReservation = {
      id,
      customerId,
      agentId: agent.id,
      runId: input.run,
      amountMicros: input.amountMicros,
      status: accepted ? 'held' : 'declined',
      declineCode: decision.outcome === 'declined' ? decision.decline.code : null,
      idempotencyKey: input.idempotencyKey,
      requestHash: hash,
      responseStatus: accepted ? 201 : 403,
      responseBody: null,
      // A declined request holds nothing; its expires_at is its creation time.
      expiresAt: accepted ? expiresAt : now,
      createdAt: now,
      fingerprint: input.fingerprint,
    };
    const reservation = reservationJson(
      { ...row, agentName: agent.name, finishedAt: accepted ? null : now },
      now,
    );
    if (decision.outcome === 'accepted') {
      row.responseBody = { reservation, budget: budgetJson(decision.limits, decision.spend, now) };
    } else {
      row.responseBody = reservationDeclineBody(decision.decline, reservation);
    }

    // A reservation declined for a limit never flips the kill switch (docs/api.md §6): an estimate is not spend. A
    // loop does (§7): the repeated call is the runaway, whatever its estimate.
    const flip =
      decision.outcome === 'declined' && decision.decline.code === 'loop_detected'
        ? flipCandidate(
            customerId,
            agent.id,
            decision.decline,
            1,
            { decidedAt: now, statusVersion: decision.statusVersion },
            { reservation_id: id },
          )
        : undefined;
    return persistDecided(deps, {
      ref: tokenRefOf(request),
      decidedAt: now,
      progress,
      persist: () => insertReservation(db, row, flip),
      exists: () => reservationExists(db, id),
      agentRow: () => findAgentState(db, customerId, agent.id),
      duplicate: () => replay(customerId, input.idempotencyKey, hash),
      committed: (agentState) => {
        if (agentState)
          void afterConfirmedFlip(deps, customerId, agent, agentState, 'a declined reservation');
        if (decision.outcome === 'declined') {
          bus
            .publish(customerChannel(customerId), {
              type: 'declined',
              data: { agent: agent.name, code: row.declineCode, reservation },
            })
            .catch(() => {});
        }
        return {
          status: row.responseStatus,
          body: row.responseBody,
          replayed: false,
          outcome: accepted ? 'accepted' : 'declined',
        };
      },
    });
  };

  return {
    create: (principal: Principal, input: HoldInput, receivedAt = Date.now()): Promise<ReservationOutcome> =>
      answerWithinDeadline(
        deps,
        'reservation',
        'reservation',
        receivedAt,
        (expired, progress) => decideAndStore(principal, input, holdRequestHash(input), expired, progress),
        deadlineAnswer,
      ),
  };
}
