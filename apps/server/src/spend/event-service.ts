// POST /v1/events behind the route: resolve the agent → one atomic decision in the spend store (idempotent-request.ts)
// → group commit to PostgreSQL and complete-or-undo (money-pipeline.ts) → answer, publishing the spend for dashboards.
import type { Static } from 'typebox';
import type { AgentDirectory, AgentInfo } from '../agents/directory.js';
import { customerChannel } from '../agents/live-channel.js';
import { findAgentState } from '../agents/repository.js';
import { sha256Hex } from '../auth/secrets.js';
import type { Principal } from '../auth/types.js';
import { formatUsd } from '../budget/money.js';
import { dayResetsAt, monthResetsAt } from '../budget/periods.js';
import type { Db } from '../db/types.js';
import { ApiError, notConfirmed, unavailable } from '../http/errors.js';
import { JsonText } from '../http/json-text.js';
import { newId } from '../ids.js';
import type { Bus } from '../live/bus.js';
import { pricingJson, type UsageCost } from '../pricing/usage-cost.js';
import type { BudgetPeriodSchema } from '../schemas/common.js';
import { isoOrNull } from '../time.js';
import { apiKeyIdOf, requestAgent, spendMessage } from './decision-effects.js';
import { flipCandidate } from './flips.js';
import {
  answerWithinDeadline,
  claimDecision,
  DeadlineExceeded,
  type DecisionDeps,
  type MoneyOutcome,
  replayOf,
  tokenRefOf,
} from './idempotent-request.js';
import { persistDecided } from './money-pipeline.js';
import type { AgentState, AppliedLimits, Decline, SpendRequest, SpendSnapshot } from './store.js';
import { type EventRow, type EventWriter, KEY_SCOPE_CLIENT } from './writer.js';

/** Dashboards need a change within 1 s; publishing every event of a busy agent would flood pub/sub. */
const SPEND_PUBLISH_INTERVAL_MS = 250;

/**
 * A money request priced from usage (an event's or commit's `usage`, a reservation's `estimate`): the request's form
 * as sent (hashed in place of the amount, so a retry after a catalogue upgrade still replays) and what the event
 * records (pricing/usage-cost.ts); null for an amount given in USD or micros.
 */
export type Priced = { request: unknown; pricing: UsageCost['pricing'] } | null;

export interface EventInput {
  agent: string;
  costMicros: number;
  priced: Priced;
  run: string | null;
  /** Epoch ms when given by the client; null = now (then it is not part of the request hash). */
  occurredAt: number | null;
  metadata: Record<string, unknown> | null;
  idempotencyKey: string;
  /** The `fingerprint` counted against the agent's `repeats` limit (docs/api.md §7); null when not sent. */
  fingerprint: string | null;
}

export type EventOutcome = MoneyOutcome;

export interface EventService {
  /** `receivedAt`: epoch ms when the HTTP request arrived; the deadline counts from there (auth may have waited). */
  record(principal: Principal, input: EventInput, receivedAt?: number): Promise<EventOutcome>;
}

/** JSON with object keys sorted at every depth: the same request always hashes the same. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.keys(value as Record<string, unknown>)
    .sort()
    .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
    .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
  return `{${entries.join(',')}}`;
}

export function requestHash(input: EventInput): string {
  return sha256Hex(
    canonicalJson({
      agent: input.agent,
      ...(input.priced ? { usage: input.priced.request } : { cost_micros: input.costMicros }),
      run: input.run,
      ...(input.occurredAt !== null ? { occurred_at: new Date(input.occurredAt).toISOString() } : {}),
      metadata: input.metadata,
      // Only when sent: every hash stored before fingerprints existed stays what its replay computes.
      ...(input.fingerprint !== null ? { fingerprint: input.fingerprint } : {}),
    }),
  );
}

type PeriodJson = Static<typeof BudgetPeriodSchema>;

function period(limit: number | null, spent: number, resetsAt: number | null): PeriodJson {
  return {
    limit_micros: limit,
    spent_micros: spent,
    remaining_micros: limit === null ? null : Math.max(0, limit - spent),
    resets_at: isoOrNull(resetsAt),
  };
}

/** The `budget` object of docs/api.md §5: spend as the decision saw it (holds included) against the limits it applied. */
export function budgetJson(limits: AppliedLimits, spend: SpendSnapshot, now: number) {
  return {
    agent: {
      month: period(limits.agent.monthMicros, spend.agent.monthMicros, monthResetsAt(now)),
      day: period(limits.agent.dayMicros, spend.agent.dayMicros, dayResetsAt(now)),
      velocity: period(limits.agent.velocity?.maxMicros ?? null, spend.agent.velocityMicros, null),
    },
    customer: { month: period(limits.customerMonthMicros, spend.customer.monthMicros, monthResetsAt(now)) },
  };
}

