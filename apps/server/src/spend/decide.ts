// The budget decision rules of SPEC §5/§6 as pure functions over already-read state. The memory store calls
// them directly; lua/decide.lua mirrors them line for line (keep the two in step — the contract suite
// runs the same cases against both). No I/O and no clock here: `now` always comes from the request.
import { dayKey, dayResetsAt, monthKey, monthResetsAt, velocityWindow } from '../budget/periods.js';
import type { AgentState, CustomerState, Decline, SpendSnapshot } from './store.js';

/** A completed idempotency key is remembered this long in the store (PostgreSQL's unique index backs it up). */
export const KEY_TTL_SECONDS = 4 * 24 * 3600;
/**
 * An in-flight claim expires after this long, so a process that died between decide() and completeKey()
 * does not leave the key answering 409 forever; a retry after that is decided afresh and PostgreSQL's
 * UNIQUE (customer_id, idempotency_key) turns a late duplicate into a replay (the caller then undoes).
 */
export const IN_FLIGHT_TTL_SECONDS = 120;
/** Run counters live 30 days after their last use. */
export const RUN_TTL_SECONDS = 30 * 24 * 3600;
/** Month counters are kept until 35 days after the month ends, day counters 2 days after the day ends. */
const MONTH_KEEP_AFTER_MS = 35 * 86_400_000;
const DAY_KEEP_AFTER_MS = 2 * 86_400_000;
/**
 * Velocity buckets are pruned to the window on every write, so the bucket set stays ~62 fields; the set
 * itself is kept at least this long after its last write (longer than the window's own ttlSeconds) so an
 * agent idle for a few minutes does not need a PostgreSQL rebuild on its next event.
 */
export const VELOCITY_KEEP_SECONDS = 2 * 24 * 3600;
/** Holds structures of a customer are kept this long after their last change (holds live at most 1 h). */
export const HOLDS_KEEP_SECONDS = 7 * 24 * 3600;
/** At most this many expired holds are dropped per operation; the rest go on the next ones (never under-counts). */
export const EXPIRE_BATCH = 200;

/** Names used in `{outcome: 'missing', what}`. */
export type MissingPart =
  | 'agent'
  | 'customer'
  | 'holds'
  | 'customer_month'
  | 'agent_month'
  | 'agent_day'
  | 'velocity'
  | 'run';

export type ClaimCheck = 'claim' | 'in_flight' | 'replay' | 'reused';

/** What a known key tells a new request with `requestHash` (SPEC §5 idempotency). */
export function checkClaim(
  stored: { requestHash: string; completed: boolean } | undefined,
  requestHash: string,
): ClaimCheck {
  if (stored === undefined) return 'claim';
  if (stored.requestHash !== requestHash) return 'reused';
  return stored.completed ? 'replay' : 'in_flight';
}

export interface PeriodKeys {
  monthKey: string;
  dayKey: string;
  monthResetsAt: number;
  dayResetsAt: number;
}

export function periodKeys(now: number): PeriodKeys {
  return {
    monthKey: monthKey(now),
    dayKey: dayKey(now),
    monthResetsAt: monthResetsAt(now),
    dayResetsAt: dayResetsAt(now),
  };
}

/** Relative TTLs (ms) for counters written at `now` — relative, so a skew between request time and store clock is harmless. */
export function counterTtls(now: number, periods: PeriodKeys): { monthMs: number; dayMs: number } {
  return {
    monthMs: periods.monthResetsAt + MONTH_KEEP_AFTER_MS - now,
    dayMs: periods.dayResetsAt + DAY_KEEP_AFTER_MS - now,
  };
}

/**
 * Spend of one agent (and its customer) as read before a decision. Held = open holds.
 * velocity is null when the agent has no velocity limit (not tracked), run is null when the run is not
 * tracked (no runId, or no run limit and no counter).
 */
export interface SpendView {
  customerMonth: number;
  agentMonth: number;
  agentDay: number;
  velocity: number | null;
  run: number | null;
  held: { customer: number; agent: number; run: number };
}

/**
 * Holds count toward every period (SPEC §6: "a held amount counts against every limit of the agent and
 * customer while held"), velocity included: a hold is money the agent is about to spend now, so an open one
 * uses up the rate as well. Same meaning as agents/live-spend.ts spendFromDb, the PostgreSQL fallback.
 */
