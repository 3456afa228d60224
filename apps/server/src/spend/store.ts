// SpendStore: the one place a budget decision is made — atomically, for an agent and its customer.
// Two implementations with identical semantics, proven by one contract suite (test/spend/contract.ts):
//   redis-store.ts  — one Lua script per operation; every key of a customer shares the hash tag {c:<id>}
//   memory-store.ts — in-process, for the embedded default (one instance)
// The store is a cache of PostgreSQL's truth: any counter it lacks is rebuilt from PostgreSQL (rebuild.ts)
// before deciding. Amounts are integer micro-dollars; times are epoch milliseconds.

export type SuspendReason = 'manual' | 'budget_exceeded' | 'velocity_exceeded';
export type Period = 'month' | 'day' | 'velocity' | 'run';
export type Scope = 'agent' | 'customer';

export interface AgentLimits {
  monthMicros: number | null;
  dayMicros: number | null;
  runMicros: number | null;
  velocity: { windowSeconds: number; maxMicros: number } | null;
}

/** What a decision reads about an agent. Written through on every change (suspend, resume, limits). */
export interface AgentState {
  agentId: string;
  customerId: string;
  status: 'active' | 'suspended';
  suspendedReason: SuspendReason | null;
  suspendedAt: number | null;
  /** For budget_exceeded: the period key that caused it ('2026-11' or '2026-11-25'); lifts when it has passed. */
  suspendedPeriod: string | null;
  limits: AgentLimits;
}

export interface CustomerState {
  customerId: string;
  monthLimitMicros: number | null;
}

/**
 * Spend as the decision saw it right after (accepted: including this amount). Open holds are included in
 * every period, velocity too (SPEC §6), exactly as the decision counted them.
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
  /** Customer-scoped idempotency key and the canonical hash of the request body it was first used with. */
  idempotencyKey: string;
  requestHash: string;
  now: number;
  /** Present for a reservation: the amount is held (not spent) until commit/release/expiry. */
  hold?: { holdId: string; expiresAt: number };
}

export type Decline =
  | { code: 'agent_suspended'; reason: SuspendReason; suspendedAt: number }
  | {
      code: 'budget_exceeded';
      scope: Scope;
      period: Period;
      limitMicros: number;
      spentMicros: number;
      /** ISO-able epoch ms when the period resets; null for velocity-suspension and run. */
      resetsAt: number | null;
      /** Set when this decline flipped the agent's kill switch. */
      suspended: { reason: 'budget_exceeded' | 'velocity_exceeded'; period: string | null } | null;
    };

/**
 * Set on an accepted/declined decision when it lifted a budget_exceeded suspension whose period had ended
 * (the store already set the agent active; the caller mirrors that to PostgreSQL's agent row).
 */
export interface LiftedSuspension {
  reason: 'budget_exceeded';
  period: string;
}

export type Decision =
  | { outcome: 'accepted'; spend: SpendSnapshot; lifted?: LiftedSuspension }
  | { outcome: 'declined'; decline: Decline; spend: SpendSnapshot; lifted?: LiftedSuspension }
  /** Key already completed with the same body: answer with the stored response (read it from PostgreSQL). */
  | { outcome: 'replay' }
  /** Key already used with a different body. */
  | { outcome: 'reused' }
  /** Key claimed by a request still being processed. */
  | { outcome: 'in_flight' }
  /** Some cached state/counter is absent: rebuild it from PostgreSQL (rebuild.ts) and decide again. */
  | { outcome: 'missing'; what: string[] };

export interface SpendStore {
  readonly kind: 'redis' | 'memory';

  /**
   * The atomic decision of SPEC §5 (and §6 for holds): claim the idempotency key, then in order
   * suspended → customer month → run → agent month/day/velocity (flipping the kill switch) → accept,
   * counting the amount in every period (or holding it) — all or nothing. Expired holds are dropped first;
   * the open ones count against every limit, velocity included, as if spent.
   * Declines claim the key too (a declined request replays its 403).
   */
  decide(request: SpendRequest): Promise<Decision>;

  /** After the PostgreSQL commit: mark the key completed (kept `ttlSeconds`, a few days; PostgreSQL backs it up). */
  completeKey(customerId: string, idempotencyKey: string, requestHash: string): Promise<void>;

  /**
   * The PostgreSQL commit failed (or a late duplicate was found there): take back exactly what decide() counted
   * or held for this request, restore a kill switch it flipped, and forget the key claim.
   */
  undo(request: SpendRequest, decision: Decision): Promise<void>;

  /**
   * Reservation commit: drop the hold (if still held) and count `actualMicros` in every period regardless of limits
   * (the money is spent). Flips the kill switch if a limit is now exceeded. Returns the spend after.
   */
  commitHold(input: {
    customerId: string;
    agentId: string;
    runId: string | null;
    holdId: string;
    actualMicros: number;
    now: number;
  }): Promise<{ spend: SpendSnapshot; suspended: Decline | null } | { outcome: 'missing'; what: string[] }>;

  /** Drops a hold; false if it was not held (already committed/released/expired). */
  releaseHold(customerId: string, holdId: string, now: number): Promise<boolean>;

  /** Live spend of agents for reads (GET /v1/agents): missing counters read as null (caller falls back to PostgreSQL). */
  readSpend(
    customerId: string,
    agentIds: string[],
    now: number,
  ): Promise<Map<string, SpendSnapshot['agent'] | null>>;

  /** Write-through of agent and customer state; the very next decide() on every instance sees it. */
  putAgentState(state: AgentState): Promise<void>;
  putCustomerState(state: CustomerState): Promise<void>;

  /** Used by rebuild.ts: set counters/holds from PostgreSQL's truth only where still absent (SET NX semantics). */
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

/** SpendStore.commitHold's argument and answer, and readSpend's answer, named for the implementations. */
export type CommitHoldInput = Parameters<SpendStore['commitHold']>[0];
export type CommitHoldResult = Awaited<ReturnType<SpendStore['commitHold']>>;
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
  holds: Array<{
    holdId: string;
    agentId: string;
    runId: string | null;
    amountMicros: number;
    expiresAt: number;
  }>;
}
