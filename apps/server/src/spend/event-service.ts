// POST /v1/events behind the route: resolve the agent → one atomic decision in the spend store → group commit to
// PostgreSQL → mark the idempotency key completed → answer. Every path after decide() ends in exactly one of
// "committed + completeKey" or "undo" (or, when PostgreSQL cannot tell us whether a commit happened, counters
// left high for the reconciler — the safe side), even when the HTTP answer was already given up on (deadline → 503), so a
// counter is never left counting an event PostgreSQL does not have (except after a crash: see reconciler.ts).
import { createHash } from 'node:crypto';
import type { AgentDirectory, AgentInfo } from '../agents/directory.js';
import { customerChannel } from '../agents/live-channel.js';
import { assertAgentAllowed } from '../auth/agent-access.js';
import type { Principal } from '../auth/types.js';
import { formatUsd } from '../budget/money.js';
import { dayResetsAt, monthResetsAt } from '../budget/periods.js';
import type { Db } from '../db/types.js';
import { ApiError, forbidden, unavailable } from '../http/errors.js';
import { newId } from '../ids.js';
import type { Bus } from '../live/bus.js';
import type { Metrics } from '../observability/metrics.js';
import { rebuildOnce } from './rebuild.js';
import type { Decision, Decline, SpendRequest, SpendSnapshot, SpendStore } from './store.js';
import {
  type AgentStatusChange,
  type EventRow,
  type EventWriter,
  type PersistItem,
  WriterClosedError,
} from './writer.js';

/** The whole request must answer within this (SPEC: 503 fast, never a hang). */
const DEADLINE_MS = 1_800;
const MAX_REBUILDS = 2;
const IN_FLIGHT_WAIT_MS = 1_000;
const IN_FLIGHT_POLL_MS = 20;
const SETTLE_POLL_MS = 250;
const SETTLE_RECHECK_MS = 2_000;
const SETTLE_GIVE_UP_MS = 110_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Dashboards need a change within 1 s; publishing every event of a busy agent would flood pub/sub. */
const SPEND_PUBLISH_INTERVAL_MS = 250;

export interface EventInput {
  agent: string;
  costMicros: number;
  run: string | null;
  /** Epoch ms when given by the client; null = now (then it is not part of the request hash). */
  occurredAt: number | null;
  metadata: Record<string, unknown> | null;
  idempotencyKey: string;
}

export interface EventOutcome {
  status: number;
  body: unknown;
  replayed: boolean;
  /** For the request log line. */
  outcome: 'accepted' | 'declined' | 'replayed';
}

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
  const canonical = canonicalJson({
    agent: input.agent,
    cost_micros: input.costMicros,
    run: input.run,
    ...(input.occurredAt !== null ? { occurred_at: new Date(input.occurredAt).toISOString() } : {}),
    metadata: input.metadata,
  });
  return createHash('sha256').update(canonical).digest('hex');
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

interface PeriodJson {
  limit_micros: number | null;
  spent_micros: number;
  remaining_micros: number | null;
  resets_at: string | null;
}

function period(limit: number | null, spent: number, resetsAt: number | null): PeriodJson {
  return {
    limit_micros: limit,
    spent_micros: spent,
    remaining_micros: limit === null ? null : Math.max(0, limit - spent),
    resets_at: iso(resetsAt),
  };
}

/** The `budget` object of SPEC §5: spend as the decision saw it (holds included) against the limits. */
export function budgetJson(
  agent: AgentInfo,
  customerMonthLimit: number | null,
  spend: SpendSnapshot,
  now: number,
) {
  return {
    agent: {
      month: period(agent.limits.monthMicros, spend.agent.monthMicros, monthResetsAt(now)),
      day: period(agent.limits.dayMicros, spend.agent.dayMicros, dayResetsAt(now)),
      velocity: period(agent.limits.velocity?.maxMicros ?? null, spend.agent.velocityMicros, null),
    },
    customer: { month: period(customerMonthLimit, spend.customer.monthMicros, monthResetsAt(now)) },
  };
}

export function eventJson(row: EventRow, agentName: string) {
  return {
    id: row.id,
    agent: agentName,
    cost_micros: row.costMicros,
    cost_usd: formatUsd(row.costMicros),
    idempotency_key: row.idempotencyKey,
    occurred_at: iso(row.occurredAt),
    recorded_at: iso(row.recordedAt),
    status: row.status,
    ...(row.declineCode ? { decline_code: row.declineCode } : {}),
    run: row.runId,
    metadata: row.metadata,
  };
}

