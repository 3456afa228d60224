// SpendStore: the one place a budget decision is made — atomically, for an agent and its customer.
// Two implementations with identical semantics, proven by one contract suite (test/spend/contract.ts):
//   redis-store.ts  — one Lua script per operation; every key of a customer shares the hash tag {c:<id>}
//   memory-store.ts — in-process, for the embedded default (one instance)
// The store is a cache of PostgreSQL's truth (docs/architecture.md "State model"):
// - agent and customer STATE (limits, status) is only ever written as a whole PostgreSQL row with its versions, and
//   the store keeps the newer version of each part (compare-and-set) — two writers can never leave an older one;
// - decisions never write state: a decision that breaks a limit places a PROVISIONAL flip (tagged with its token)
//   that declines at once; PostgreSQL confirms or refuses it when the decision commits (writer.ts), and the store
//   then takes PostgreSQL's row;
// - every count a request makes is an ENTRY under its token (event id, reservation id), so complete() and undo()
//   act exactly once however often they run, and a re-run of decide() with the same token replaces its earlier one.
// Amounts are integer micro-dollars; times are epoch milliseconds.

import type { Occurrence } from './repeats.js';

export type SuspendReason = 'manual' | 'budget_exceeded' | 'velocity_exceeded' | 'loop_detected';
export type Period = 'month' | 'day' | 'velocity' | 'run';
export type Scope = 'agent' | 'customer';

export interface AgentLimits {
  monthMicros: number | null;
  dayMicros: number | null;
  runMicros: number | null;
  velocity: { windowSeconds: number; maxMicros: number } | null;
  /** Loop detection (docs/api.md §7): more than `max` requests with one fingerprint within the window → loop_detected. */
  repeats: { max: number; windowSeconds: number } | null;
}

/**
 * An agent row as PostgreSQL holds it. `limitsVersion` and `statusVersion` are bumped by every transaction that
 * changes that part of the row; the store keeps, for each part, the write with the higher version.
 */
export interface AgentState {
  agentId: string;
  customerId: string;
  limitsVersion: number;
  statusVersion: number;
  status: 'active' | 'suspended';
  suspendedReason: SuspendReason | null;
  suspendedAt: number | null;
  /** For budget_exceeded: the period key that caused it ('2026-11' or '2026-11-25'); lifts when it has passed. */
  suspendedPeriod: string | null;
  limits: AgentLimits;
}

export interface CustomerState {
  customerId: string;
  version: number;
  monthLimitMicros: number | null;
}

/**
 * Spend as the decision saw it right after (accepted: including this amount). Open holds are included in
 * every period, velocity too (docs/api.md §6), exactly as the decision counted them.
 */
export interface SpendSnapshot {
  agent: { monthMicros: number; dayMicros: number; velocityMicros: number; runMicros: number | null };
  customer: { monthMicros: number };
}

export interface SpendRequest {
  customerId: string;
  agentId: string;
  runId: string | null;
  amountMicros: number;
  /**
   * The request's own id (its event's id; for a reservation the reservation id, which is also the hold id):
   * what complete() and undo() act on. Deciding again with the same token replaces the earlier decision.
   */
  token: string;
  /** Customer-scoped idempotency key and the canonical hash of the request body it was first used with. */
  idempotencyKey: string;
  requestHash: string;
  now: number;
  /** Present for a reservation: the amount is held (not spent) until commit/release/expiry. */
  hold?: { expiresAt: number };
  /**
   * The request's `fingerprint` (docs/api.md §7), counted against the agent's `repeats` limit in the same atomic step
   * when the agent has one; an accepted request counts once under its token, taken back by undo like its money.
   */
  fingerprint?: string | null;
  /**
   * The API key the request came with, when its principal was taken from an instance's own cache (auth/api-keys.ts):
   * the decision refuses it ('revoked') if the key's revocation marker is there, before anything is claimed.
   */
  apiKeyId?: string | null;
}

