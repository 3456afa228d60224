// The budget decision rules of docs/api.md §5/§6 as pure functions over already-read state. The memory store calls
// them directly; lua/rules.lua mirrors them function for function, and test/spend/parity.test.ts feeds the same
// random cases to both (through EVAL) so the two copies cannot drift. No I/O and no clock: `now` comes in.
import { dayKey, dayResetsAt, monthKey, monthResetsAt, velocityWindow } from '../budget/periods.js';
import type {
  AgentState,
  CustomerState,
  Decline,
  SpendSnapshot,
  StoredAgent,
  SuspendReason,
} from './store.js';

/** A completed idempotency key is remembered this long in the store (PostgreSQL's unique index backs it up). */
export const KEY_TTL_SECONDS = 4 * 24 * 3600;
/**
 * An in-flight claim expires after this long, so a process that died between decide() and complete() does not
 * leave the key answering 409 forever; a retry after that is decided afresh and PostgreSQL's unique index turns a
 * late duplicate into a replay (the caller then undoes).
 */
export const IN_FLIGHT_TTL_SECONDS = 120;
/** Run counters live 30 days after their last use. */
export const RUN_TTL_SECONDS = 30 * 24 * 3600;
/**
 * An agent's or customer's cached state and period counters are kept this long after their last write (longer
 * than a month plus its grace, so a month counter never expires while its month runs and the agent is active).
 */
export const STATE_KEEP_SECONDS = 40 * 24 * 3600;
/**
 * Velocity buckets are pruned to the window on every write, so the bucket set stays ~62 fields; the set
 * itself is kept at least this long after its last write so an agent idle for a few minutes needs no rebuild.
 */
export const VELOCITY_KEEP_SECONDS = 2 * 24 * 3600;
/** Holds and entries structures of a customer are kept this long after their last change (holds live ≤ 1 h). */
export const HOLDS_KEEP_SECONDS = 7 * 24 * 3600;
/** Per-second contributions (for the reconciler's exact repair) are kept this long after their last write. */
export const CONTRIBUTIONS_KEEP_SECONDS = 600;
/** At most this many expired holds are dropped per operation; the rest go on the next ones (never under-counts). */
export const EXPIRE_BATCH = 200;
/**
 * An agent's repeat occurrences (loop detection, docs/api.md §7) are kept this long past their window after the last
 * write; once gone they are rebuilt from PostgreSQL's fingerprint columns, which are exact.
 */
export const REPEATS_SLACK_SECONDS = 60;

/** Names used in `{outcome: 'missing', what}`. */
export type MissingPart =
  | 'agent'
  | 'customer'
  | 'holds'
  | 'customer_month'
  | 'agent_month'
  | 'agent_day'
  | 'velocity'
  | 'run'
  | 'repeats';

export type ClaimCheck = 'claim' | 'in_flight' | 'replay' | 'reused' | 'rerun';

/**
 * What a known key tells a new request with `requestHash` and `token` (docs/api.md §5 idempotency). `rerun`: the claim is
 * this very request's (its reply was lost, or it is deciding again after a rebuild): replace its earlier decision.
 */
