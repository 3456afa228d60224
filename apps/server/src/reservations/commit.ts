// POST /v1/reservations/{id}/commit (SPEC §6): the real cost is always recorded — above the estimate, after the
// agent was suspended meanwhile, and after the hold expired (the hold is gone but the money was spent). Exactly once:
//   1. claim the reservation row in PostgreSQL (one committer at a time, on any instance; repository.claimCommit);
//   2. store.commitHold: drop the hold, count the cost everywhere, flip the kill switch if a limit is now exceeded;
//   3. the group-commit writer stores the event (idempotency key `rsv:<id>:commit`, reservation_id set) and turns the
//      row `committed` in the same transaction;
// then answer 201 {event, budget} as POST /v1/events does. A second commit with the same body replays the first
// answer (Idempotent-Replayed: true, same event id); with another body it is 422 idempotency_key_reused.
// If step 3 certainly failed, step 2 is taken back (counts and the kill-switch flip) and the claim given back, so a
// retry commits afresh; if its fate is unknown, it is settled in the background like an event's.
import { customerChannel } from '../agents/live-channel.js';
import { assertAgentAllowed } from '../auth/agent-access.js';
import { sha256Hex } from '../auth/secrets.js';
import type { Principal } from '../auth/types.js';
import { ApiError, notFound, unavailable } from '../http/errors.js';
import { newId } from '../ids.js';
import { spendMessage, suspensionEffects } from '../spend/decision-effects.js';
import { budgetJson, canonicalJson, eventExists, eventJson } from '../spend/event-service.js';
import {
  answerWithinDeadline,
  DeadlineExceeded,
  IN_FLIGHT_POLL_MS,
  IN_FLIGHT_WAIT_MS,
  replayOf,
  settleUncertainCommit,
  sleep,
  undoQuietly,
  withRebuild,
} from '../spend/idempotent-request.js';
import type { Decision, Decline, SpendRequest, SpendSnapshot } from '../spend/store.js';
import { type EventRow, type PersistItem, WriterClosedError } from '../spend/writer.js';
import { claimCommit, findReservation, type ReservationRow, unclaimCommit } from './repository.js';
import type { ReservationDeps, ReservationOutcome } from './types.js';

export interface CommitInput {
  costMicros: number;
  metadata: Record<string, unknown> | null;
}

/** The idempotency key of a reservation's commit event: deterministic, so PostgreSQL's unique index backs it up. */
const commitEventKey = (reservationId: string) => `rsv:${reservationId}:commit`;

export function commitRequestHash(input: CommitInput): string {
  return sha256Hex(canonicalJson({ cost_micros: input.costMicros, metadata: input.metadata }));
}