export type Decline =
  | { code: 'agent_suspended'; reason: SuspendReason; suspendedAt: number }
  | {
      code: 'loop_detected';
      fingerprint: string;
      /** Requests with this fingerprint in the window, the refused one included. */
      count: number;
      windowSeconds: number;
      /** Every loop decline places a provisional flip; PostgreSQL confirms it from committed requests (flips.ts). */
      suspended: { reason: 'loop_detected'; period: null };
    }
  | {
      code: 'budget_exceeded';
      scope: Scope;
      period: Period;
      limitMicros: number;
      spentMicros: number;
      /** ISO-able epoch ms when the period resets; null for velocity and run. */
      resetsAt: number | null;
      /**
       * Set when this decline placed a provisional kill-switch flip: the agent's COMMITTED spend alone breaks the
       * limit with this amount. PostgreSQL confirms it when the declined event commits (writer.ts).
       */
      suspended: { reason: 'budget_exceeded' | 'velocity_exceeded'; period: string | null } | null;
    };

/** The limits a decision applied (as the store held them): the response shows exactly these. */
export interface AppliedLimits {
  agent: AgentLimits;
  customerMonthMicros: number | null;
}

export type Decision =
  | { outcome: 'accepted'; spend: SpendSnapshot; statusVersion: number; limits: AppliedLimits }
  | {
      outcome: 'declined';
      decline: Decline;
      spend: SpendSnapshot;
      statusVersion: number;
      limits: AppliedLimits;
    }
  /** Key already completed with the same body: answer with the stored response (read it from PostgreSQL). */
  | { outcome: 'replay' }
  /** Key already used with a different body. */
  | { outcome: 'reused' }
  /** The request's API key (apiKeyId) was revoked: nothing was claimed or counted. */
  | { outcome: 'revoked' }
  /** Key claimed by a request still being processed. */
  | { outcome: 'in_flight' }
  /** Some cached state/counter is absent: rebuild it from PostgreSQL (rebuild.ts) and decide again. */
  | { outcome: 'missing'; what: string[] }
  /**
   * The store lost data (flush, restart, failover) less than a commit's lifetime ago: requests decided before the
   * loss may still land in PostgreSQL, so nothing can be rebuilt exactly until `retryAfterMs` has passed.
   */
  | { outcome: 'recovering'; retryAfterMs: number };

/** What a counted request's end tells the store: after its commit (complete) or when it certainly failed (undo). */
export interface TokenRef {
  customerId: string;
  agentId: string;
  /** The request's run (its run counter is where a take-back subtracts from). */
  runId: string | null;
  token: string;
  /** The client's idempotency claim this request holds (null for a reservation commit, which claims in PostgreSQL). */
  claim: { idempotencyKey: string; requestHash: string } | null;
}

export interface Completion extends TokenRef {
  /** The agent row when the commit changed it (a confirmed flip): written with compare-and-set. */
  agentState: AgentState | null;
}

/** What the store holds for an agent, for GET consistency checks, the reconciler and tests. */
export interface StoredAgent {
  state: AgentState;
  /**
   * A decision's flip or a person's suspend not yet confirmed by PostgreSQL (declines at once meanwhile). A flip of a
   * month/day budget names its period key and lapses with it, as the suspension it stands for would.
   */
  provisional: {
    kind: 'flip' | 'suspend';
    token: string;
    reason: SuspendReason;
    at: number;
    periodKey: string | null;
  } | null;
}

export interface CommitHoldInput {
  customerId: string;
  agentId: string;
  runId: string | null;
  holdId: string;
  /** The commit event's id: running commitHold again with it counts nothing again. */
  token: string;
  actualMicros: number;
  now: number;
}

export type CommitHoldResult =
  | {
      outcome: 'counted';
      spend: SpendSnapshot;
      suspended: Decline | null;
      statusVersion: number;
      limits: AppliedLimits;
    }
  | { outcome: 'missing'; what: string[] }
  | { outcome: 'recovering'; retryAfterMs: number };

export interface SpendStore {
  readonly kind: 'redis' | 'memory';

  /**
   * The atomic decision of docs/api.md §5 (and §6 for holds): claim the idempotency key, then in order
   * suspended → customer month → run → agent month/day/velocity → accept, counting the amount in every period (or
   * holding it) under the request's token — all or nothing. Expired holds are dropped first; the open ones count
   * against every limit, velocity included, as if spent. Declines claim the key too (a declined request replays
   * its 403). A decline for an agent limit places a provisional flip only when committed spend alone breaks it.
   */
  decide(request: SpendRequest): Promise<Decision>;

