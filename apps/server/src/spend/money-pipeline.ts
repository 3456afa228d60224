// The persist half of every money request — an event, a reservation, a reservation's commit — after the spend
// store counted (or held, or declined) it under its token: PostgreSQL first, then exactly one of
//   committed  → complete (claim completed, entry confirmed, a confirmed flip written) → the answer;
//   duplicate  → undo → the first request's stored answer (the store had forgotten the key);
//   refused    → undo → 503 "nothing was recorded" (decided too long ago; PostgreSQL will never take it);
//   row refused by PostgreSQL (a bug: validation let something through) → undo → 500, logged with its message;
//   writer closed (shutdown) → undo → 503;
//   unknown (connection lost around the COMMIT) → 503 "not confirmed", settled in the background: PostgreSQL is asked
//   until it has the row (→ complete) or the decision is older than LATE_COMMIT_MS and it still does not (→ undo).
// Every path ends the same way whether or not the client is still waiting (the deadline may have answered it).
import { ApiError, notConfirmed, unavailable } from '../http/errors.js';
import { LATE_COMMIT_MS } from './bounds.js';
import { type DecisionDeps, retryQuietly, sleep, undoQuietly } from './idempotent-request.js';
import type { AgentState, TokenRef } from './store.js';
import { type PersistResult, RowRefusedError, WriterClosedError } from './writer.js';

const SETTLE_POLL_MS = 500;
/** After this long without an answer from PostgreSQL, settling stops; the reconciler settles the entry later. */
const SETTLE_GIVE_UP_MS = 120_000;
const COMPLETE_RETRY_MS = [100, 1_000];

export interface PersistSteps<T> {
  /** The request as the store counted it. */
  ref: TokenRef;
  /** When it was decided (its row's recorded_at / created_at): how long PostgreSQL could still take it. */
  decidedAt: number;
  persist(): Promise<PersistResult>;
  /** Whether PostgreSQL has the row (settles a commit whose answer was lost). */
  exists(): Promise<boolean>;
  /**
   * The agent's row now, for a commit settled after its answer was lost: the commit may have confirmed a flip, and
   * completing without the row would withdraw the provisional one while PostgreSQL says suspended.
   */
  agentRow(): Promise<AgentState | null>;
  /** Committed: build the answer (publish, announce...). `agentState`: the row, when PostgreSQL confirmed a flip. */
  committed(agentState: AgentState | null): T;
  /** Another request with this key was committed first: its answer. */
  duplicate(): Promise<T>;
  /** After every undo (certainly not recorded): what else must be given back (a reservation's commit claim). */
  abandoned?(): Promise<void>;
  /** Set while the commit is under way: a deadline then answers "not confirmed" rather than "nothing recorded". */
  progress: { committing: boolean };
}

export async function persistDecided<T>(deps: DecisionDeps, steps: PersistSteps<T>): Promise<T> {
  let result: PersistResult;
  steps.progress.committing = true;
  try {
    result = await steps.persist();
  } catch (error) {
    if (error instanceof WriterClosedError) {
      await giveBack(deps, steps);
      throw unavailable();
    }
    if (error instanceof RowRefusedError) {
      await giveBack(deps, steps);
      throw new ApiError('internal', 'Internal error. The request id identifies it in the logs.');
    }
    // The COMMIT may have happened with its answer lost: settle it in the background, keeping the key claimed
    // meanwhile (retries see 409 or find the row and replay it; never a second count).
    void settle(deps, steps);
    throw notConfirmed();
  }
  steps.progress.committing = false;
  if (result.outcome === 'duplicate') {
    await giveBack(deps, steps);
    return steps.duplicate();
  }
  if (result.outcome === 'refused') {
    await giveBack(deps, steps);
    throw unavailable();
  }
  void completeQuietly(deps, steps.ref, result.agentState);
  return steps.committed(result.agentState);
}

/** Certainly not recorded: what else the request holds is given back first (it is independent of the count). */
async function giveBack<T>(deps: DecisionDeps, steps: PersistSteps<T>): Promise<void> {
  await steps.abandoned?.().catch(() => {});
  await undoQuietly(deps, steps.ref);
}

/**
 * After the commit; never fails: the answer stands once committed. If it does not reach the store, the claim stays in
 * flight until it expires (a retry meanwhile waits, finds the row in PostgreSQL and replays it) and the entry stays
 * unconfirmed until the reconciler confirms it — both only delay, neither counts anything twice.
 */
export async function completeQuietly(
  deps: DecisionDeps,
  ref: TokenRef,
  agentState: AgentState | null,
): Promise<void> {
  await retryQuietly(deps, 'complete', COMPLETE_RETRY_MS, () => deps.store.complete({ ...ref, agentState }));
}

/**
 * A commit whose fate is unknown: ask PostgreSQL until it has the row (→ complete) or the decision is so old that it
 * never will (bounds.ts) and it still does not (→ undo). Stops when the app closes or after SETTLE_GIVE_UP_MS; the
 * entry is then settled by the reconciler from the same answer.
 */
async function settle<T>(deps: DecisionDeps, steps: PersistSteps<T>): Promise<void> {
  const started = Date.now();
  while (!deps.closing.aborted && Date.now() - started < SETTLE_GIVE_UP_MS) {
    await sleep(SETTLE_POLL_MS);
    const final = Date.now() > steps.decidedAt + LATE_COMMIT_MS;
    let exists: boolean;
    try {
      exists = await steps.exists();
    } catch {
      continue;
    }
    if (exists) {
      await completeQuietly(deps, steps.ref, await steps.agentRow().catch(() => null));
      return;
    }
    if (final) {
      await giveBack(deps, steps);
      return;
    }
  }
  deps.log.warn({ token: steps.ref.token }, 'commit outcome unknown; the reconciler settles it');
}