export function createCommitService(deps: ReservationDeps) {
  const { db, store, writer, directory, bus, metrics } = deps;

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
      if (await claimCommit(db, principal.customerId, id, hash, Date.now())) return row;
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

  const commitHoldWithRebuild = (row: ReservationRow, actualMicros: number, now: number) => {
    const input = {
      customerId: row.customerId,
      agentId: row.agentId,
      runId: row.runId,
      holdId: row.id,
      actualMicros,
      now,
    };
    return withRebuild(deps, input, () => store.commitHold(input));
  };

  /** Takes back what commitHold did: the counted cost, then a kill-switch flip it caused. Then frees the claim. */
  const takeBack = async (
    id: string,
    request: SpendRequest,
    spend: SpendSnapshot,
    suspended: Decline | null,
  ) => {
    await undoQuietly(deps, request, { outcome: 'accepted', spend });
    if (suspended) await undoQuietly(deps, request, { outcome: 'declined', decline: suspended, spend });
    await unclaimCommit(db, id).catch(() => {});
  };

  const claimAndCommit = async (
    principal: Principal,
    id: string,
    input: CommitInput,
    hash: string,
    expired: () => boolean,
  ): Promise<ReservationOutcome> => {
    const claimed = await claimOrAnswer(principal, id, hash, expired);
    if (!('agentId' in claimed)) return claimed;
    const row = claimed;
    const customerId = row.customerId;
    let committedHold: Awaited<ReturnType<typeof commitHoldWithRebuild>>;
    let agent: Awaited<ReturnType<typeof directory.resolve>>;
    let customer: Awaited<ReturnType<typeof directory.customer>>;
    const now = Date.now();
    try {
      if (expired()) throw new DeadlineExceeded();
      agent = await directory.resolve(customerId, row.agentName);
      customer = await directory.customer(customerId);
      committedHold = await commitHoldWithRebuild(row, input.costMicros, now);
    } catch (error) {
      // Nothing was counted — or, if the store timed out after running the script, the cost was counted and a retry
      // counts it again: an over-count, the safe side, for the reconciler. Either way the claim is freed for a retry.
      await unclaimCommit(db, id).catch(() => {});
      if (!(error instanceof ApiError))
        metrics.storeErrors.inc({ store: store.kind, operation: 'commit_hold' });
      throw error;
    }
    const { spend, suspended } = committedHold;
    const key = commitEventKey(id);
    // The SpendRequest that undo() understands for this count (no hold: the counted cost is taken back).
    const request: SpendRequest = {
      customerId,
      agentId: row.agentId,
      runId: row.runId,
      amountMicros: input.costMicros,
      idempotencyKey: key,
      requestHash: hash,
      now,
    };

    const event: EventRow = {
      id: newId('evt'),
      customerId,
      agentId: row.agentId,
      runId: row.runId,
      costMicros: input.costMicros,
      status: 'accepted',
      declineCode: null,
      idempotencyKey: key,
      requestHash: hash,
      responseStatus: 201,
      responseBody: null,
      metadata: input.metadata,
      reservationId: id,
      occurredAt: now,
      recordedAt: now,
    };
    event.responseBody = {
      event: { ...eventJson(event, agent.name), reservation_id: id },
      budget: budgetJson(agent, customer.monthLimitMicros, spend, now),
    };
    const item: PersistItem = { event, reservation: { reservationId: id, finishedAt: now } };
    if (suspended) {
      Object.assign(
        item,
        suspensionEffects(customerId, row.agentId, suspended, now, {
          event_id: event.id,
          reservation_id: id,
        }),
      );
    }

    let persisted: 'inserted' | 'duplicate';
    try {
      persisted = await writer.persist(item);
    } catch (error) {
      if (error instanceof WriterClosedError) await takeBack(id, request, spend, suspended);
      else {
        // Fate unknown: settleUncertainCommit asks PostgreSQL and takes the count back if the event is absent;
        // then, if the reservation did not end up committed, the kill-switch flip and the claim are taken back too.
        const decision: Decision = { outcome: 'accepted', spend };
        void settleUncertainCommit(deps, request, decision, () => eventExists(db, event.id)).then(
          async () => {
            const after = await findReservation(db, customerId, id).catch(() => null);
            if (after && after.status !== 'committed') {
              if (suspended)
                await undoQuietly(deps, request, { outcome: 'declined', decline: suspended, spend });
              await unclaimCommit(db, id).catch(() => {});
            }
          },
        );
      }
      throw unavailable();
    }
    if (persisted === 'duplicate') {
      // A commit event under this key was stored first (a stale claim was taken over): count nothing twice.
      await takeBack(id, request, spend, suspended);
      const again = await findReservation(db, customerId, id);
      if (again?.status === 'committed') return replayCommitted(again, hash);
      throw unavailable();
    }

    bus.publish(customerChannel(customerId), spendMessage(agent.name, spend)).catch(() => {});
    if (item.agentChange) {
      await directory.invalidate({ customerId, agentId: row.agentId });
      deps.log.warn(
        { agent: agent.name, change: 'suspended' },
        'kill switch changed by a reservation commit',
      );
      deps.announceAgent(customerId, row.agentId).catch(() => {});
    }
    return { status: 201, body: event.responseBody, replayed: false, outcome: 'accepted' };
  };

  return {
    commit: (
      principal: Principal,
      id: string,
      input: CommitInput,
      receivedAt = Date.now(),
    ): Promise<ReservationOutcome> =>
      answerWithinDeadline(deps, 'reservation_commit', 'reservation commit', receivedAt, (expired) =>
        claimAndCommit(principal, id, input, commitRequestHash(input), expired),
      ),
  };
}
