// In-process SpendStore for the embedded default (one instance). Each operation runs synchronously between
// awaits, so it is atomic by construction; the rules are decide.ts's, shared with the Lua scripts.
// Cache entries (idempotency keys, counters, velocity buckets) expire on the real clock like Redis keys;
// holds expire on the request's `now` like in Redis.
import { velocityWindow } from '../budget/periods.js';
import {
  activeState,
  applyAccept,
  checkClaim,
  counterTtls,
  EXPIRE_BATCH,
  IN_FLIGHT_TTL_SECONDS,
  isSuspensionOf,
  judge,
  judgeAfterCommit,
  KEY_TTL_SECONDS,
  type MissingPart,
  type PeriodKeys,
  periodKeys,
  RUN_TTL_SECONDS,
  type SpendView,
  snapshot,
  suspensionEnded,
  VELOCITY_KEEP_SECONDS,
  velocityInWindow,
} from './decide.js';
import type {
  AgentState,
  CommitHoldInput,
  CommitHoldResult,
  CounterLoad,
  CustomerState,
  Decision,
  LiftedSuspension,
  SpendReads,
  SpendRequest,
  SpendStore,
} from './store.js';

const SWEEP_INTERVAL_MS = 60_000;

interface Expiring<V> {
  value: V;
  expiresAt: number; // real clock (Date.now())
}

/** A Map whose entries vanish after their TTL, measured on the real clock. */
class ExpiringMap<V> {
  private readonly entries = new Map<string, Expiring<V>>();

  get(key: string): V | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= Date.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  set(key: string, value: V, ttlMs: number): void {
    this.entries.set(key, { value, expiresAt: Date.now() + ttlMs });
  }

  /** Changes the value, keeping the expiry (like INCRBY on a key with a TTL). */
  replace(key: string, value: V): void {
    const entry = this.entries.get(key);
    if (entry !== undefined) entry.value = value;
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  sweep(): void {
    const now = Date.now();
    for (const [key, entry] of this.entries) if (entry.expiresAt <= now) this.entries.delete(key);
  }

  clear(): void {
    this.entries.clear();
  }
}

interface Claim {
  requestHash: string;
  completed: boolean;
}

interface Velocity {
  /** The window the buckets were kept for: pruning follows it, so another window needs a rebuild. */
  windowSeconds: number;
  buckets: Map<number, number>;
}

interface Hold {
  holdId: string;
  agentId: string;
  runId: string | null;
  amountMicros: number;
  expiresAt: number;
}

/** Open holds of one customer, kept ordered by expiry, with the aggregate totals the decision reads. */
interface CustomerHolds {
  byExpiry: Hold[];
  byId: Map<string, Hold>;
  customer: number;
  agents: Map<string, number>;
  runs: Map<string, number>;
}

const sep = '\u0000';
const agentKey = (c: string, a: string) => `${c}${sep}${a}`;
const runKey = (a: string, r: string) => `${a}${sep}${r}`;

export class MemorySpendStore implements SpendStore {
  readonly kind = 'memory' as const;
  private readonly agents = new Map<string, AgentState>();
  private readonly customers = new Map<string, CustomerState>();
  private readonly claims = new ExpiringMap<Claim>();
  private readonly counters = new ExpiringMap<number>();
  private readonly velocity = new ExpiringMap<Velocity>();
  private readonly holds = new Map<string, CustomerHolds>();
  private readonly sweeper: NodeJS.Timeout;

  constructor() {
    this.sweeper = setInterval(() => {
      this.claims.sweep();
      this.counters.sweep();
      this.velocity.sweep();
    }, SWEEP_INTERVAL_MS);
    this.sweeper.unref();
  }

  async decide(request: SpendRequest): Promise<Decision> {
    const { customerId, agentId, runId, amountMicros: amount, now } = request;
    const claimKey = this.claimKey(customerId, request.idempotencyKey);
    const check = checkClaim(this.claims.get(claimKey), request.requestHash);
    if (check !== 'claim') return { outcome: check };

    const periods = periodKeys(now);
    const read = this.read(customerId, agentId, runId, periods, now);
    if ('missing' in read) return { outcome: 'missing', what: read.missing };
    this.claims.set(
      claimKey,
      { requestHash: request.requestHash, completed: false },
      IN_FLIGHT_TTL_SECONDS * 1000,
    );

    let agent = read.agent;
    let lifted: LiftedSuspension | undefined;
    if (suspensionEnded(agent, periods)) {
      lifted = { reason: 'budget_exceeded', period: agent.suspendedPeriod! };
      agent = activeState(agent);
      this.agents.set(agentKey(customerId, agentId), agent);
    }
    const liftedField = lifted ? { lifted } : {};
    const verdict = judge({ agent, customer: read.customer, view: read.view, amount, runId, periods, now });
    if (verdict.kind === 'decline') {
      if (verdict.suspendTo) this.agents.set(agentKey(customerId, agentId), verdict.suspendTo);
      return { outcome: 'declined', decline: verdict.decline, spend: snapshot(read.view), ...liftedField };
    }
    if (request.hold) {
      this.addHold(customerId, {
        holdId: request.hold.holdId,
        agentId,
        runId,
        amountMicros: amount,
        expiresAt: request.hold.expiresAt,
      });
    } else {
      this.count(customerId, agent, runId, amount, periods, now);
    }
    return {
      outcome: 'accepted',
      spend: snapshot(applyAccept(read.view, amount, request.hold !== undefined)),
      ...liftedField,
    };
  }