export function checkClaim(
  stored: { requestHash: string; completed: boolean; token: string } | undefined,
  requestHash: string,
  token: string,
): ClaimCheck {
  if (stored === undefined) return 'claim';
  if (stored.requestHash !== requestHash) return 'reused';
  if (stored.completed) return 'replay';
  return stored.token === token ? 'rerun' : 'in_flight';
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

/**
 * Spend of one agent (and its customer) as read before a decision. Counters hold every counted amount, confirmed
 * or not; `pendingAgent` is the agent's counted spend not yet confirmed committed (its entries), so
 * counter − pendingAgent is what PostgreSQL is known to hold. velocity is null when the agent has no velocity
 * limit (not tracked), run is null when the run is not tracked (no runId, or no run limit and no counter).
 */
export interface SpendView {
  customerMonth: number;
  agentMonth: number;
  agentDay: number;
  velocity: number | null;
  run: number | null;
  held: { customer: number; agent: number; run: number };
  pendingAgent: number;
  /**
   * For a request with a fingerprint to an agent with a `repeats` limit: the accepted requests with that fingerprint
   * inside the window before this one (this request's own earlier decision excluded); else null.
   */
  repeats: { fingerprint: string; count: number } | null;
}

/**
 * Holds count toward every period (docs/api.md §6: "a held amount counts against every limit of the agent and
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
    pendingAgent: view.pendingAgent + amount,
  };
}

/**
 * A budget_exceeded suspension lifts by itself once the period that caused it is over (budgetPeriodOver). The rule is applied where the state is read (here, the Lua
 * scripts, agents/present.ts): nothing has to write the lift, so nothing can race it.
 */
export function suspensionLapsed(state: AgentState, periods: PeriodKeys): boolean {
  return (
    state.status === 'suspended' && budgetPeriodOver(state.suspendedReason, state.suspendedPeriod, periods)
  );
}

/**
 * A budget_exceeded suspension (or provisional flip) for `periodKey` is over when that period is: its month or day
 * key is before the current one (keys compare as strings). A key ahead of the current one (written by an instance
 * whose clock runs ahead) is not over: when in doubt, suspended. The one rule for decisions and reads (GET).
 */
export function budgetPeriodOver(
  reason: SuspendReason | null,
  periodKey: string | null,
  periods: PeriodKeys,
): boolean {
  if (reason !== 'budget_exceeded' || periodKey === null) return false;
  return periodKey < (periodKey.length === 7 ? periods.monthKey : periods.dayKey);
}

/**
 * Whether the agent declines everything, and why: its row says suspended (and the suspension has not lapsed), or a
 * provisional suspend or flip is waiting for PostgreSQL — when in doubt the agent is suspended, never active.
 */
export function effectiveSuspension(
  agent: StoredAgent,
  periods: PeriodKeys,
  now: number,
): { reason: SuspendReason; at: number } | null {
  const { state, provisional } = agent;
  if (state.status === 'suspended' && !suspensionLapsed(state, periods)) {
    return { reason: state.suspendedReason ?? 'manual', at: state.suspendedAt ?? now };
  }
  if (provisional && !budgetPeriodOver(provisional.reason, provisional.periodKey, periods)) {
    return { reason: provisional.reason, at: provisional.at };
  }
  return null;
}

/** The provisional flip a decline places: the suspension it would set, named by reason and period key. */
export interface BudgetFlip {
  reason: 'budget_exceeded' | 'velocity_exceeded';
  /** The month/day key a budget_exceeded suspension lifts after; null for velocity (lifts only on resume). */
  periodKey: string | null;
}
/** A loop lifts only on resume, like velocity. */
export type Flip = BudgetFlip | { reason: 'loop_detected'; periodKey: null };

export type Verdict = { kind: 'accept' } | { kind: 'decline'; decline: Decline; flip: Flip | null };

/**
 * Sum of the velocity buckets inside the window at `now` (buckets: index → micros). Buckets AHEAD of the current
 * one count too: they were written by an instance whose clock runs ahead, and leaving them out would under-count
 * (docs/architecture.md "One clock"); counting them can only over-count, the safe side.
 */
export function velocityInWindow(
  buckets: Iterable<[number, number]>,
  now: number,
  windowSeconds: number,
): number {
  const window = velocityWindow(now, windowSeconds);
  let sum = 0;
  for (const [bucket, micros] of buckets) if (bucket >= window.firstBucket) sum += micros;
  return sum;
}

/** Committed spend as far as the store knows it: a counter less the agent's not-yet-confirmed entries. */
const committed = (counter: number, pending: number) => Math.max(0, counter - pending);

/**
 * Steps 1–4 of docs/api.md §5 (and §6 for a hold), with loop detection (§7) right after the kill switch. Landing
 * exactly on a limit is accepted; null limits never decline. A loop decline always flips (provisionally; PostgreSQL
 * confirms it from committed requests only, flips.ts), for a hold too: a loop is not an estimate.
 * An agent-limit decline of an event (not a hold, docs/api.md §6) flips the kill switch only when the agent's committed
 * spend with this amount breaks the limit: uncommitted spend (other requests still in flight) may decline an event
 * but never flip the switch (a request that then fails would have suspended the agent for nothing).
 */
export function judge(input: {
  agent: StoredAgent;
  customer: CustomerState;
  view: SpendView;
  amount: number;
  runId: string | null;
  hold: boolean;
  periods: PeriodKeys;
  now: number;
}): Verdict {
  const { agent, customer, view, amount, periods } = input;
  const suspension = effectiveSuspension(agent, periods, input.now);
  if (suspension) {
    return {
      kind: 'decline',
      decline: { code: 'agent_suspended', reason: suspension.reason, suspendedAt: suspension.at },
      flip: null,
    };
  }
  // A loop is refused before any budget: it is the runaway the kill switch is for, whatever money is left.
  const repeats = agent.state.limits.repeats;
  if (repeats !== null && view.repeats !== null && view.repeats.count + 1 > repeats.max) {
    const decline: Decline = {
      code: 'loop_detected',
      fingerprint: view.repeats.fingerprint,
      count: view.repeats.count + 1,
      windowSeconds: repeats.windowSeconds,
      suspended: { reason: 'loop_detected', period: null },
    };
    return { kind: 'decline', decline, flip: { reason: 'loop_detected', periodKey: null } };
  }
  const customerSpent = view.customerMonth + view.held.customer;
  if (customer.monthLimitMicros !== null && customerSpent + amount > customer.monthLimitMicros) {
    return over('customer', 'month', customer.monthLimitMicros, customerSpent, periods.monthResetsAt, null);
  }
  const limits = agent.state.limits;
  if (input.runId !== null && limits.runMicros !== null) {
    const runSpent = (view.run ?? 0) + view.held.run;
    if (runSpent + amount > limits.runMicros) {
      return over('agent', 'run', limits.runMicros, runSpent, null, null);
    }
  }
  const mayFlip = (counter: number, limit: number) =>
    !input.hold && committed(counter, view.pendingAgent) + amount > limit;
  const agentMonth = view.agentMonth + view.held.agent;
  if (limits.monthMicros !== null && agentMonth + amount > limits.monthMicros) {
    const flip = mayFlip(view.agentMonth, limits.monthMicros)
      ? { reason: 'budget_exceeded' as const, periodKey: periods.monthKey }
      : null;
    return over('agent', 'month', limits.monthMicros, agentMonth, periods.monthResetsAt, flip);
  }
  const agentDay = view.agentDay + view.held.agent;
  if (limits.dayMicros !== null && agentDay + amount > limits.dayMicros) {
    const flip = mayFlip(view.agentDay, limits.dayMicros)
      ? { reason: 'budget_exceeded' as const, periodKey: periods.dayKey }
      : null;
    return over('agent', 'day', limits.dayMicros, agentDay, periods.dayResetsAt, flip);
  }
  if (limits.velocity !== null) {
    // The agent's open holds count here too (docs/api.md §6), not only in month/day/run: otherwise a loop could
    // keep reserving past the rate limit and only be stopped once its commits land in the window.
    const velocity = (view.velocity ?? 0) + view.held.agent;
    if (velocity + amount > limits.velocity.maxMicros) {
      const flip = mayFlip(view.velocity ?? 0, limits.velocity.maxMicros)
        ? { reason: 'velocity_exceeded' as const, periodKey: null }
        : null;
      return over('agent', 'velocity', limits.velocity.maxMicros, velocity, null, flip);
    }
  }
  return { kind: 'accept' };
}

function over(
  scope: 'agent' | 'customer',
  period: 'month' | 'day' | 'velocity' | 'run',
  limitMicros: number,
  spentMicros: number,
  resetsAt: number | null,
  flip: BudgetFlip | null,
): Verdict {
  return {
    kind: 'decline',
    decline: {
      code: 'budget_exceeded',
      scope,
      period,
      limitMicros,
      spentMicros,
      resetsAt,
      suspended: flip ? { reason: flip.reason, period: flip.periodKey } : null,
    },
    flip,
  };
}

/**
 * After a reservation commit counts its actual cost (docs/api.md §6: "if the limit is now exceeded the kill switch flips
 * for what comes next"): the switch flips when the agent's committed month, day or velocity-window spend with the
 * actual cost is above its limit — other open holds and unconfirmed spend do not trigger it. Only an agent that is
 * not suspended (nor provisionally) is flipped. `view` is the view BEFORE the cost was counted.
 */
export function judgeAfterCommit(input: {
  agent: StoredAgent;
  view: SpendView;
  actual: number;
  periods: PeriodKeys;
  now: number;
}): Verdict {
  const { agent, view, actual, periods } = input;
  if (effectiveSuspension(agent, periods, input.now)) return { kind: 'accept' };
  const limits = agent.state.limits;
  const after = (counter: number) => committed(counter, view.pendingAgent) + actual;
  if (limits.monthMicros !== null && after(view.agentMonth) > limits.monthMicros) {
    return over('agent', 'month', limits.monthMicros, view.agentMonth + actual, periods.monthResetsAt, {
      reason: 'budget_exceeded',
      periodKey: periods.monthKey,
    });
  }
  if (limits.dayMicros !== null && after(view.agentDay) > limits.dayMicros) {
    return over('agent', 'day', limits.dayMicros, view.agentDay + actual, periods.dayResetsAt, {
      reason: 'budget_exceeded',
      periodKey: periods.dayKey,
    });
  }
  if (limits.velocity !== null && view.velocity !== null) {
    if (after(view.velocity) > limits.velocity.maxMicros) {
      return over('agent', 'velocity', limits.velocity.maxMicros, view.velocity + actual, null, {
        reason: 'velocity_exceeded',
        periodKey: null,
      });
    }
  }
  return { kind: 'accept' };
}