export function snapshot(view: SpendView): SpendSnapshot {
  return {
    agent: {
      monthMicros: view.agentMonth + view.held.agent,
      dayMicros: view.agentDay + view.held.agent,
      velocityMicros: (view.velocity ?? 0) + view.held.agent,
      runMicros: view.run === null ? null : view.run + view.held.run,
    },
    customer: { monthMicros: view.customerMonth + view.held.customer },
  };
}

/** The view after accepting `amount`, spent or (hold) held. */
export function applyAccept(view: SpendView, amount: number, hold: boolean): SpendView {
  if (hold) {
    return {
      ...view,
      held: {
        customer: view.held.customer + amount,
        agent: view.held.agent + amount,
        run: view.run === null ? view.held.run : view.held.run + amount,
      },
    };
  }
  return {
    ...view,
    customerMonth: view.customerMonth + amount,
    agentMonth: view.agentMonth + amount,
    agentDay: view.agentDay + amount,
    velocity: view.velocity === null ? null : view.velocity + amount,
    run: view.run === null ? null : view.run + amount,
  };
}

/**
 * A budget_exceeded suspension lifts by itself once the period that caused it is over, i.e. its period key
 * is neither the current month nor the current day. One without a period (should not happen) never lifts.
 */
export function suspensionEnded(agent: AgentState, periods: PeriodKeys): boolean {
  return (
    agent.status === 'suspended' &&
    agent.suspendedReason === 'budget_exceeded' &&
    agent.suspendedPeriod !== null &&
    agent.suspendedPeriod !== periods.monthKey &&
    agent.suspendedPeriod !== periods.dayKey
  );
}

export function activeState(agent: AgentState): AgentState {
  return { ...agent, status: 'active', suspendedReason: null, suspendedAt: null, suspendedPeriod: null };
}

export type Verdict =
  | { kind: 'accept' }
  /** `suspendTo` is the agent state to write in the same atomic step (the kill switch), or null. */
  | { kind: 'decline'; decline: Decline; suspendTo: AgentState | null };

/** Sum of the velocity buckets inside the window at `now` (buckets: index → micros). */
export function velocityInWindow(
  buckets: Iterable<[number, number]>,
  now: number,
  windowSeconds: number,
): number {
  const window = velocityWindow(now, windowSeconds);
  let sum = 0;
  for (const [bucket, micros] of buckets) {
    if (bucket >= window.firstBucket && bucket <= window.currentBucket) sum += micros;
  }
  return sum;
}

/**
 * Steps 1–4 of SPEC §5 for an agent whose lifted suspension (if any) was already applied.
 * Landing exactly on a limit is accepted; null limits never decline.
 */
export function judge(input: {
  agent: AgentState;
  customer: CustomerState;
  view: SpendView;
  amount: number;
  runId: string | null;
  periods: PeriodKeys;
  now: number;
}): Verdict {
  const { agent, customer, view, amount, periods, now } = input;
  if (agent.status === 'suspended') {
    return {
      kind: 'decline',
      decline: {
        code: 'agent_suspended',
        reason: agent.suspendedReason ?? 'manual',
        suspendedAt: agent.suspendedAt ?? now,
      },
      suspendTo: null,
    };
  }
  const customerSpent = view.customerMonth + view.held.customer;
  if (customer.monthLimitMicros !== null && customerSpent + amount > customer.monthLimitMicros) {
    return {
      kind: 'decline',
      decline: {
        code: 'budget_exceeded',
        scope: 'customer',
        period: 'month',
        limitMicros: customer.monthLimitMicros,
        spentMicros: customerSpent,
        resetsAt: periods.monthResetsAt,
        suspended: null,
      },
      suspendTo: null,
    };
  }
  const limits = agent.limits;
  if (input.runId !== null && limits.runMicros !== null) {
    const runSpent = (view.run ?? 0) + view.held.run;
    if (runSpent + amount > limits.runMicros) {
      return {
        kind: 'decline',
        decline: {
          code: 'budget_exceeded',
          scope: 'agent',
          period: 'run',
          limitMicros: limits.runMicros,
          spentMicros: runSpent,
          resetsAt: null,
          suspended: null,
        },
        suspendTo: null,
      };
    }
  }
  const agentMonth = view.agentMonth + view.held.agent;
  if (limits.monthMicros !== null && agentMonth + amount > limits.monthMicros) {
    return budgetSuspension(
      agent,
      'month',
      limits.monthMicros,
      agentMonth,
      periods.monthResetsAt,
      periods.monthKey,
      now,
    );
  }
  const agentDay = view.agentDay + view.held.agent;
  if (limits.dayMicros !== null && agentDay + amount > limits.dayMicros) {
    return budgetSuspension(
      agent,
      'day',
      limits.dayMicros,
      agentDay,
      periods.dayResetsAt,
      periods.dayKey,
      now,
    );
  }
  if (limits.velocity !== null) {
    // The agent's open holds count here too (SPEC §6), not only in month/day/run: otherwise a loop could
    // keep reserving past the rate limit and only be stopped once its commits land in the window.
    const velocity = (view.velocity ?? 0) + view.held.agent;
    if (velocity + amount > limits.velocity.maxMicros) {
      return velocitySuspension(agent, limits.velocity.maxMicros, velocity, now);
    }
  }
  return { kind: 'accept' };
}