  async completeKey(customerId: string, idempotencyKey: string, requestHash: string): Promise<void> {
    this.claims.set(
      this.claimKey(customerId, idempotencyKey),
      { requestHash, completed: true },
      KEY_TTL_SECONDS * 1000,
    );
  }

  async undo(request: SpendRequest, decision: Decision): Promise<void> {
    if (decision.outcome !== 'accepted' && decision.outcome !== 'declined') return; // nothing was claimed
    const { customerId, agentId, runId, amountMicros: amount, now } = request;
    if (decision.outcome === 'accepted') {
      if (request.hold) {
        this.dropHold(customerId, request.hold.holdId);
      } else {
        const periods = periodKeys(now);
        this.addIfPresent(this.customerMonthKey(customerId, periods), -amount);
        this.addIfPresent(this.agentMonthKey(customerId, agentId, periods), -amount);
        this.addIfPresent(this.agentDayKey(customerId, agentId, periods), -amount);
        if (runId !== null) this.addIfPresent(this.runCounterKey(customerId, agentId, runId), -amount);
        const agent = this.agents.get(agentKey(customerId, agentId));
        const velocity = this.velocity.get(agentKey(customerId, agentId));
        if (agent?.limits.velocity && velocity) {
          const window = velocityWindow(now, agent.limits.velocity.windowSeconds);
          const current = velocity.buckets.get(window.currentBucket);
          if (velocity.windowSeconds === agent.limits.velocity.windowSeconds && current !== undefined) {
            velocity.buckets.set(window.currentBucket, Math.max(0, current - amount));
          }
        }
      }
    } else {
      const current = this.agents.get(agentKey(customerId, agentId));
      if (current && isSuspensionOf(current, decision.decline, now)) {
        this.agents.set(agentKey(customerId, agentId), activeState(current));
      }
    }
    this.claims.delete(this.claimKey(customerId, request.idempotencyKey));
  }

  /**
   * Not idempotent by itself: a second call would count the cost again. The caller guarantees one call per
   * hold (the commit goes through the event idempotency path and PostgreSQL's reservation status).
   */
  async commitHold(input: CommitHoldInput): Promise<CommitHoldResult> {
    const { customerId, agentId, runId, actualMicros, now } = input;
    const periods = periodKeys(now);
    const read = this.read(customerId, agentId, runId, periods, now);
    if ('missing' in read) return { outcome: 'missing', what: read.missing };
    this.dropHold(customerId, input.holdId);
    this.count(customerId, read.agent, runId, actualMicros, periods, now);
    // Read again rather than re-deriving: what the counters and holds now say is the answer.
    const after = this.read(customerId, agentId, runId, periods, now);
    if ('missing' in after) return { outcome: 'missing', what: after.missing };
    const view = after.view;
    const verdict = judgeAfterCommit({
      agent: read.agent,
      agentMonth: view.agentMonth,
      agentDay: view.agentDay,
      velocity: view.velocity,
      periods,
      now,
    });
    if (verdict.kind === 'decline') {
      if (verdict.suspendTo) this.agents.set(agentKey(customerId, agentId), verdict.suspendTo);
      return { spend: snapshot(view), suspended: verdict.decline };
    }
    return { spend: snapshot(view), suspended: null };
  }

  async releaseHold(customerId: string, holdId: string, now: number): Promise<boolean> {
    this.expireHolds(customerId, now);
    return this.dropHold(customerId, holdId) !== undefined;
  }

  async readSpend(customerId: string, agentIds: string[], now: number): Promise<SpendReads> {
    const periods = periodKeys(now);
    const result: SpendReads = new Map();
    for (const agentId of agentIds) {
      const read = this.read(customerId, agentId, null, periods, now);
      result.set(agentId, 'missing' in read ? null : snapshot(read.view).agent);
    }
    return result;
  }

  async putAgentState(state: AgentState): Promise<void> {
    this.agents.set(agentKey(state.customerId, state.agentId), structuredClone(state));
  }

  async putCustomerState(state: CustomerState): Promise<void> {
    this.customers.set(state.customerId, { ...state });
  }

