// POST /v1/reservations behind the route (SPEC §6): the same atomic decision as an event (spend/event-service.ts's
// helpers: claim the key, rebuild on a miss, wait for an in-flight twin, deadline), except that an accepted amount is
// HELD in the store rather than counted. The decided request — held or declined — is written to PostgreSQL's
// `reservations` row before the answer: a restart rebuilds open holds from there, and the same Idempotency-Key
// replays the stored answer (201 or 403). Store keys are shared with events (one key space per customer): an
// event's key reused for a reservation, or the reverse, is 422 idempotency_key_reused.
import { createHash } from 'node:crypto';
import type { AgentInfo } from '../agents/directory.js';
import { customerChannel } from '../agents/live-channel.js';
import type { AuditEntry } from '../audit.js';
import { assertAgentAllowed } from '../auth/agent-access.js';
import type { Principal } from '../auth/types.js';
import { ApiError, forbidden, unavailable } from '../http/errors.js';
import { newId } from '../ids.js';
import {
  budgetJson,
  canonicalJson,
  codeOf,
  DeadlineExceeded,
  decideWaitingForFirst,
  declineBody,
  raceDeadline,
  settleUncertainCommit,
  toApiError,
  undoQuietly,
} from '../spend/event-service.js';
import type { Decision, Decline, SpendRequest } from '../spend/store.js';
import type { AgentStatusChange } from '../spend/writer.js';
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
  ttlSeconds: number;
  run: string | null;
  idempotencyKey: string;
}

export function holdRequestHash(input: HoldInput): string {
  const canonical = canonicalJson({
    agent: input.agent,
    amount_micros: input.amountMicros,
    ttl_seconds: input.ttlSeconds,
    run: input.run,
  });
  return createHash('sha256').update(canonical).digest('hex');
}

/** The 403 of SPEC §5 for a reservation: the same fields, with the declined reservation instead of an event. */
export function reservationDeclineBody(decline: Decline, reservation: unknown) {
  const { event: _event, ...error } = declineBody(decline, null).error;
  const message =
    decline.code === 'agent_suspended'
      ? 'The agent is suspended (kill switch on); the reservation was declined.'
      : `The reservation would exceed the ${decline.scope} ${decline.period} limit; it was declined.`;
  return { error: { ...error, message, reservation } };
}

/** The kill-switch flip a decision caused, as PostgreSQL must mirror it (same shape as the event path's). */
export function suspensionEffects(
  customerId: string,
  agentId: string,
  decline: Decline,
  now: number,
  cause: Record<string, unknown>,
): { agentChange?: AgentStatusChange; audit?: AuditEntry } {
  if (decline.code !== 'budget_exceeded' || !decline.suspended) return {};
  return {
    agentChange: {
      agentId,
      status: 'suspended',
      suspendedReason: decline.suspended.reason,
      suspendedAt: now,
      suspendedPeriod: decline.suspended.period,
    },
    audit: {
      customerId,
      actor: { type: 'system' },
      action: 'agent.suspend',
      targetType: 'agent',
      targetId: agentId,
      before: { status: 'active' },
      after: {
        status: 'suspended',
        suspended_reason: decline.suspended.reason,
        suspended_period: decline.suspended.period,
        cause: { ...cause, period: decline.period, scope: decline.scope, limit_micros: decline.limitMicros },
      },
    },
  };
}

