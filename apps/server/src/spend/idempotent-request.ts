// The decision half of every money request (POST /v1/events, POST /v1/reservations, and a reservation's commit):
// one atomic decision in the spend store — rebuilt from PostgreSQL on a miss, run again with the same token when its
// reply was lost, waiting briefly for an in-flight twin — answered with a replay/409/422/503 where it is not a fresh
// decision, all against the request deadline. The other half (persist → complete or undo) is money-pipeline.ts.
import { isUnavailableError } from '../db/errors.js';
import type { Db } from '../db/types.js';
import { ApiError, recovering, unauthenticated, unavailable } from '../http/errors.js';
import type { Metrics } from '../observability/metrics.js';
import { rebuildOnce } from './rebuild.js';
import type { Decision, SpendRequest, SpendStore } from './store.js';

/** The whole request must answer within this (docs/api.md: 503 fast, never a hang). */
export const DEADLINE_MS = 1_800;
const MAX_REBUILDS = 2;
/** How often one store call is tried when its reply is lost (the same token: running it twice counts once). */
const STORE_ATTEMPTS = 2;
export const IN_FLIGHT_WAIT_MS = 1_000;
export const IN_FLIGHT_POLL_MS = 20;

export const sleep = (ms: number) =>
  new Promise((resolve) => {
    setTimeout(resolve, ms).unref();
  });

export class DeadlineExceeded extends Error {}

/** What the shared decision helpers need (the event service's and the reservation services' deps). */
export interface DecisionDeps {
  db: Db;
  store: SpendStore;
  metrics: Metrics;
  log: { warn(obj: unknown, msg: string): void; error(obj: unknown, msg: string): void };
  /** Aborted when the app closes: background settling stops (the reconciler finishes what it left). */
  closing: AbortSignal;
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

/** What a store call answers when it cannot decide yet (Decision's and commitHold's 'missing' / 'recovering'). */
type NotYet = { outcome: 'missing'; what: string[] } | { outcome: 'recovering'; retryAfterMs: number };

const notYet = <T extends object>(result: T | NotYet): result is NotYet =>
  'outcome' in result && (result.outcome === 'missing' || result.outcome === 'recovering');

/**
 * One store call that is safe to repeat (store.ts: token-keyed), repeated once when its reply is lost on the
 * network; a store that stays unreachable is 503 — nothing was recorded unless the first attempt ran, and then its
 * count is settled by undo (caller) or, at the latest, by the reconciler.
 */
export async function repeatable<T>(
  deps: DecisionDeps,
  operation: string,
  expired: () => boolean,
  call: () => Promise<T>,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      deps.metrics.storeErrors.inc({ store: deps.store.kind, operation });
      if (attempt >= STORE_ATTEMPTS || expired() || !isUnavailableError(error)) throw error;
    }
  }
}

/**
 * Runs one store call; while the store answers 'missing', rebuilds the request's counters from PostgreSQL and runs
 * it again — at most MAX_REBUILDS times, then 503. 'recovering' (the store lost data moments ago) is a 503 with the
 * time it needs as Retry-After: nothing is counted meanwhile.
 */
export async function withRebuild<T extends object>(
  deps: DecisionDeps,
  scope: Pick<SpendRequest, 'customerId' | 'agentId' | 'runId' | 'now'>,
  attempt: () => Promise<T | NotYet>,
): Promise<Exclude<T, NotYet>> {
  for (let rebuilds = 0; ; rebuilds++) {
    const result = await attempt();
    if (!notYet(result)) return result as Exclude<T, NotYet>;
    if (result.outcome === 'recovering') throw recovering(Math.ceil(result.retryAfterMs / 1000));
    if (rebuilds >= MAX_REBUILDS) throw unavailable();
    deps.metrics.counterRebuilds.inc();
    await rebuildOnce(deps.store, deps.db, scope.customerId, scope.agentId, scope.runId, scope.now);
  }
}

async function decideWithRebuild(deps: DecisionDeps, request: SpendRequest, expired: () => boolean) {
  const { store, metrics } = deps;
  return withRebuild(deps, request, () =>
    repeatable(deps, 'decide', expired, async () => {
      const started = process.hrtime.bigint();
      const decision = await store.decide(request);
      metrics.decisionDuration.observe(
        { store: store.kind },
        Number(process.hrtime.bigint() - started) / 1e9,
      );
      return decision;
    }),
  );
}

/**
 * Same key while the first request is still being processed: wait for it (polling the claim) and answer with its
 * result; 409 in flight only if it takes longer than IN_FLIGHT_WAIT_MS. If the first one failed and was undone,
 * the claim is gone and this request is decided afresh — still never a second count.
 */
async function decideWaitingForFirst<T>(
  deps: DecisionDeps,
  request: SpendRequest,
  expired: () => boolean,
  stored: StoredAnswer<T>,
) {
  const started = Date.now();
  for (;;) {
    const decision = await decideWithRebuild(deps, request, expired);
    if (decision.outcome !== 'in_flight' || Date.now() - started > IN_FLIGHT_WAIT_MS || expired())
      return decision;
    // The first one may be committed with its completion not yet in the store (it waits to be carried by the next
    // decision, redis-store.ts CARRY_WAIT_MS, or its instance died): PostgreSQL has the answer then.
    if (await stored.find().catch(() => null)) return { outcome: 'replay' } as const;
    await sleep(IN_FLIGHT_POLL_MS);
  }
}