  async loadCounters(load: CounterLoad): Promise<void> {
    const { customerId, agentId, now } = load;
    const periods = periodKeys(now);
    const ttls = counterTtls(now, periods);
    // No await anywhere below: the whole load is one step, like the Lua script.
    if (!this.agents.has(agentKey(customerId, agentId))) {
      this.agents.set(agentKey(customerId, agentId), structuredClone(load.agent));
    }
    if (!this.customers.has(customerId)) this.customers.set(customerId, { ...load.customer });
    this.setIfAbsent(this.customerMonthKey(customerId, periods), load.customerMonthMicros, ttls.monthMs);
    this.setIfAbsent(this.agentMonthKey(customerId, agentId, periods), load.agentMonthMicros, ttls.monthMs);
    this.setIfAbsent(this.agentDayKey(customerId, agentId, periods), load.agentDayMicros, ttls.dayMs);
    if (load.run) {
      this.setIfAbsent(
        this.runCounterKey(customerId, agentId, load.run.runId),
        load.run.micros,
        RUN_TTL_SECONDS * 1000,
      );
    }
    // The decision reads the limits of the stored state (which may be newer than the load's).
    const velocityLimit = this.agents.get(agentKey(customerId, agentId))?.limits.velocity;
    if (velocityLimit) {
      const window = velocityWindow(now, velocityLimit.windowSeconds);
      const existing = this.velocity.get(agentKey(customerId, agentId));
      if (existing === undefined || existing.windowSeconds !== velocityLimit.windowSeconds) {
        const buckets = new Map<number, number>();
        for (const { bucket, micros } of load.velocityBuckets) {
          if (bucket >= window.firstBucket) buckets.set(bucket, (buckets.get(bucket) ?? 0) + micros);
        }
        this.velocity.set(
          agentKey(customerId, agentId),
          { windowSeconds: velocityLimit.windowSeconds, buckets },
          VELOCITY_KEEP_SECONDS * 1000,
        );
      }
    }
    if (!this.holds.has(customerId)) {
      this.holds.set(customerId, {
        byExpiry: [],
        byId: new Map(),
        customer: 0,
        agents: new Map(),
        runs: new Map(),
      });
      for (const hold of load.holds) if (hold.expiresAt > now) this.addHold(customerId, { ...hold });
    }
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper);
  }

  /** Everything a decision reads, or the parts that are absent (then nothing is changed but expired holds). */
  private read(
    customerId: string,
    agentId: string,
    runId: string | null,
    periods: PeriodKeys,
    now: number,
  ): { agent: AgentState; customer: CustomerState; view: SpendView } | { missing: MissingPart[] } {
    const missing: MissingPart[] = [];
    const agent = this.agents.get(agentKey(customerId, agentId));
    const customer = this.customers.get(customerId);
    if (!agent) missing.push('agent');
    if (!customer) missing.push('customer');
    const holds = this.holds.get(customerId);
    if (!holds) missing.push('holds');
    const customerMonth = this.counters.get(this.customerMonthKey(customerId, periods));
    if (customerMonth === undefined) missing.push('customer_month');
    const agentMonth = this.counters.get(this.agentMonthKey(customerId, agentId, periods));
    if (agentMonth === undefined) missing.push('agent_month');
    const agentDay = this.counters.get(this.agentDayKey(customerId, agentId, periods));
    if (agentDay === undefined) missing.push('agent_day');
    let velocity: number | null = null;
    const velocityLimit = agent?.limits.velocity;
    if (velocityLimit) {
      const stored = this.velocity.get(agentKey(customerId, agentId));
      if (stored === undefined || stored.windowSeconds !== velocityLimit.windowSeconds)
        missing.push('velocity');
      else velocity = velocityInWindow(stored.buckets, now, velocityLimit.windowSeconds);
    } else if (agent) {
      // Not tracked without a limit: forget old buckets so a limit set later starts from a rebuild, not stale data.
      this.velocity.delete(agentKey(customerId, agentId));
    }
    let run: number | null = null;
    if (runId !== null) {
      const counter = this.counters.get(this.runCounterKey(customerId, agentId, runId));
      if (counter !== undefined) run = counter;
      else if (agent?.limits.runMicros != null) missing.push('run');
    }
    if (missing.length > 0 || !agent || !customer || !holds) return { missing };
    this.expireHolds(customerId, now);
    return {
      agent,
      customer,
      view: {
        customerMonth: customerMonth!,
        agentMonth: agentMonth!,
        agentDay: agentDay!,
        velocity,
        run,
        held: {
          customer: holds.customer,
          agent: holds.agents.get(agentId) ?? 0,
          run: runId === null ? 0 : (holds.runs.get(runKey(agentId, runId)) ?? 0),
        },
      },
    };
  }