export function createHoldService(deps: ReservationDeps) {
  const { db, store, directory, bus, metrics } = deps;

  const replay = async (customerId: string, key: string, hash: string): Promise<ReservationOutcome> => {
    const stored = await findReservationByKey(db, customerId, key);
    if (!stored || stored.requestHash !== hash) {
      // No reservation under this key: the store remembers it from an event (one key space per customer).
      throw new ApiError(
        'idempotency_key_reused',
        'This Idempotency-Key was already used with a different body.',
      );
    }
    return { status: stored.responseStatus, body: stored.responseBody, replayed: true, outcome: 'replayed' };
  };

  const decideAndStore = async (
    principal: Principal,
    input: HoldInput,
    hash: string,
    expired: () => boolean,
  ): Promise<ReservationOutcome> => {
    const customerId = principal.customerId;
    // As for events: a key bound to one agent never creates another one (an unknown name is not its agent).
    const bound = principal.type === 'api_key' && principal.agentId !== null;
    const agent: AgentInfo | null = bound
      ? await directory.find(customerId, input.agent)
      : await directory.resolve(customerId, input.agent);
    if (!agent) throw forbidden('This API key is bound to another agent.');
    assertAgentAllowed(principal, agent.id);
    const customer = await directory.customer(customerId);
    if (expired()) throw new DeadlineExceeded();

    const now = Date.now();
    const id = newId('rsv');
    const expiresAt = now + input.ttlSeconds * 1000;
    const request: SpendRequest = {
      customerId,
      agentId: agent.id,
      runId: input.run,
      amountMicros: input.amountMicros,
      idempotencyKey: input.idempotencyKey,
      requestHash: hash,
      now,
      hold: { holdId: id, expiresAt },
    };
    let decision: Decision;
    try {
      decision = await decideWaitingForFirst(deps, request, expired);
    } catch (error) {
      if (!(error instanceof ApiError)) metrics.storeErrors.inc({ store: store.kind, operation: 'decide' });
      throw error;
    }
    switch (decision.outcome) {
      case 'in_flight': {
        const stored = await findReservationByKey(db, customerId, input.idempotencyKey).catch(() => null);
        if (stored) return replay(customerId, input.idempotencyKey, hash);
        throw new ApiError(
          'idempotency_key_in_flight',
          'A request with this Idempotency-Key is still being processed; retry shortly.',
          {},
          1,
        );
      }
      case 'reused':
        throw new ApiError(
          'idempotency_key_reused',
          'This Idempotency-Key was already used with a different body.',
        );
      case 'replay':
        return replay(customerId, input.idempotencyKey, hash);
      case 'missing':
        throw unavailable();
    }
    if (expired()) {
      await undoQuietly(deps, request, decision);
      throw new DeadlineExceeded();
    }

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
    };
    const reservation = reservationJson(
      { ...row, agentName: agent.name, finishedAt: accepted ? null : now },
      now,
    );
    let effects: ReturnType<typeof suspensionEffects> = {};
    if (decision.outcome === 'accepted') {
      row.responseBody = {
        reservation,
        budget: budgetJson(agent, customer.monthLimitMicros, decision.spend, now),
      };
    } else {
      row.responseBody = reservationDeclineBody(decision.decline, reservation);
      effects = suspensionEffects(customerId, agent.id, decision.decline, now, { reservation_id: id });
    }
    if (!effects.agentChange && decision.lifted) {
      effects.agentChange = {
        agentId: agent.id,
        status: 'active',
        suspendedReason: null,
        suspendedAt: null,
        suspendedPeriod: null,
      };
    }

    let inserted: boolean;
    try {
      inserted = await insertReservation(db, row, effects);
    } catch {
      // The COMMIT's fate may be unknown: ask PostgreSQL in the background, keeping the key claimed meanwhile.
      void settleUncertainCommit(deps, request, decision, () => reservationExists(db, id));
      throw unavailable();
    }
    if (!inserted) {
      // Another request with this key was stored first (the store had forgotten the key): this one holds nothing.
      await undoQuietly(deps, request, decision);
      return replay(customerId, input.idempotencyKey, hash);
    }
    try {
      await store.completeKey(customerId, input.idempotencyKey, hash);
    } catch {
      metrics.storeErrors.inc({ store: store.kind, operation: 'complete_key' });
    }

    if (decision.outcome === 'declined') {
      bus
        .publish(customerChannel(customerId), {
          type: 'declined',
          data: { agent: agent.name, code: row.declineCode, reservation },
        })
        .catch(() => {});
    }
    if (effects.agentChange) {
      await directory.invalidate({ customerId, agentId: agent.id });
      deps.announceAgent(customerId, agent.id).catch(() => {});
    }
    return {
      status: row.responseStatus,
      body: row.responseBody,
      replayed: false,
      outcome: accepted ? 'accepted' : 'declined',
    };
  };

  return {
    async create(
      principal: Principal,
      input: HoldInput,
      receivedAt = Date.now(),
    ): Promise<ReservationOutcome> {
      const hash = holdRequestHash(input);
      try {
        const outcome = await raceDeadline(receivedAt, (expired) =>
          decideAndStore(principal, input, hash, expired),
        );
        metrics.events.inc({
          kind: 'reservation',
          outcome: outcome.outcome,
          code: outcome.status === 201 ? 'ok' : codeOf(outcome.body),
        });
        return outcome;
      } catch (error) {
        const apiError = error instanceof ApiError ? error : toApiError(error);
        if (!(error instanceof ApiError)) deps.log.warn({ err: error }, 'reservation failed; answered 503');
        metrics.events.inc({ kind: 'reservation', outcome: 'error', code: apiError.code });
        throw apiError;
      }
    },
  };
}
