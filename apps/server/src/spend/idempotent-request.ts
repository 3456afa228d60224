// The idempotent decision both money paths share (POST /v1/events and POST /v1/reservations, and the commit of a
// reservation for the deadline and the metrics): claim the key with one atomic decision in the spend store (rebuild
// on a miss, wait for an in-flight twin), answer a replay/409/422/503 from what the store said, race the request
// deadline, and take a count back when PostgreSQL certainly — or, settled later, probably — did not store it.
import type { Db } from '../db/types.js';
import { ApiError, unavailable } from '../http/errors.js';
import type { Metrics } from '../observability/metrics.js';
import { rebuildOnce } from './rebuild.js';
import type { Decision, SpendRequest, SpendStore } from './store.js';

/** The whole request must answer within this (SPEC: 503 fast, never a hang). */
const DEADLINE_MS = 1_800;
const MAX_REBUILDS = 2;
export const IN_FLIGHT_WAIT_MS = 1_000;
export const IN_FLIGHT_POLL_MS = 20;
const SETTLE_POLL_MS = 250;
const SETTLE_RECHECK_MS = 2_000;
const SETTLE_GIVE_UP_MS = 110_000;

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class DeadlineExceeded extends Error {}

/** What the shared decision helpers below need (the event service's and the reservation service's deps). */
export interface DecisionDeps {
  db: Db;
  store: SpendStore;
  metrics: Metrics;
  log: { warn(obj: unknown, msg: string): void };
}

/** A decision that counted (or held) the amount or declined it: the request goes on to PostgreSQL. */
export type CountedDecision = Extract<Decision, { outcome: 'accepted' | 'declined' }>;

/** What the request's table says about a key the store already knows (one key space per customer). */
export interface StoredAnswer<T> {
  /** The row stored under this key, or null; PostgreSQL may have it while the store still says in flight. */
  find(): Promise<unknown | null>;
  /** The first request's answer again (or 422 when the key belongs to another request or body). */
  replay(): Promise<T>;
}

/** What a store call answers when the counters it needs are absent (Decision's and commitHold's 'missing'). */
type Missing = { outcome: 'missing'; what: string[] };

const isMissing = <T extends object>(result: T | Missing): result is Missing =>
  'outcome' in result && result.outcome === 'missing';

/**
 * Runs one store call; while the store answers 'missing', rebuilds the request's counters from PostgreSQL and runs
 * it again — at most MAX_REBUILDS times, then 503.
 */
export async function withRebuild<T extends object>(
  deps: DecisionDeps,
  scope: Pick<SpendRequest, 'customerId' | 'agentId' | 'runId' | 'now'>,
  attempt: () => Promise<T | Missing>,
): Promise<Exclude<T, Missing>> {
  for (let rebuilds = 0; ; rebuilds++) {
    const result = await attempt();
    if (!isMissing(result)) return result as Exclude<T, Missing>;
    if (rebuilds >= MAX_REBUILDS) throw unavailable();
    deps.metrics.counterRebuilds.inc();
    await rebuildOnce(deps.store, deps.db, scope.customerId, scope.agentId, scope.runId, scope.now);
  }
}

async function decideWithRebuild(deps: DecisionDeps, request: SpendRequest) {
  const { store, metrics } = deps;
  return withRebuild(deps, request, async () => {
    const started = process.hrtime.bigint();
    const decision = await store.decide(request);
    metrics.decisionDuration.observe({ store: store.kind }, Number(process.hrtime.bigint() - started) / 1e9);
    return decision;
  });
}

/**
 * Same key while the first request is still being processed: wait for it (polling the claim) and answer with its
 * result; 409 in flight only if it takes longer than IN_FLIGHT_WAIT_MS. If the first one failed and was undone,
 * the claim is gone and this request is decided afresh — still never a second count.
 */
async function decideWaitingForFirst(deps: DecisionDeps, request: SpendRequest, expired: () => boolean) {
  const started = Date.now();
  for (;;) {
    const decision = await decideWithRebuild(deps, request);
    if (decision.outcome !== 'in_flight' || Date.now() - started > IN_FLIGHT_WAIT_MS || expired())
      return decision;
    await sleep(IN_FLIGHT_POLL_MS);
  }
}

