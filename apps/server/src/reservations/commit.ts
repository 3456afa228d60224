// POST /v1/reservations/{id}/commit (docs/api.md §6): the real cost is always recorded — above the estimate, after the
// agent was suspended meanwhile, and after the hold expired (the hold is gone but the money was spent). Exactly once:
//   1. claim the reservation row in PostgreSQL (one committer at a time, on any instance; repository.claimCommit);
//   2. store.commitHold: drop the hold, count the cost everywhere, flip the kill switch if a limit is now exceeded;
//   3. the group-commit writer stores the event (key `rsv:<id>:commit` in the reservation-commit key scope, so no
//      client key can collide with it; reservation_id set) and turns the row `committed` in the same statement
//      (writer.ts INSERT_BATCH) — inside a transaction where PostgreSQL also confirms a kill-switch flip the commit
//      asked for (spend/flips.ts);
// then answer 201 {event, budget} as POST /v1/events does. A second commit with the same body replays the first
// answer (Idempotent-Replayed: true, same event id); with another body it is 422 idempotency_key_reused.
// Step 2 is token-keyed: repeating it after a lost reply counts nothing twice. If step 3 certainly failed, step 2 is
// taken back (undo of its token: counts and provisional flip) and the claim given back, so a retry commits afresh;
// if its fate is unknown, it is settled in the background like an event's (spend/money-pipeline.ts).
import { customerChannel } from '../agents/live-channel.js';
import { findAgentState } from '../agents/repository.js';
import { assertAgentAllowed, boundAgentOf } from '../auth/agent-access.js';
import { sha256Hex } from '../auth/secrets.js';
import type { Principal } from '../auth/types.js';
import { ApiError, notFound, unavailable } from '../http/errors.js';
import { newId } from '../ids.js';
import { spendMessage } from '../spend/decision-effects.js';
import {
  afterConfirmedFlip,
  budgetJson,
  canonicalJson,
  deadlineAnswer,
  eventExists,
  eventJson,
  type Priced,
} from '../spend/event-service.js';
import { flipCandidate } from '../spend/flips.js';
import {
  answerWithinDeadline,
  DeadlineExceeded,
  IN_FLIGHT_POLL_MS,
  IN_FLIGHT_WAIT_MS,
  repeatable,
  replayOf,
  sleep,
  undoQuietly,
  withRebuild,
} from '../spend/idempotent-request.js';
import { persistDecided } from '../spend/money-pipeline.js';
import type { TokenRef } from '../spend/store.js';
import { type EventRow, KEY_SCOPE_RESERVATION_COMMIT } from '../spend/writer.js';
import { claimCommit, findReservation, type ReservationRow, unclaimCommit } from './repository.js';
import type { ReservationDeps, ReservationOutcome } from './types.js';

export interface CommitInput {
  costMicros: number;
  /** For a commit priced from `usage`: the usage as sent (hashed in place of the cost) and what the event records. */
  priced: Priced;
  metadata: Record<string, unknown> | null;
}

/** The idempotency key of a reservation's commit event, in its own key scope (writer.ts KEY_SCOPE_*). */
const commitEventKey = (reservationId: string) => `rsv:${reservationId}:commit`;

export function commitRequestHash(input: CommitInput): string {
  return sha256Hex(
    canonicalJson({
      ...(input.priced ? { usage: input.priced.request } : { cost_micros: input.costMicros }),
      metadata: input.metadata,
    }),
  );
}