/** Over an agent limit: declined, and the kill switch flips (the suspension the decline reports). */
function suspension(
  agent: AgentState,
  over: {
    period: 'month' | 'day' | 'velocity';
    limitMicros: number;
    spentMicros: number;
    resetsAt: number | null;
    reason: 'budget_exceeded' | 'velocity_exceeded';
    /** The month/day key a budget_exceeded suspension lifts after; null for velocity (lifts only on resume). */
    periodKey: string | null;
  },
  now: number,
): Verdict {
  const { period, limitMicros, spentMicros, resetsAt, reason, periodKey } = over;
  return {
    kind: 'decline',
    decline: {
      code: 'budget_exceeded',
      scope: 'agent',
      period,
      limitMicros,
      spentMicros,
      resetsAt,
      suspended: { reason, period: periodKey },
    },
    suspendTo: {
      ...agent,
      status: 'suspended',
      suspendedReason: reason,
      suspendedAt: now,
      suspendedPeriod: periodKey,
    },
  };
}

const velocitySuspension = (agent: AgentState, limitMicros: number, spentMicros: number, now: number) =>
  suspension(
    agent,
    {
      period: 'velocity',
      limitMicros,
      spentMicros,
      resetsAt: null,
      reason: 'velocity_exceeded',
      periodKey: null,
    },
    now,
  );

const budgetSuspension = (
  agent: AgentState,
  period: 'month' | 'day',
  limitMicros: number,
  spentMicros: number,
  resetsAt: number,
  periodKey: string,
  now: number,
) =>
  suspension(
    agent,
    { period, limitMicros, spentMicros, resetsAt, reason: 'budget_exceeded', periodKey },
    now,
  );

/**
 * After a reservation commit counted its actual cost (SPEC §6: "if the limit is now exceeded the kill switch flips
 * for what comes next"): the switch flips when the agent's month or day SPEND alone is now above its limit
 * (budget_exceeded), or its spend inside the velocity window is (velocity_exceeded) — other open holds do not
 * trigger it. Only an active agent is flipped; an already suspended one keeps its reason.
 */
export function judgeAfterCommit(input: {
  agent: AgentState;
  agentMonth: number;
  agentDay: number;
  /** Spend inside the velocity window after the commit; null when the agent has no velocity limit. */
  velocity: number | null;
  periods: PeriodKeys;
  now: number;
}): Verdict {
  const { agent, periods, now } = input;
  if (agent.status !== 'active') return { kind: 'accept' };
  const limits = agent.limits;
  if (limits.monthMicros !== null && input.agentMonth > limits.monthMicros) {
    return budgetSuspension(
      agent,
      'month',
      limits.monthMicros,
      input.agentMonth,
      periods.monthResetsAt,
      periods.monthKey,
      now,
    );
  }
  if (limits.dayMicros !== null && input.agentDay > limits.dayMicros) {
    return budgetSuspension(
      agent,
      'day',
      limits.dayMicros,
      input.agentDay,
      periods.dayResetsAt,
      periods.dayKey,
      now,
    );
  }
  if (limits.velocity !== null && input.velocity !== null && input.velocity > limits.velocity.maxMicros) {
    return velocitySuspension(agent, limits.velocity.maxMicros, input.velocity, now);
  }
  return { kind: 'accept' };
}

/** True when `current` is still exactly the suspension that `decline` (decided at `now`) set. */
export function isSuspensionOf(current: AgentState, decline: Decline, now: number): boolean {
  if (decline.code !== 'budget_exceeded' || decline.suspended === null) return false;
  return (
    current.status === 'suspended' &&
    current.suspendedReason === decline.suspended.reason &&
    current.suspendedPeriod === decline.suspended.period &&
    current.suspendedAt === now
  );
}