/**
 * Decides the request and answers every outcome that is not a fresh decision: the stored answer for a replay (also
 * when still in flight but PostgreSQL already has the row: its request died before completeKey), 409 while a twin is
 * in flight, 422 for a key reused with another body, 503 when the store could not be rebuilt. A fresh decision
 * past the deadline is undone, so nothing is left counted for a request answered 503.
 */
export async function claimDecision<T>(
  deps: DecisionDeps,
  request: SpendRequest,
  expired: () => boolean,
  stored: StoredAnswer<T>,
): Promise<{ decision: CountedDecision } | { answer: T }> {
  let decision: Decision;
  try {
    decision = await decideWaitingForFirst(deps, request, expired);
  } catch (error) {
    if (!(error instanceof ApiError))
      deps.metrics.storeErrors.inc({ store: deps.store.kind, operation: 'decide' });
    throw error;
  }
  switch (decision.outcome) {
    case 'in_flight': {
      if (await stored.find().catch(() => null)) return { answer: await stored.replay() };
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
      return { answer: await stored.replay() };
  }
  if (expired()) {
    await undoQuietly(deps, request, decision);
    throw new DeadlineExceeded();
  }
  return { decision };
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
 * Marks the key completed after the PostgreSQL commit. Never fails: the answer stands once committed. If it does not
 * reach the store, the claim expires by itself; until then a retry waits for the claim and finds the row in
 * PostgreSQL (claimDecision's in-flight branch) → replay, and afterwards PostgreSQL's unique index makes it a replay.
 */
export async function completeKeyQuietly(deps: DecisionDeps, request: SpendRequest): Promise<void> {
  try {
    await deps.store.completeKey(request.customerId, request.idempotencyKey, request.requestHash);
  } catch {
    deps.metrics.storeErrors.inc({ store: deps.store.kind, operation: 'complete_key' });
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
async function raceDeadline<T>(receivedAt: number, work: (expired: () => boolean) => Promise<T>): Promise<T> {
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

/** What a money request answers; `outcome` is for the request log line and the decisions metric. */
export interface MoneyOutcome {
  status: number;
  body: unknown;
  replayed: boolean;
  outcome: 'accepted' | 'declined' | 'replayed';
}

/** A stored answer replayed: the body as first sent (a JSON column may come back as text from some drivers). */
export function replayOf(responseStatus: number, responseBody: unknown): MoneyOutcome {
  const body = typeof responseBody === 'string' ? JSON.parse(responseBody) : responseBody;
  return { status: responseStatus, body, replayed: true, outcome: 'replayed' };
}

/**
 * raceDeadline plus the decisions metric for one kind of money request; anything that is not an ApiError is logged
 * (`<label> failed; answered 503`) and answered 503 (fail closed: nothing recorded, safe to retry with the same key).
 */
export async function answerWithinDeadline<T extends MoneyOutcome>(
  deps: DecisionDeps,
  kind: 'event' | 'reservation' | 'reservation_commit',
  label: string,
  receivedAt: number,
  work: (expired: () => boolean) => Promise<T>,
): Promise<T> {
  try {
    const outcome = await raceDeadline(receivedAt, work);
    deps.metrics.events.inc({
      kind,
      outcome: outcome.outcome,
      code: outcome.status === 201 ? 'ok' : codeOf(outcome.body),
    });
    return outcome;
  } catch (error) {
    const apiError = error instanceof ApiError ? error : toApiError(error);
    if (!(error instanceof ApiError)) deps.log.warn({ err: error }, `${label} failed; answered 503`);
    deps.metrics.events.inc({ kind, outcome: 'error', code: apiError.code });
    throw apiError;
  }
}

function codeOf(body: unknown): string {
  const code = (body as { error?: { code?: unknown } } | null)?.error?.code;
  return typeof code === 'string' ? code : 'ok';
}

/** Anything unexpected on the money path fails closed: 503, nothing recorded, safe to retry with the same key. */
export function toApiError(_error: unknown): ApiError {
  return unavailable();
}