export function eventJson(row: EventRow, agentName: string) {
  return {
    id: row.id,
    agent: agentName,
    cost_micros: row.costMicros,
    cost_usd: formatUsd(row.costMicros),
    idempotency_key: row.idempotencyKey,
    occurred_at: isoOrNull(row.occurredAt),
    recorded_at: isoOrNull(row.recordedAt),
    status: row.status,
    ...(row.declineCode ? { decline_code: row.declineCode } : {}),
    run: row.runId,
    metadata: row.metadata,
    ...pricingJson(row.pricing),
  };
}

/** The 403 of docs/api.md §5; `noun`: what was declined, for the message (a reservation's body says so). */
export function declineBody(decline: Decline, event: unknown, noun: 'event' | 'reservation' = 'event') {
  if (decline.code === 'agent_suspended') {
    return {
      error: {
        code: 'agent_suspended',
        message: `The agent is suspended (kill switch on); the ${noun} was declined.`,
        reason: decline.reason,
        suspended_at: isoOrNull(decline.suspendedAt),
        event,
      },
    };
  }
  if (decline.code === 'loop_detected') {
    return {
      error: {
        code: 'loop_detected',
        message:
          `This fingerprint was sent ${decline.count} times within ${decline.windowSeconds} s, more than the agent's ` +
          `repeats limit allows; the ${noun} was declined and the kill switch turned on.`,
        fingerprint: decline.fingerprint,
        count: decline.count,
        window_seconds: decline.windowSeconds,
        event,
      },
    };
  }
  return {
    error: {
      code: 'budget_exceeded',
      message: `The ${noun} would exceed the ${decline.scope} ${decline.period} limit; it was declined.`,
      scope: decline.scope,
      period: decline.period,
      limit_micros: decline.limitMicros,
      spent_micros: decline.spentMicros,
      resets_at: isoOrNull(decline.resetsAt),
      event,
    },
  };
}

/** Whether PostgreSQL has this event (settles a commit whose answer was lost). */
export async function eventExists(db: Db, eventId: string): Promise<boolean> {
  const { rows } = await db.query('SELECT 1 FROM events WHERE id = $1', [eventId]);
  return rows.length > 0;
}

/** What the event service needs; the reservation services need the same (reservations/types.ts). */
export interface MoneyPathDeps extends DecisionDeps {
  writer: EventWriter;
  directory: AgentDirectory;
  bus: Bus;
  /** Publishes the agent object after a commit flipped its kill switch (agents/service.ts announce). */
  announceAgent(customerId: string, agentId: string): Promise<void>;
}

/**
 * After PostgreSQL confirmed a kill-switch flip: every instance's caches forget the agent and dashboards hear of it
 * (best effort: the event is committed and the store has the row).
 */
export async function afterConfirmedFlip(
  deps: MoneyPathDeps,
  customerId: string,
  agent: { id: string; name: string },
  state: AgentState,
  cause: string,
): Promise<void> {
  await deps.directory.invalidate({ customerId, agentId: agent.id });
  deps.log.warn(
    { agent: agent.name, reason: state.suspendedReason, period: state.suspendedPeriod },
    `kill switch flipped by ${cause}`,
  );
  deps.announceAgent(customerId, agent.id).catch(() => {});
}

/** What the deadline answers for a money request: "not confirmed" once its commit was under way. */
export const deadlineAnswer = (progress: { committing: boolean }) =>
  progress.committing ? notConfirmed() : unavailable();