  /** Counts spent money in every period the agent tracks (no limit checks). */
  private count(
    customerId: string,
    agent: AgentState,
    runId: string | null,
    amount: number,
    periods: PeriodKeys,
    now: number,
  ): void {
    const { agentId } = agent;
    this.addIfPresent(this.customerMonthKey(customerId, periods), amount);
    this.addIfPresent(this.agentMonthKey(customerId, agentId, periods), amount);
    this.addIfPresent(this.agentDayKey(customerId, agentId, periods), amount);
    if (runId !== null) {
      // A run counter exists when the agent has a run limit (read() made sure); without one it is only
      // kept up to date if present, so it is never created from 0 over an unknown past.
      const key = this.runCounterKey(customerId, agentId, runId);
      const counter = this.counters.get(key);
      if (counter !== undefined) this.counters.set(key, counter + amount, RUN_TTL_SECONDS * 1000);
    }
    const limit = agent.limits.velocity;
    const velocity = this.velocity.get(agentKey(customerId, agentId));
    if (limit && velocity) {
      const window = velocityWindow(now, limit.windowSeconds);
      for (const bucket of velocity.buckets.keys())
        if (bucket < window.firstBucket) velocity.buckets.delete(bucket);
      velocity.buckets.set(window.currentBucket, (velocity.buckets.get(window.currentBucket) ?? 0) + amount);
      this.velocity.set(agentKey(customerId, agentId), velocity, VELOCITY_KEEP_SECONDS * 1000);
    }
  }

  private addIfPresent(key: string, delta: number): void {
    const value = this.counters.get(key);
    if (value !== undefined) this.counters.replace(key, Math.max(0, value + delta));
  }

  private setIfAbsent(key: string, value: number, ttlMs: number): void {
    if (this.counters.get(key) === undefined) this.counters.set(key, value, ttlMs);
  }

  private addHold(customerId: string, hold: Hold): void {
    const holds = this.holds.get(customerId);
    if (!holds || holds.byId.has(hold.holdId)) return;
    holds.byId.set(hold.holdId, hold);
    // Binary insertion keeps byExpiry ordered, so expiry only ever looks at the front.
    let lo = 0;
    let hi = holds.byExpiry.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (holds.byExpiry[mid]!.expiresAt <= hold.expiresAt) lo = mid + 1;
      else hi = mid;
    }
    holds.byExpiry.splice(lo, 0, hold);
    this.adjustHeld(holds, hold, hold.amountMicros);
  }

  private dropHold(customerId: string, holdId: string): Hold | undefined {
    const holds = this.holds.get(customerId);
    const hold = holds?.byId.get(holdId);
    if (!holds || !hold) return undefined;
    holds.byId.delete(holdId);
    holds.byExpiry.splice(holds.byExpiry.indexOf(hold), 1);
    this.adjustHeld(holds, hold, -hold.amountMicros);
    return hold;
  }

  private expireHolds(customerId: string, now: number): void {
    const holds = this.holds.get(customerId);
    if (!holds) return;
    let dropped = 0;
    while (dropped < EXPIRE_BATCH && holds.byExpiry.length > 0 && holds.byExpiry[0]!.expiresAt <= now) {
      const hold = holds.byExpiry.shift()!;
      holds.byId.delete(hold.holdId);
      this.adjustHeld(holds, hold, -hold.amountMicros);
      dropped++;
    }
  }

  private adjustHeld(holds: CustomerHolds, hold: Hold, delta: number): void {
    holds.customer += delta;
    const agentTotal = (holds.agents.get(hold.agentId) ?? 0) + delta;
    if (agentTotal === 0) holds.agents.delete(hold.agentId);
    else holds.agents.set(hold.agentId, agentTotal);
    if (hold.runId !== null) {
      const key = runKey(hold.agentId, hold.runId);
      const runTotal = (holds.runs.get(key) ?? 0) + delta;
      if (runTotal === 0) holds.runs.delete(key);
      else holds.runs.set(key, runTotal);
    }
  }

  private claimKey(customerId: string, idempotencyKey: string): string {
    return `${customerId}${sep}${idempotencyKey}`;
  }
  private customerMonthKey(customerId: string, periods: PeriodKeys): string {
    return `cm${sep}${customerId}${sep}${periods.monthKey}`;
  }
  private agentMonthKey(customerId: string, agentId: string, periods: PeriodKeys): string {
    return `am${sep}${customerId}${sep}${agentId}${sep}${periods.monthKey}`;
  }
  private agentDayKey(customerId: string, agentId: string, periods: PeriodKeys): string {
    return `ad${sep}${customerId}${sep}${agentId}${sep}${periods.dayKey}`;
  }
  private runCounterKey(customerId: string, agentId: string, runId: string): string {
    return `run${sep}${customerId}${sep}${agentId}${sep}${runId}`;
  }
}

export function createMemorySpendStore(): SpendStore {
  return new MemorySpendStore();
}