export function declineBody(decline: Decline, event: unknown) {
  if (decline.code === 'agent_suspended') {
    return {
      error: {
        code: 'agent_suspended',
        message: 'The agent is suspended (kill switch on); the event was declined.',
        reason: decline.reason,
        suspended_at: iso(decline.suspendedAt),
        event,
      },
    };
  }
  return {
    error: {
      code: 'budget_exceeded',
      message: `The event would exceed the ${decline.scope} ${decline.period} limit; it was declined.`,
      scope: decline.scope,
      period: decline.period,
      limit_micros: decline.limitMicros,
      spent_micros: decline.spentMicros,
      resets_at: iso(decline.resetsAt),
      event,
    },
  };
}

export class DeadlineExceeded extends Error {}

/** What the shared decision helpers below need (the event service's and the reservation service's deps). */
export interface DecisionDeps {
  db: Db;
  store: SpendStore;
  metrics: Metrics;
  log: { warn(obj: unknown, msg: string): void };
}

export async function decideWithRebuild(deps: DecisionDeps, request: SpendRequest): Promise<Decision> {
  const { store, metrics, db } = deps;
  for (let rebuilds = 0; ; rebuilds++) {
    const started = process.hrtime.bigint();
    const decision = await store.decide(request);
    metrics.decisionDuration.observe({ store: store.kind }, Number(process.hrtime.bigint() - started) / 1e9);
    if (decision.outcome !== 'missing') return decision;
    if (rebuilds >= MAX_REBUILDS) throw unavailable();
    metrics.counterRebuilds.inc();
    await rebuildOnce(store, db, request.customerId, request.agentId, request.runId, request.now);
  }
}

/**
 * Same key while the first request is still being processed: wait for it (polling the claim) and answer with its
 * result; 409 in flight only if it takes longer than IN_FLIGHT_WAIT_MS. If the first one failed and was undone,
 * the claim is gone and this request is decided afresh — still never a second count.
 */
export async function decideWaitingForFirst(
  deps: DecisionDeps,
  request: SpendRequest,
  expired: () => boolean,
): Promise<Decision> {
  const started = Date.now();
  for (;;) {
    const decision = await decideWithRebuild(deps, request);
    if (decision.outcome !== 'in_flight' || Date.now() - started > IN_FLIGHT_WAIT_MS || expired())
      return decision;
    await sleep(IN_FLIGHT_POLL_MS);
  }
}

export async function undoQuietly(
  deps: DecisionDeps,
  request: SpendRequest,
  decision: Decision,
): Promise<void> {
  try {
    await deps.store.undo(request, decision);
  } catch (error) {
    // Counters stay high (the safe side) until the reconciler repairs them.
    deps.metrics.storeErrors.inc({ store: deps.store.kind, operation: 'undo' });
    deps.log.warn({ err: error }, 'undo after a failed commit did not reach the spend store');
  }
}

/**
 * After a failed commit: committed after all (`committed()` asks PostgreSQL) → completeKey (a retry replays it);
 * absent at two checks SETTLE_RECHECK_MS apart (so a delayed COMMIT still on the wire is not missed) → undo (a retry
 * is decided afresh). PostgreSQL unreachable for SETTLE_GIVE_UP_MS → leave the counters high (the safe side) for
 * the reconciler; the claim then expires by itself and PostgreSQL's unique index still prevents a double record.
 */
export async function settleUncertainCommit(
  deps: DecisionDeps,
  request: SpendRequest,
  decision: Decision,
  committed: () => Promise<boolean>,
): Promise<void> {
  const started = Date.now();
  let absentSince: number | null = null;
  while (Date.now() - started < SETTLE_GIVE_UP_MS) {
    await sleep(absentSince === null ? SETTLE_POLL_MS : SETTLE_RECHECK_MS);
    let exists: boolean;
    try {
      exists = await committed();
    } catch {
      absentSince = null;
      continue;
    }
    if (exists) {
      await deps.store
        .completeKey(request.customerId, request.idempotencyKey, request.requestHash)
        .catch(() => {});
      return;
    }
    if (absentSince !== null) {
      await undoQuietly(deps, request, decision);
      return;
    }
    absentSince = Date.now();
  }
  deps.log.warn({ key: request.idempotencyKey }, 'commit outcome unknown: counters left for the reconciler');
}