export function createEventService(deps: MoneyPathDeps): EventService {
  const { db, writer, directory, bus } = deps;
  const lastSpendPublish = new Map<string, number>();
  const pendingSpend = new Map<string, NodeJS.Timeout>();

  const publishSpend = (customerId: string, agent: AgentInfo, spend: SpendSnapshot) => {
    const message = spendMessage(agent.name, spend);
    const send = () => {
      lastSpendPublish.set(agent.id, Date.now());
      pendingSpend.delete(agent.id);
      bus.publish(customerChannel(customerId), message).catch(() => {});
    };
    const since = Date.now() - (lastSpendPublish.get(agent.id) ?? 0);
    const pending = pendingSpend.get(agent.id);
    if (pending) clearTimeout(pending);
    if (since >= SPEND_PUBLISH_INTERVAL_MS) send();
    else {
      // Trailing publish: the last spend of a burst always reaches the dashboard.
      const timer = setTimeout(send, SPEND_PUBLISH_INTERVAL_MS - since);
      timer.unref();
      pendingSpend.set(agent.id, timer);
    }
    if (lastSpendPublish.size > 50_000) lastSpendPublish.clear();
  };

  const readStored = async (customerId: string, key: string) => {
    const { rows } = await db.query<{
      response_status: number;
      response_body: unknown;
      request_hash: string;
    }>(
      `SELECT response_status, response_body, request_hash FROM events
        WHERE customer_id = $1 AND key_scope = $2 AND idempotency_key = $3`,
      [customerId, KEY_SCOPE_CLIENT, key],
    );
    return rows[0] ?? null;
  };

  const replayFromDb = async (customerId: string, key: string, hash: string): Promise<EventOutcome> => {
    const stored = await readStored(customerId, key);
    if (!stored) {
      // The store says "completed" but PostgreSQL has no event under this key (e.g. a reservation's key).
      throw new ApiError(
        'idempotency_key_reused',
        'This Idempotency-Key was already used for another request.',
      );
    }
    if (stored.request_hash !== hash) {
      throw new ApiError(
        'idempotency_key_reused',
        'This Idempotency-Key was already used with a different body.',
      );
    }
    return replayOf(stored.response_status, stored.response_body);
  };

  /** The part of a request that must run to its end even if the client was already answered 503. */
  const decideAndCommit = async (
    principal: Principal,
    input: EventInput,
    hash: string,
    expired: () => boolean,
    progress: { committing: boolean },
  ): Promise<EventOutcome> => {
    const customerId = principal.customerId;
    const agent = await requestAgent(directory, principal, input.agent);
    if (expired()) throw new DeadlineExceeded();

    const now = Date.now();
    const eventId = newId('evt');
    const request: SpendRequest = {
      customerId,
      agentId: agent.id,
      runId: input.run,
      amountMicros: input.costMicros,
      token: eventId,
      idempotencyKey: input.idempotencyKey,
      requestHash: hash,
      now,
      fingerprint: input.fingerprint,
      apiKeyId: apiKeyIdOf(principal),
    };
    const claimed = await claimDecision(deps, request, expired, {
      find: () => readStored(customerId, input.idempotencyKey),
      replay: () => replayFromDb(customerId, input.idempotencyKey, hash),
    });
    if ('answer' in claimed) return claimed.answer;
    const { decision } = claimed;

    const row: EventRow = {
      id: eventId,
      customerId,
      agentId: agent.id,
      runId: input.run,
      costMicros: input.costMicros,
      status: decision.outcome,
      declineCode: decision.outcome === 'declined' ? decision.decline.code : null,
      idempotencyKey: input.idempotencyKey,
      keyScope: KEY_SCOPE_CLIENT,
      requestHash: hash,
      responseStatus: 0,
      responseBody: null,
      metadata: input.metadata,
      pricing: input.priced?.pricing ?? null,
      fingerprint: input.fingerprint,
      reservationId: null,
      occurredAt: input.occurredAt ?? now,
      recordedAt: now,
    };
    const event = eventJson(row, agent.name);
    const flip =
      decision.outcome === 'declined'
        ? flipCandidate(
            customerId,
            agent.id,
            decision.decline,
            input.costMicros,
            { decidedAt: now, statusVersion: decision.statusVersion },
            { event_id: row.id },
          )
        : undefined;
    if (decision.outcome === 'accepted') {
      row.responseStatus = 201;
      // Serialised once: the writer stores this text and the 201 sends it (json-text.ts).
      row.responseBody = new JsonText({ event, budget: budgetJson(decision.limits, decision.spend, now) });
    } else {
      row.responseStatus = 403;
      row.responseBody = declineBody(decision.decline, event);
    }

    return persistDecided(deps, {
      ref: tokenRefOf(request),
      decidedAt: now,
      progress,
      persist: () => writer.persist({ event: row, ...(flip ? { flip } : {}) }),
      exists: () => eventExists(db, row.id),
      agentRow: () => findAgentState(db, customerId, agent.id),
      duplicate: () => replayFromDb(customerId, input.idempotencyKey, hash),
      committed: (agentState) => {
        if (decision.outcome === 'accepted') publishSpend(customerId, agent, decision.spend);
        else {
          bus
            .publish(customerChannel(customerId), {
              type: 'declined',
              data: { agent: agent.name, code: row.declineCode, event },
            })
            .catch(() => {});
        }
        if (agentState) void afterConfirmedFlip(deps, customerId, agent, agentState, 'a declined event');
        return {
          status: row.responseStatus,
          body: row.responseBody,
          replayed: false,
          outcome: decision.outcome,
        };
      },
    });
  };

  return {
    record: (principal, input, receivedAt = Date.now()) =>
      answerWithinDeadline(
        deps,
        'event',
        'event',
        receivedAt,
        (expired, progress) => decideAndCommit(principal, input, requestHash(input), expired, progress),
        deadlineAnswer,
      ),
  };
}