export function createCommitService(deps: ReservationDeps) {
  const { db, store, writer, bus } = deps;

  const replayCommitted = async (row: ReservationRow, hash: string): Promise<ReservationOutcome> => {
    if (row.commitRequestHash !== hash) {
      throw new ApiError(
        'idempotency_key_reused',
        'This reservation was already committed with a different cost or metadata.',
        { event_id: row.eventId },
      );
    }
    const { rows } = await db.query<{ response_status: number; response_body: unknown }>(
      'SELECT response_status, response_body FROM events WHERE customer_id = $1 AND id = $2',
      [row.customerId, row.eventId],
    );
    const stored = rows[0];
    if (!stored) throw unavailable(); // committed in the same transaction as the event: cannot happen
    return replayOf(stored.response_status, stored.response_body);
  };

  /** Waits (briefly) for the right to commit; answers the replay, 409 or 404 when it is not ours to take. */
  const claimOrAnswer = async (
    principal: Principal,
    id: string,
    hash: string,
    expired: () => boolean,
  ): Promise<ReservationRow | ReservationOutcome> => {
    const started = Date.now();
    for (;;) {
      // The claim first (the usual case, one round trip); only a refused claim reads the row to answer why.
      const claimed = await claimCommit(
        db,
        principal.customerId,
        id,
        hash,
        Date.now(),
        boundAgentOf(principal),
      );
      if (claimed) return claimed;
      const row = await findReservation(db, principal.customerId, id);
      if (!row) throw notFound('reservation');
      assertAgentAllowed(principal, row.agentId);
      if (row.status === 'committed') return replayCommitted(row, hash);
      if (row.status === 'released' || row.status === 'declined') {
        throw new ApiError('conflict', `This reservation was ${row.status}; it cannot be committed.`, {
          field: 'status',
          status: row.status,
        });
      }
      // Held or expired and claimed by a commit still running (here or on another instance): wait for it.
      if (Date.now() - started > IN_FLIGHT_WAIT_MS || expired()) {
        throw new ApiError(
          'idempotency_key_in_flight',
          'A commit of this reservation is still being processed; retry shortly.',
          {},
          1,
        );
      }
      await sleep(IN_FLIGHT_POLL_MS);
    }
  };

  const claimAndCommit = async (
    principal: Principal,
    id: string,
    input: CommitInput,
    hash: string,
    expired: () => boolean,
    progress: { committing: boolean },
  ): Promise<ReservationOutcome> => {
    const claimed = await claimOrAnswer(principal, id, hash, expired);
    if (!('agentId' in claimed)) return claimed;
    const row = claimed;
    const customerId = row.customerId;
    const eventId = newId('evt');
    const ref: TokenRef = { customerId, agentId: row.agentId, runId: row.runId, token: eventId, claim: null };
    const giveBackClaim = () => unclaimCommit(db, id).catch(() => {});
    const now = Date.now();
    const counting = {
      customerId,
      agentId: row.agentId,
      runId: row.runId,
      holdId: row.id,
      token: eventId,
      actualMicros: input.costMicros,
      now,
    };
    let committed: Awaited<ReturnType<typeof commitHold>>;
    const commitHold = () =>
      withRebuild(deps, counting, () =>
        repeatable(deps, 'commit_hold', expired, () => store.commitHold(counting)),
      );
    try {
      if (expired()) throw new DeadlineExceeded();
      committed = await commitHold();
    } catch (error) {
      // The count may have run with its reply lost: free the claim (a retry counts under its own token), and take
      // back in the background whatever this token counted.
      await giveBackClaim();
      if (!(error instanceof ApiError || error instanceof DeadlineExceeded)) void undoQuietly(deps, ref);
      throw error;
    }
    const { spend, suspended, limits } = committed;

    const event: EventRow = {
      id: eventId,
      customerId,
      agentId: row.agentId,
      runId: row.runId,
      costMicros: input.costMicros,
      status: 'accepted',
      declineCode: null,
      idempotencyKey: commitEventKey(id),
      keyScope: KEY_SCOPE_RESERVATION_COMMIT,
      requestHash: hash,
      responseStatus: 201,
      responseBody: null,
      metadata: input.metadata,
      pricing: input.priced?.pricing ?? null,
      // The reservation's fingerprint counted once, when it was held (docs/api.md §7): its commit adds nothing.
      fingerprint: null,
      reservationId: id,
      occurredAt: now,
      recordedAt: now,
    };
    event.responseBody = {
      event: { ...eventJson(event, row.agentName), reservation_id: id },
      budget: budgetJson(limits, spend, now),
    };
    // The commit's cost is in this very batch: PostgreSQL's committed spend already includes it (extra 0).
    const flip = suspended
      ? flipCandidate(
          customerId,
          row.agentId,
          suspended,
          0,
          { decidedAt: now, statusVersion: committed.statusVersion },
          { event_id: event.id, reservation_id: id },
        )
      : undefined;

    return persistDecided(deps, {
      ref,
      decidedAt: now,
      progress,
      persist: () =>
        // The event's reservationId makes the writer mark the reservation committed in the same statement.
        writer.persist({ event, ...(flip ? { flip } : {}) }),
      exists: () => eventExists(db, event.id),
      agentRow: () => findAgentState(db, customerId, row.agentId),
      abandoned: giveBackClaim,
      duplicate: async () => {
        // A commit event under this key was stored first (a stale claim was taken over): count nothing twice.
        const again = await findReservation(db, customerId, id);
        if (again?.status === 'committed') return replayCommitted(again, hash);
        throw unavailable();
      },
      committed: (agentState) => {
        bus.publish(customerChannel(customerId), spendMessage(row.agentName, spend)).catch(() => {});
        if (agentState) {
          void afterConfirmedFlip(
            deps,
            customerId,
            { id: row.agentId, name: row.agentName },
            agentState,
            'a reservation commit',
          );
        }
        return { status: 201, body: event.responseBody, replayed: false, outcome: 'accepted' };
      },
    });
  };

  return {
    commit: (
      principal: Principal,
      id: string,
      input: CommitInput,
      receivedAt = Date.now(),
    ): Promise<ReservationOutcome> =>
      answerWithinDeadline(
        deps,
        'reservation_commit',
        'reservation commit',
        receivedAt,
        (expired, progress) =>
          claimAndCommit(principal, id, input, commitRequestHash(input), expired, progress),
        deadlineAnswer,
      ),
  };
}