/**
 * Runs `work` against the request deadline (counted from `receivedAt`): rejects with unavailable() when the deadline
 * wins, while `work` goes on in the background — it ends committed or undone, never half. `expired()` tells `work`
 * to stop before its next irreversible step.
 */
export async function raceDeadline<T>(
  receivedAt: number,
  work: (expired: () => boolean) => Promise<T>,
): Promise<T> {
  const started = Math.min(receivedAt, Date.now());
  let timedOut = false;
  const expired = () => timedOut || Date.now() - started > DEADLINE_MS;
  const running = work(expired);
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => {
        timedOut = true;
        reject(unavailable());
      },
      Math.max(0, DEADLINE_MS - (Date.now() - started)),
    );
  });
  try {
    return await Promise.race([running, deadline]);
  } catch (error) {
    running.catch(() => {});
    throw error instanceof DeadlineExceeded ? unavailable() : error;
  } finally {
    clearTimeout(timer);
  }
}

export function createEventService(deps: {
  db: Db;
  store: SpendStore;
  writer: EventWriter;
  directory: AgentDirectory;
  bus: Bus;
  metrics: Metrics;
  log: { warn(obj: unknown, msg: string): void };
  /** Publishes the agent object after a decision flipped its kill switch (agents/service.ts announce). */
  announceAgent(customerId: string, agentId: string): Promise<void>;
}): EventService {
  const { db, store, writer, directory, bus, metrics } = deps;
  const lastSpendPublish = new Map<string, number>();
  const pendingSpend = new Map<string, NodeJS.Timeout>();

  const publishSpend = (customerId: string, agent: AgentInfo, spend: SpendSnapshot) => {
    const message = {
      type: 'spend',
      data: {
        agent: agent.name,
        spend: {
          month_micros: spend.agent.monthMicros,
          day_micros: spend.agent.dayMicros,
          velocity_micros: spend.agent.velocityMicros,
        },
      },
    };
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
      `SELECT response_status, response_body, request_hash FROM events WHERE customer_id = $1 AND idempotency_key = $2`,
      [customerId, key],
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
    const body =
      typeof stored.response_body === 'string' ? JSON.parse(stored.response_body) : stored.response_body;
    return { status: stored.response_status, body, replayed: true, outcome: 'replayed' };
  };

  const eventExists = async (eventId: string): Promise<boolean> => {
    const { rows } = await db.query('SELECT 1 FROM events WHERE id = $1', [eventId]);
    return rows.length > 0;
  };

  /** The part of a request that must run to its end even if the client was already answered 503. */
  const decideAndCommit = async (
    principal: Principal,
    input: EventInput,
    hash: string,
    expired: () => boolean,
  ): Promise<EventOutcome> => {
    const customerId = principal.customerId;
    // A key bound to one agent never creates another one: an unknown name is simply not its agent.
    const bound = principal.type === 'api_key' && principal.agentId !== null;
    const agent = bound
      ? await directory.find(customerId, input.agent)
      : await directory.resolve(customerId, input.agent);
    if (!agent) throw forbidden('This API key is bound to another agent.');
    assertAgentAllowed(principal, agent.id);
    const customer = await directory.customer(customerId);
    if (expired()) throw new DeadlineExceeded();

    const now = Date.now();
    const request: SpendRequest = {
      customerId,
      agentId: agent.id,
      runId: input.run,
      amountMicros: input.costMicros,
      idempotencyKey: input.idempotencyKey,
      requestHash: hash,
      now,
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
        // Still claimed after waiting: if PostgreSQL already has the event (its request died before completeKey,
        // e.g. a crash), answer the replay instead of making the client wait for the claim to expire.
        const stored = await readStored(customerId, input.idempotencyKey).catch(() => null);
        if (stored) return replayFromDb(customerId, input.idempotencyKey, hash);
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
        return replayFromDb(customerId, input.idempotencyKey, hash);
      case 'missing':
        throw unavailable();
    }
    if (expired()) {
      await undoQuietly(deps, request, decision);
      throw new DeadlineExceeded();
    }

    const row: EventRow = {
      id: newId('evt'),
      customerId,
      agentId: agent.id,
      runId: input.run,
      costMicros: input.costMicros,
      status: decision.outcome,
      declineCode: decision.outcome === 'declined' ? decision.decline.code : null,
      idempotencyKey: input.idempotencyKey,
      requestHash: hash,
      responseStatus: 0,
      responseBody: null,
      metadata: input.metadata,
      reservationId: null,
      occurredAt: input.occurredAt ?? now,
      recordedAt: now,
    };
    const event = eventJson(row, agent.name);
    const item: PersistItem = { event: row };
    let agentChange: AgentStatusChange | undefined;
    if (decision.outcome === 'accepted') {
      row.responseStatus = 201;
      row.responseBody = { event, budget: budgetJson(agent, customer.monthLimitMicros, decision.spend, now) };
    } else {
      row.responseStatus = 403;
      row.responseBody = declineBody(decision.decline, event);
      const d = decision.decline;
      if (d.code === 'budget_exceeded' && d.suspended) {
        agentChange = {
          agentId: agent.id,
          status: 'suspended',
          suspendedReason: d.suspended.reason,
          suspendedAt: now,
          suspendedPeriod: d.suspended.period,
        };
        item.audit = {
          customerId,
          actor: { type: 'system' },
          action: 'agent.suspend',
          targetType: 'agent',
          targetId: agent.id,
          before: { status: 'active' },
          after: {
            status: 'suspended',
            suspended_reason: d.suspended.reason,
            suspended_period: d.suspended.period,
            cause: { event_id: row.id, period: d.period, scope: d.scope, limit_micros: d.limitMicros },
          },
        };
      }
    }
    // A budget_exceeded suspension whose period ended was lifted by this decision: mirror it in PostgreSQL.
    if (!agentChange && decision.lifted) {
      agentChange = {
        agentId: agent.id,
        status: 'active',
        suspendedReason: null,
        suspendedAt: null,
        suspendedPeriod: null,
      };
    }
    if (agentChange) item.agentChange = agentChange;

    let persisted: 'inserted' | 'duplicate';
    try {
      persisted = await writer.persist(item);
    } catch (error) {
      if (error instanceof WriterClosedError) await undoQuietly(deps, request, decision);
      // Otherwise the commit's fate is unknown (a COMMIT can succeed and its answer be lost): settle it in the
      // background by asking PostgreSQL, keeping the key claimed meanwhile (retries see 409, never a second count).
      else void settleUncertainCommit(deps, request, decision, () => eventExists(row.id));
      throw unavailable();
    }
    if (persisted === 'duplicate') {
      // Another request with this key committed first (the store had forgotten the key): this one counts nothing.
      await undoQuietly(deps, request, decision);
      return replayFromDb(customerId, input.idempotencyKey, hash);
    }
    try {
      await store.completeKey(customerId, input.idempotencyKey, hash);
    } catch {
      // Committed: the answer stands. The in-flight claim expires by itself; PostgreSQL's unique index then
      // turns a retry into a replay.
      metrics.storeErrors.inc({ store: store.kind, operation: 'complete_key' });
    }

    if (decision.outcome === 'accepted') publishSpend(customerId, agent, decision.spend);
    else {
      bus
        .publish(customerChannel(customerId), {
          type: 'declined',
          data: { agent: agent.name, code: row.declineCode, event },
        })
        .catch(() => {});
    }
    if (agentChange) {
      await directory.invalidate({ customerId, agentId: agent.id });
      deps.log.warn({ agent: agent.name, change: agentChange.status }, 'kill switch changed by a decision');
      // The agent object for dashboards; best effort (the event is already committed).
      deps.announceAgent(customerId, agent.id).catch(() => {});
    }
    return { status: row.responseStatus, body: row.responseBody, replayed: false, outcome: decision.outcome };
  };

  return {
    async record(principal, input, receivedAt = Date.now()) {
      const hash = requestHash(input);
      try {
        const outcome = await raceDeadline(receivedAt, (expired) =>
          decideAndCommit(principal, input, hash, expired),
        );
        metrics.events.inc({
          kind: 'event',
          outcome: outcome.outcome,
          code: outcome.status === 201 ? 'ok' : codeOf(outcome.body),
        });
        return outcome;
      } catch (error) {
        const apiError = error instanceof ApiError ? error : toApiError(error);
        if (!(error instanceof ApiError)) deps.log.warn({ err: error }, 'event failed; answered 503');
        metrics.events.inc({ kind: 'event', outcome: 'error', code: apiError.code });
        throw apiError;
      }
    },
  };
}

export function codeOf(body: unknown): string {
  const code = (body as { error?: { code?: unknown } } | null)?.error?.code;
  return typeof code === 'string' ? code : 'ok';
}

/** Anything unexpected on the money path fails closed: 503, nothing recorded, safe to retry with the same key. */
export function toApiError(_error: unknown): ApiError {
  return unavailable();
}