/**
 * Decides the request and answers every outcome that is not a fresh decision: the stored answer for a replay (also
 * when still in flight but PostgreSQL already has the row: its request died before complete), 409 while a twin is in
 * flight, 422 for a key reused with another body, 503 when the store could not be rebuilt. A fresh decision past
 * the deadline is undone, so nothing is left counted for a request answered 503.
 */
export async function claimDecision<T>(
  deps: DecisionDeps,
  request: SpendRequest,
  expired: () => boolean,
  stored: StoredAnswer<T>,
): Promise<{ decision: CountedDecision } | { answer: T }> {
  let decision: Decision;
  try {
    decision = await decideWaitingForFirst(deps, request, expired, stored);
  } catch (error) {
    if (!(error instanceof ApiError)) {
      // The decide may have run with its reply lost: take back whatever it did under this token (idempotent).
      void undoQuietly(deps, tokenRefOf(request));
    }
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
    case 'revoked':
      // The key's principal came from an instance's cache and was revoked since (auth/api-keys.ts): as at the door.
      throw unauthenticated();
  }
  if (expired()) {
    await undoQuietly(deps, tokenRefOf(request));
    throw new DeadlineExceeded();
  }
  return { decision };
}

/** The TokenRef of a decided request: what complete() and undo() act on. */
export function tokenRefOf(request: SpendRequest) {
  return {
    customerId: request.customerId,
    agentId: request.agentId,
    runId: request.runId,
    token: request.token,
    claim: { idempotencyKey: request.idempotencyKey, requestHash: request.requestHash },
  };
}

const UNDO_RETRY_MS = [200, 1_000, 5_000];

/**
 * Takes back what a request counted; never fails. A store that is unreachable is tried again a few times; after that
 * the count stays high (the safe side) until the reconciler settles the entry from PostgreSQL's answer.
 */
export async function undoQuietly(deps: DecisionDeps, ref: Parameters<SpendStore['undo']>[0]): Promise<void> {
  await retryQuietly(
    deps,
    'undo',
    UNDO_RETRY_MS,
    () => deps.store.undo(ref),
    (error) =>
      deps.log.warn(
        { err: error, token: ref.token },
        'undo did not reach the spend store; the reconciler settles it',
      ),
  );
}

/**
 * Calls the store until it answers, waiting `scheduleMs[i]` after the i-th failure (each counted in store_errors);
 * never throws. After the last wait, or once the app is closing, it gives up (`gaveUp` hears the last error): for
 * undo and complete, giving up only delays — the reconciler settles what they left from PostgreSQL's answer.
 */
export async function retryQuietly(
  deps: DecisionDeps,
  operation: 'undo' | 'complete',
  scheduleMs: readonly number[],
  call: () => Promise<unknown>,
  gaveUp: (error: unknown) => void = () => {},
): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await call();
      return;
    } catch (error) {
      deps.metrics.storeErrors.inc({ store: deps.store.kind, operation });
      const wait = scheduleMs[attempt];
      if (wait === undefined || deps.closing.aborted) {
        gaveUp(error);
        return;
      }
      await sleep(wait);
    }
  }
}

/**
 * Runs `work` against the request deadline (counted from `receivedAt`): rejects with `onTimeout()` when the deadline
 * wins, while `work` goes on in the background — it ends committed or undone, never half. `expired()` tells `work` to
 * stop before its next irreversible step.
 */
async function raceDeadline<T>(
  receivedAt: number,
  work: (expired: () => boolean) => Promise<T>,
  onTimeout: () => ApiError,
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
        reject(onTimeout());
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
 * raceDeadline plus the decisions metric for one kind of money request. What is not an ApiError is logged and
 * answered 503 (fail closed). `progress.committing` (set by `work`) tells, when the deadline wins, whether the commit
 * was already under way: then the 503 says the outcome is not confirmed (it may still be recorded), never that
 * nothing was recorded.
 */
export async function answerWithinDeadline<T extends MoneyOutcome>(
  deps: DecisionDeps,
  kind: 'event' | 'reservation' | 'reservation_commit',
  label: string,
  receivedAt: number,
  work: (expired: () => boolean, progress: { committing: boolean }) => Promise<T>,
  onTimeout: (progress: { committing: boolean }) => ApiError,
): Promise<T> {
  const progress = { committing: false };
  try {
    const outcome = await raceDeadline(
      receivedAt,
      (expired) => work(expired, progress),
      () => onTimeout(progress),
    );
    deps.metrics.events.inc({
      kind,
      outcome: outcome.outcome,
      code: outcome.status === 201 ? 'ok' : codeOf(outcome.body),
    });
    return outcome;
  } catch (error) {
    const apiError = error instanceof ApiError ? error : unavailable();
    if (!(error instanceof ApiError)) deps.log.warn({ err: error }, `${label} failed; answered 503`);
    deps.metrics.events.inc({ kind, outcome: 'error', code: apiError.code });
    throw apiError;
  }
}

function codeOf(body: unknown): string {
  const code = (body as { error?: { code?: unknown } } | null)?.error?.code;
  return typeof code === 'string' ? code : 'ok';
}