  /**
   * After the PostgreSQL commit: the key is completed (kept a few days; PostgreSQL's unique index backs it up), the
   * token's entry is confirmed, its provisional flip resolved and `agentState` (if any) written. Idempotent.
   */
  complete(completion: Completion): Promise<void>;

  /** The request certainly did not commit: take back exactly what its token counted, held or flipped. Idempotent. */
  undo(ref: TokenRef): Promise<void>;

  /**
   * Reservation commit: drop the hold (if still held) and count `actualMicros` in every period under `token`,
   * regardless of limits (the money is spent). Places a provisional flip if committed spend with it breaks a limit.
   */
  commitHold(input: CommitHoldInput): Promise<CommitHoldResult>;

  /**
   * After a revocation committed in PostgreSQL: every later decision with this key answers 'revoked', on every
   * instance (its marker lives beside the customer's state and is loaded again with it, CounterLoad.revokedKeyIds).
   */
  revokeKey(customerId: string, keyId: string): Promise<void>;

  /** Drops a hold; false if it was not held (already committed/released/expired). */
  releaseHold(customerId: string, holdId: string, now: number): Promise<boolean>;

  /** Live spend of agents for reads (GET /v1/agents): missing counters read as null (caller falls back to PostgreSQL). */
  readSpend(
    customerId: string,
    agentIds: string[],
    now: number,
  ): Promise<Map<string, SpendSnapshot['agent'] | null>>;

  /** The agent's state as the store holds it (null when not loaded). */
  readAgent(customerId: string, agentId: string): Promise<StoredAgent | null>;

  /**
   * Write-through of a PostgreSQL row: the limits part is taken if its version is newer than the stored one, the
   * status part likewise (compare-and-set). `confirm`: the token of this request's own provisional suspend, cleared.
   */
  putAgentState(state: AgentState, confirm?: string): Promise<void>;
  putCustomerState(state: CustomerState): Promise<void>;

  /**
   * A person's suspend, before its PostgreSQL transaction: the agent declines at once (even if it is not loaded)
   * until putAgentState(..., token) confirms it, clearProvisional(token) withdraws it, or the reconciler finds it
   * stale and takes PostgreSQL's row.
   */
  provisionalSuspend(customerId: string, agentId: string, token: string, now: number): Promise<void>;
  clearProvisional(customerId: string, agentId: string, token: string): Promise<void>;

  /** Used by rebuild.ts: set counters/holds from PostgreSQL's truth only where still absent; state by version. */
  loadCounters(load: CounterLoad): Promise<void>;

  /**
   * Optional (Redis): a short cross-instance lock (SET NX PX) so concurrent misses on several instances load
   * from PostgreSQL once. Resolves to a release function, or null when another holder has the lock.
   * rebuild.ts also coalesces misses inside one process, so the memory store does not need it.
   */
  acquireRebuildLock?(
    customerId: string,
    agentId: string,
    ttlMs: number,
  ): Promise<(() => Promise<void>) | null>;

  close(): Promise<void>;
}

export type SpendReads = Awaited<ReturnType<SpendStore['readSpend']>>;

/** Absolute values computed from PostgreSQL for one agent (and its customer) at `now`. */
export interface CounterLoad {
  customerId: string;
  agentId: string;
  now: number;
  customer: CustomerState;
  agent: AgentState;
  customerMonthMicros: number;
  agentMonthMicros: number;
  agentDayMicros: number;
  /** Accepted spend per velocity bucket index (see budget/periods.ts velocityWindow). */
  velocityBuckets: Array<{ bucket: number; micros: number }>;
  run: { runId: string; micros: number } | null;
  /** Open holds of the whole customer (status held, not expired). */
  holds: OpenHold[];
  /**
   * For an agent with a `repeats` limit: its committed requests with a fingerprint inside the window (events and
   * reservations that were accepted, by id); empty otherwise.
   */
  repeats: Occurrence[];
  /** The customer's API keys revoked lately (rebuild.ts REVOKED_KEYS_LOOKBACK): their markers are set again. */
  revokedKeyIds: string[];
}

/** A held reservation as PostgreSQL holds it (the store's hold with the same id). */
export interface OpenHold {
  holdId: string;
  agentId: string;
  runId: string | null;
  amountMicros: number;
  expiresAt: number;
  createdAt: number;
}
