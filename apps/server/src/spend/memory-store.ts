// In-process SpendStore for the embedded default (one instance). Each operation runs synchronously between
// awaits, so it is atomic by construction; the rules are decide.ts's, shared with the Lua scripts.
// Counters and velocity buckets expire on the real clock like Redis keys; holds expire on the request's `now`
// like in Redis. Completed idempotency claims are kept for a bounded number of keys only (MAX_COMPLETED_CLAIMS):
// PostgreSQL's unique index is the long memory, a forgotten key is decided again and replayed from there.
import { velocityWindow } from '../budget/periods.js';
import {
  applyAccept,
  checkClaim,
  EXPIRE_BATCH,
  type Flip,
  IN_FLIGHT_TTL_SECONDS,
  judge,
  judgeAfterCommit,
  type MissingPart,
  type PeriodKeys,
  periodKeys,
  REPEATS_SLACK_SECONDS,
  RUN_TTL_SECONDS,
  type SpendView,
  STATE_KEEP_SECONDS,
  snapshot,
  VELOCITY_KEEP_SECONDS,
  velocityInWindow,
} from './decide.js';
import { RepeatTracker } from './repeats.js';
import type {
  AgentState,
  CommitHoldInput,
  CommitHoldResult,
  Completion,
  CounterLoad,
  CustomerState,
  Decision,
  Decline,
  SpendReads,
  SpendRequest,
  SpendStore,
  StoredAgent,
  TokenRef,
} from './store.js';

const SWEEP_INTERVAL_MS = 60_000;
/** Completed claims kept in memory (~200 bytes each): beyond this the oldest are forgotten (PostgreSQL remembers). */
export const MAX_COMPLETED_CLAIMS = 50_000;

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

  get size(): number {
    return this.entries.size;
  }
}

interface Claim {
  requestHash: string;
  completed: boolean;
  token: string;
}

/**
 * Idempotency claims: in-flight ones expire after IN_FLIGHT_TTL_SECONDS; completed ones are kept newest-first up
 * to MAX_COMPLETED_CLAIMS (a Map iterates in insertion order, so the oldest is the first key).
 */
class ClaimMemory {
  private readonly inFlight = new ExpiringMap<Claim>();
  private readonly completed = new Map<string, Claim>();

  get(key: string): Claim | undefined {
    return this.completed.get(key) ?? this.inFlight.get(key);
  }

  claim(key: string, claim: Claim): void {
    this.completed.delete(key);
    this.inFlight.set(key, claim, IN_FLIGHT_TTL_SECONDS * 1000);
  }

  complete(key: string, claim: Claim): void {
    this.inFlight.delete(key);
    this.completed.delete(key);
    this.completed.set(key, claim);
    if (this.completed.size > MAX_COMPLETED_CLAIMS) {
      const oldest = this.completed.keys().next().value;
      if (oldest !== undefined) this.completed.delete(oldest);
    }
  }

  release(key: string): void {
    this.inFlight.delete(key);
  }

  sweep(): void {
    this.inFlight.sweep();
  }

  get size(): number {
    return this.inFlight.size + this.completed.size;
  }
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

/** Spend counted under a token and not yet confirmed committed: exactly what undo() takes back. */
interface Entry {
  agentId: string;
  runId: string | null;
  amount: number;
  /** When it was decided (its event's recorded_at). */
  at: number;
  monthKey: string;
  dayKey: string;
  /** The velocity bucket it was added to, for the window it was kept for; null if velocity is not tracked. */
  velocity: { windowSeconds: number; bucket: number } | null;
  countedInRun: boolean;
}

/** Open holds and unconfirmed entries of one customer, with the aggregates the decision reads. */
interface CustomerOpen {
  byExpiry: Hold[];
  holds: Map<string, Hold>;
  heldCustomer: number;
  heldAgents: Map<string, number>;
  heldRuns: Map<string, number>;
  entries: Map<string, Entry>;
  pendingAgents: Map<string, number>;
}

/** What the store keeps for an agent: its row (null until loaded) and a provisional flip or suspend. */
interface AgentRecord {
  state: AgentState | null;
  provisional: StoredAgent['provisional'];
  /** For a provisional flip: the decline that placed it, answered again when commitHold is re-run. */
  flipDecline: Decline | null;
}

const sep = '\u0000';
const agentKey = (c: string, a: string) => `${c}${sep}${a}`;
const runKey = (a: string, r: string) => `${a}${sep}${r}`;

function addTo(map: Map<string, number>, key: string, delta: number): void {
  const total = (map.get(key) ?? 0) + delta;
  if (total === 0) map.delete(key);
  else map.set(key, total);
}

/** A decline's provisional flip (lua/store.lua place_flip), with the decline a re-run of commitHold answers again. */
function placeFlip(record: AgentRecord, token: string, flip: Flip, decline: Decline, now: number): void {
  record.provisional = { kind: 'flip', token, reason: flip.reason, at: now, periodKey: flip.periodKey };
  record.flipDecline = decline;
}

/** The state of `incoming` where its versions are newer, of `stored` where not (compare-and-set per part). */
export function newerState(stored: AgentState, incoming: AgentState): AgentState {
  const limits = incoming.limitsVersion > stored.limitsVersion ? incoming : stored;
  const status = incoming.statusVersion > stored.statusVersion ? incoming : stored;
  return {
    ...stored,
    limitsVersion: limits.limitsVersion,
    limits: structuredClone(limits.limits),
    statusVersion: status.statusVersion,
    status: status.status,
    suspendedReason: status.suspendedReason,
    suspendedAt: status.suspendedAt,
    suspendedPeriod: status.suspendedPeriod,
  };
}

export class MemorySpendStore implements SpendStore {
  readonly kind = 'memory' as const;
  private readonly agents = new Map<string, AgentRecord>();
  private readonly customers = new Map<string, CustomerState>();
  private readonly claims = new ClaimMemory();
  private readonly counters = new ExpiringMap<number>();
  private readonly velocity = new ExpiringMap<Velocity>();
  /** Loop detection's occurrences per agent (repeats.ts), kept while the agent has a `repeats` limit. */
  private readonly repeats = new ExpiringMap<RepeatTracker>();
  private readonly open = new Map<string, CustomerOpen>();
  /** Which month/day counter keys exist per agent and customer (lua/load.lua prunes older periods the same way). */
  private readonly periodKeysOf = new Map<string, Set<string>>();
  /** Revoked API keys per customer (revokeKey): decisions with them are refused. */
  private readonly revokedKeys = new Map<string, Set<string>>();
  private readonly sweeper: NodeJS.Timeout;

  constructor() {
    this.sweeper = setInterval(() => {
      this.claims.sweep();
      this.counters.sweep();
      this.velocity.sweep();
      this.repeats.sweep();
    }, SWEEP_INTERVAL_MS);
    this.sweeper.unref();
  }

  /** How many idempotency claims are held in memory (bounded; tests check it). */
  get claimCount(): number {
    return this.claims.size;
  }

  async decide(request: SpendRequest): Promise<Decision> {
    const { customerId, agentId, runId, amountMicros: amount, token, now } = request;
    if (request.apiKeyId && this.revokedKeys.get(customerId)?.has(request.apiKeyId))
      return { outcome: 'revoked' };
    const claimKey = this.claimKey(customerId, request.idempotencyKey);
    const check = checkClaim(this.claims.get(claimKey), request.requestHash, token);
    if (check === 'replay' || check === 'reused' || check === 'in_flight') return { outcome: check };
    if (check === 'rerun') this.takeBack(customerId, agentId, token);

    const periods = periodKeys(now);
    const fingerprint = request.fingerprint ?? null;
    const read = this.read(customerId, agentId, runId, periods, now, fingerprint);
    if ('missing' in read) return { outcome: 'missing', what: read.missing };
    this.claims.claim(claimKey, { requestHash: request.requestHash, completed: false, token });

    const { record, view } = read;
    const agent: StoredAgent = { state: record.state!, provisional: record.provisional };
    const hold = request.hold !== undefined;
    const verdict = judge({ agent, customer: read.customer, view, amount, runId, hold, periods, now });
    const statusVersion = agent.state.statusVersion;
    const limits = {
      agent: structuredClone(agent.state.limits),
      customerMonthMicros: read.customer.monthLimitMicros,
    };
    if (verdict.kind === 'decline') {
      // judge() only flips an agent nothing suspends, so a mark still here is a lapsed day/month flip: replaced.
      if (verdict.flip) placeFlip(record, token, verdict.flip, verdict.decline, now);
      return { outcome: 'declined', decline: verdict.decline, spend: snapshot(view), statusVersion, limits };
    }
    if (request.hold) {
      this.addHold(customerId, {
        holdId: token,
        agentId,
        runId,
        amountMicros: amount,
        expiresAt: request.hold.expiresAt,
      });
    } else {
      this.count(customerId, agent.state, runId, token, amount, periods, now);
    }
    // Held or spent, an accepted request counts once for loop detection (its commit adds nothing).
    if (fingerprint !== null && view.repeats !== null) {
      const tracker = this.repeats.get(agentKey(customerId, agentId))!;
      tracker.add({ token, fingerprint, at: now });
      this.keepRepeats(customerId, agentId, tracker);
    }
    return { outcome: 'accepted', spend: snapshot(applyAccept(view, amount, hold)), statusVersion, limits };
  }

  async complete(completion: Completion): Promise<void> {
    const { customerId, agentId, token, claim } = completion;
    if (claim) {
      const key = this.claimKey(customerId, claim.idempotencyKey);
      const stored = this.claims.get(key);
      if (stored === undefined || (!stored.completed && stored.token === token)) {
        this.claims.complete(key, { requestHash: claim.requestHash, completed: true, token });
      }
    }
    const open = this.open.get(customerId);
    const entry = open?.entries.get(token);
    if (open && entry) {
      open.entries.delete(token);
      addTo(open.pendingAgents, entry.agentId, -entry.amount);
    }
    const record = this.agents.get(agentKey(customerId, agentId));
    if (record?.provisional?.kind === 'flip' && record.provisional.token === token) {
      record.provisional = null;
      record.flipDecline = null;
    }
    if (completion.agentState) await this.putAgentState(completion.agentState);
  }

  async undo(ref: TokenRef): Promise<void> {
    const { customerId, agentId, token, claim } = ref;
    if (claim) {
      const key = this.claimKey(customerId, claim.idempotencyKey);
      const stored = this.claims.get(key);
      if (stored && !stored.completed && stored.token === token) this.claims.release(key);
    }
    this.takeBack(customerId, agentId, token);
  }

  async commitHold(input: CommitHoldInput): Promise<CommitHoldResult> {
    const { customerId, agentId, runId, actualMicros, token, now } = input;
    const periods = periodKeys(now);
    const before = this.read(customerId, agentId, runId, periods, now);
    if ('missing' in before) return { outcome: 'missing', what: before.missing };
    const record = before.record;
    const open = this.open.get(customerId)!;
    if (!open.entries.has(token)) {
      this.dropHold(customerId, input.holdId);
      const agent: StoredAgent = { state: record.state!, provisional: record.provisional };
      const verdict = judgeAfterCommit({ agent, view: before.view, actual: actualMicros, periods, now });
      this.count(customerId, record.state!, runId, token, actualMicros, periods, now);
      if (verdict.kind === 'decline' && verdict.flip)
        placeFlip(record, token, verdict.flip, verdict.decline, now);
    }
    // Read again rather than re-deriving: what the counters and holds now say is the answer (a re-run answers the
    // same way, having counted nothing).
    const after = this.read(customerId, agentId, runId, periods, now);
    if ('missing' in after) return { outcome: 'missing', what: after.missing };
    const mine = record.provisional?.kind === 'flip' && record.provisional.token === token;
    return {
      outcome: 'counted',
      spend: snapshot(after.view),
      suspended: mine ? record.flipDecline : null,
      statusVersion: record.state!.statusVersion,
      limits: {
        agent: structuredClone(record.state!.limits),
        customerMonthMicros: after.customer.monthLimitMicros,
      },
    };
  }

  async releaseHold(customerId: string, holdId: string, now: number): Promise<boolean> {
    this.expireHolds(customerId, now);
    return this.dropHold(customerId, holdId) !== undefined;
  }

  async readSpend(customerId: string, agentIds: string[], now: number): Promise<SpendReads> {
    const periods = periodKeys(now);
    const result: SpendReads = new Map();
    for (const agentId of agentIds) {
      const read = this.read(customerId, agentId, null, periods, now, null, true);
      result.set(agentId, 'missing' in read ? null : snapshot(read.view).agent);
    }
    return result;
  }

  async readAgent(customerId: string, agentId: string): Promise<StoredAgent | null> {
    const record = this.agents.get(agentKey(customerId, agentId));
    if (!record?.state) return null;
    return { state: structuredClone(record.state), provisional: record.provisional };
  }

  async putAgentState(state: AgentState, confirm?: string): Promise<void> {
    const record = this.record(state.customerId, state.agentId);
    record.state = record.state ? newerState(record.state, state) : structuredClone(state);
    if (
      confirm !== undefined &&
      record.provisional?.kind === 'suspend' &&
      record.provisional.token === confirm
    ) {
      record.provisional = null;
    }
  }

  async putCustomerState(state: CustomerState): Promise<void> {
    const stored = this.customers.get(state.customerId);
    if (!stored || state.version > stored.version) this.customers.set(state.customerId, { ...state });
  }

  async provisionalSuspend(customerId: string, agentId: string, token: string, now: number): Promise<void> {
    const record = this.record(customerId, agentId);
    record.provisional = { kind: 'suspend', token, reason: 'manual', at: now, periodKey: null };
    record.flipDecline = null;
  }

  async clearProvisional(customerId: string, agentId: string, token: string): Promise<void> {
    const record = this.agents.get(agentKey(customerId, agentId));
    if (record?.provisional?.token === token) {
      record.provisional = null;
      record.flipDecline = null;
    }
  }

  async revokeKey(customerId: string, keyId: string): Promise<void> {
    this.markRevoked(customerId, keyId);
  }

  private markRevoked(customerId: string, keyId: string): void {
    const keys = this.revokedKeys.get(customerId) ?? new Set<string>();
    keys.add(keyId);
    this.revokedKeys.set(customerId, keys);
  }

  async loadCounters(load: CounterLoad): Promise<void> {
    const { customerId, agentId, now } = load;
    const periods = periodKeys(now);
    // No await anywhere below: the whole load is one step, like the Lua script.
    for (const keyId of load.revokedKeyIds) this.markRevoked(customerId, keyId);
    const record = this.record(customerId, agentId);
    record.state = record.state ? newerState(record.state, load.agent) : structuredClone(load.agent);
    await this.putCustomerState(load.customer);
    if (!this.open.has(customerId)) {
      this.open.set(customerId, {
        byExpiry: [],
        holds: new Map(),
        heldCustomer: 0,
        heldAgents: new Map(),
        heldRuns: new Map(),
        entries: new Map(),
        pendingAgents: new Map(),
      });
      for (const hold of load.holds) if (hold.expiresAt > now) this.addHold(customerId, { ...hold });
    }
    // A counter absent while entries of its period exist (they can only be in flight) gets them added on top of
    // PostgreSQL's sum: one that already committed is then counted twice — the safe side, until the reconciler.
    const entries = [...this.open.get(customerId)!.entries.values()];
    const pendingWhere = (match: (e: Entry) => boolean) =>
      entries.filter(match).reduce((sum, e) => sum + e.amount, 0);
    const ttls = counterTtlsMs(now, periods);
    const owner = { customer: `c${sep}${customerId}`, agent: `a${sep}${agentKey(customerId, agentId)}` };
    this.setPeriodCounter(
      `${owner.customer}${sep}m`,
      periods.monthKey,
      (p) => this.customerMonthKey(customerId, p),
      load.customerMonthMicros + pendingWhere((e) => e.monthKey === periods.monthKey),
      ttls.month,
    );
    this.setPeriodCounter(
      `${owner.agent}${sep}m`,
      periods.monthKey,
      (p) => this.agentMonthKey(customerId, agentId, p),
      load.agentMonthMicros + pendingWhere((e) => e.agentId === agentId && e.monthKey === periods.monthKey),
      ttls.month,
    );
    this.setPeriodCounter(
      `${owner.agent}${sep}d`,
      periods.dayKey,
      (p) => this.agentDayKey(customerId, agentId, p),
      load.agentDayMicros + pendingWhere((e) => e.agentId === agentId && e.dayKey === periods.dayKey),
      ttls.day,
    );
    if (load.run) {
      const runId = load.run.runId;
      this.setIfAbsent(
        this.runCounterKey(customerId, agentId, runId),
        load.run.micros + pendingWhere((e) => e.agentId === agentId && e.runId === runId && e.countedInRun),
        RUN_TTL_SECONDS * 1000,
      );
    }
    const repeatsLimit = record.state.limits.repeats;
    if (repeatsLimit) {
      const existing = this.repeats.get(agentKey(customerId, agentId));
      if (existing === undefined || existing.windowSeconds !== repeatsLimit.windowSeconds) {
        // PostgreSQL's committed occurrences and the ones still in flight (the old tracker's): one per token.
        const tracker = new RepeatTracker(repeatsLimit.windowSeconds);
        for (const o of [...load.repeats, ...(existing?.occurrences() ?? [])]) tracker.add(o);
        tracker.prune(now);
        this.keepRepeats(customerId, agentId, tracker);
      }
    }
    const limit = record.state.limits.velocity;
    if (limit) {
      const existing = this.velocity.get(agentKey(customerId, agentId));
      if (existing === undefined || existing.windowSeconds !== limit.windowSeconds) {
        const mine = entries.filter((e) => e.agentId === agentId);
        const buckets = rebuiltVelocity(limit.windowSeconds, now, load.velocityBuckets, existing, mine);
        this.velocity.set(
          agentKey(customerId, agentId),
          { windowSeconds: limit.windowSeconds, buckets },
          VELOCITY_KEEP_SECONDS * 1000,
        );
      }
    }
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper);
  }

  private record(customerId: string, agentId: string): AgentRecord {
    const key = agentKey(customerId, agentId);
    let record = this.agents.get(key);
    if (!record) {
      record = { state: null, provisional: null, flipDecline: null };
      this.agents.set(key, record);
    }
    return record;
  }

  /** Kept past its window after the last write, like the Redis keys (lua/store.lua keep_repeats). */
  private keepRepeats(customerId: string, agentId: string, tracker: RepeatTracker): void {
    const ttl = (tracker.windowSeconds + REPEATS_SLACK_SECONDS) * 1000;
    this.repeats.set(agentKey(customerId, agentId), tracker, ttl);
  }

  /** Takes back what `token` counted, held or flipped (each part once: the entry, hold and flip are removed). */
  private takeBack(customerId: string, agentId: string, token: string): void {
    this.repeats.get(agentKey(customerId, agentId))?.remove(token);
    const open = this.open.get(customerId);
    const entry = open?.entries.get(token);
    if (open && entry) {
      open.entries.delete(token);
      addTo(open.pendingAgents, entry.agentId, -entry.amount);
      this.addIfPresent(this.customerMonthKey(customerId, entry.monthKey), -entry.amount);
      this.addIfPresent(this.agentMonthKey(customerId, entry.agentId, entry.monthKey), -entry.amount);
      this.addIfPresent(this.agentDayKey(customerId, entry.agentId, entry.dayKey), -entry.amount);
      if (entry.countedInRun && entry.runId !== null) {
        this.addIfPresent(this.runCounterKey(customerId, entry.agentId, entry.runId), -entry.amount);
      }
      const velocity = this.velocity.get(agentKey(customerId, entry.agentId));
      if (entry.velocity && velocity && velocity.windowSeconds === entry.velocity.windowSeconds) {
        const current = velocity.buckets.get(entry.velocity.bucket);
        if (current !== undefined)
          velocity.buckets.set(entry.velocity.bucket, Math.max(0, current - entry.amount));
      }
    }
    this.dropHold(customerId, token);
    const record = this.agents.get(agentKey(customerId, agentId));
    if (record?.provisional?.kind === 'flip' && record.provisional.token === token) {
      record.provisional = null;
      record.flipDecline = null;
    }
  }

  /** Everything a decision reads, or the parts that are absent (then nothing is changed but expired holds). */
  private read(
    customerId: string,
    agentId: string,
    runId: string | null,
    periods: PeriodKeys,
    now: number,
    fingerprint: string | null = null,
    /** readSpend: a read for GET, which never changes what is tracked (lua/read-spend.lua passes no repeats keys). */
    forDisplay = false,
  ): { record: AgentRecord; customer: CustomerState; view: SpendView } | { missing: MissingPart[] } {
    const missing: MissingPart[] = [];
    const record = this.agents.get(agentKey(customerId, agentId));
    const agent = record?.state ?? null;
    const customer = this.customers.get(customerId);
    if (!agent) missing.push('agent');
    if (!customer) missing.push('customer');
    const open = this.open.get(customerId);
    if (!open) missing.push('holds');
    const customerMonth = this.counters.get(this.customerMonthKey(customerId, periods.monthKey));
    if (customerMonth === undefined) missing.push('customer_month');
    const agentMonth = this.counters.get(this.agentMonthKey(customerId, agentId, periods.monthKey));
    if (agentMonth === undefined) missing.push('agent_month');
    const agentDay = this.counters.get(this.agentDayKey(customerId, agentId, periods.dayKey));
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
    let repeats: SpendView['repeats'] = null;
    const repeatsLimit = agent?.limits.repeats;
    if (repeatsLimit) {
      const tracker = this.repeats.get(agentKey(customerId, agentId));
      if (tracker === undefined || tracker.windowSeconds !== repeatsLimit.windowSeconds) {
        // Only a request that is counted needs them; others must not wait for a rebuild.
        if (fingerprint !== null) missing.push('repeats');
      } else if (fingerprint !== null) {
        tracker.prune(now);
        repeats = { fingerprint, count: tracker.count(fingerprint) };
      }
    } else if (agent && !forDisplay) {
      // Not tracked without a limit: a limit set later starts from PostgreSQL's fingerprints, not stale data.
      this.repeats.delete(agentKey(customerId, agentId));
    }
    if (missing.length > 0 || !record || !agent || !customer || !open) return { missing };
    this.expireHolds(customerId, now);
    return {
      record,
      customer,
      view: {
        customerMonth: customerMonth!,
        agentMonth: agentMonth!,
        agentDay: agentDay!,
        velocity,
        run,
        held: {
          customer: open.heldCustomer,
          agent: open.heldAgents.get(agentId) ?? 0,
          run: runId === null ? 0 : (open.heldRuns.get(runKey(agentId, runId)) ?? 0),
        },
        pendingAgent: open.pendingAgents.get(agentId) ?? 0,
        repeats,
      },
    };
  }

  /** Counts spent money in every period the agent tracks (no limit checks), as an entry under `token`. */
  private count(
    customerId: string,
    agent: AgentState,
    runId: string | null,
    token: string,
    amount: number,
    periods: PeriodKeys,
    now: number,
  ): void {
    const { agentId } = agent;
    this.addIfPresent(this.customerMonthKey(customerId, periods.monthKey), amount);
    this.addIfPresent(this.agentMonthKey(customerId, agentId, periods.monthKey), amount);
    this.addIfPresent(this.agentDayKey(customerId, agentId, periods.dayKey), amount);
    let countedInRun = false;
    if (runId !== null) {
      // A run counter exists when the agent has a run limit (read() made sure); without one it is only
      // kept up to date if present, so it is never created from 0 over an unknown past.
      const key = this.runCounterKey(customerId, agentId, runId);
      const counter = this.counters.get(key);
      if (counter !== undefined) {
        this.counters.set(key, counter + amount, RUN_TTL_SECONDS * 1000);
        countedInRun = true;
      }
    }
    let velocityPart: Entry['velocity'] = null;
    const limit = agent.limits.velocity;
    const velocity = this.velocity.get(agentKey(customerId, agentId));
    if (limit && velocity) {
      const window = velocityWindow(now, limit.windowSeconds);
      for (const bucket of velocity.buckets.keys())
        if (bucket < window.firstBucket) velocity.buckets.delete(bucket);
      velocity.buckets.set(window.currentBucket, (velocity.buckets.get(window.currentBucket) ?? 0) + amount);
      this.velocity.set(agentKey(customerId, agentId), velocity, VELOCITY_KEEP_SECONDS * 1000);
      velocityPart = { windowSeconds: limit.windowSeconds, bucket: window.currentBucket };
    }
    const open = this.open.get(customerId)!;
    open.entries.set(token, {
      agentId,
      runId,
      amount,
      at: now,
      monthKey: periods.monthKey,
      dayKey: periods.dayKey,
      velocity: velocityPart,
      countedInRun,
    });
    addTo(open.pendingAgents, agentId, amount);
  }

  private addIfPresent(key: string, delta: number): void {
    const value = this.counters.get(key);
    if (value !== undefined) this.counters.replace(key, Math.max(0, value + delta));
  }

  private setIfAbsent(key: string, value: number, ttlMs: number): boolean {
    if (this.counters.get(key) !== undefined) return false;
    this.counters.set(key, value, ttlMs);
    return true;
  }

  /**
   * Sets an absent period counter and forgets the counters of OLDER periods of the same owner and kind (period keys
   * compare as strings): a newer one is kept, since an instance whose clock lags may load the previous period.
   */
  private setPeriodCounter(
    owner: string,
    period: string,
    keyOf: (period: string) => string,
    value: number,
    ttlMs: number,
  ): void {
    if (!this.setIfAbsent(keyOf(period), value, ttlMs)) return;
    const known = this.periodKeysOf.get(owner) ?? new Set<string>();
    for (const old of known) {
      if (old < period) {
        this.counters.delete(keyOf(old));
        known.delete(old);
      }
    }
    known.add(period);
    this.periodKeysOf.set(owner, known);
  }

  private addHold(customerId: string, hold: Hold): void {
    const open = this.open.get(customerId);
    if (!open || open.holds.has(hold.holdId)) return;
    open.holds.set(hold.holdId, hold);
    // Binary insertion keeps byExpiry ordered, so expiry only ever looks at the front.
    let lo = 0;
    let hi = open.byExpiry.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (open.byExpiry[mid]!.expiresAt <= hold.expiresAt) lo = mid + 1;
      else hi = mid;
    }
    open.byExpiry.splice(lo, 0, hold);
    this.adjustHeld(open, hold, hold.amountMicros);
  }

  private dropHold(customerId: string, holdId: string): Hold | undefined {
    const open = this.open.get(customerId);
    const hold = open?.holds.get(holdId);
    if (!open || !hold) return undefined;
    open.holds.delete(holdId);
    open.byExpiry.splice(open.byExpiry.indexOf(hold), 1);
    this.adjustHeld(open, hold, -hold.amountMicros);
    return hold;
  }

  private expireHolds(customerId: string, now: number): void {
    const open = this.open.get(customerId);
    if (!open) return;
    let dropped = 0;
    while (dropped < EXPIRE_BATCH && open.byExpiry.length > 0 && open.byExpiry[0]!.expiresAt <= now) {
      const hold = open.byExpiry.shift()!;
      open.holds.delete(hold.holdId);
      this.adjustHeld(open, hold, -hold.amountMicros);
      dropped++;
    }
  }

  private adjustHeld(open: CustomerOpen, hold: Hold, delta: number): void {
    open.heldCustomer += delta;
    addTo(open.heldAgents, hold.agentId, delta);
    if (hold.runId !== null) addTo(open.heldRuns, runKey(hold.agentId, hold.runId), delta);
  }

  private claimKey(customerId: string, idempotencyKey: string): string {
    return `${customerId}${sep}${idempotencyKey}`;
  }
  private customerMonthKey(customerId: string, month: string): string {
    return `cm${sep}${customerId}${sep}${month}`;
  }
  private agentMonthKey(customerId: string, agentId: string, month: string): string {
    return `am${sep}${customerId}${sep}${agentId}${sep}${month}`;
  }
  private agentDayKey(customerId: string, agentId: string, day: string): string {
    return `ad${sep}${customerId}${sep}${agentId}${sep}${day}`;
  }
  private runCounterKey(customerId: string, agentId: string, runId: string): string {
    return `run${sep}${customerId}${sep}${agentId}${sep}${runId}`;
  }
}

/** How long month and day counters written at `now` are kept (relative, so request-time skew is harmless). */
function counterTtlsMs(now: number, periods: PeriodKeys): { month: number; day: number } {
  return {
    month: Math.max(periods.monthResetsAt - now, 0) + STATE_KEEP_SECONDS * 1000,
    day: Math.max(periods.dayResetsAt - now, 0) + 2 * 86_400_000,
  };
}

/**
 * The bucket set for `windowSeconds` at `now`, rebuilt: PostgreSQL's accepted spend per bucket, and what the store
 * already counted that PostgreSQL may not have yet — the old bucket set (kept for another window: each old bucket
 * is moved to the new bucket holding its LAST second, so nothing leaves the window early) or, when there is none,
 * the unconfirmed entries, added on top. Either way every amount either source holds stays counted.
 */
export function rebuiltVelocity(
  windowSeconds: number,
  now: number,
  fromDb: Array<{ bucket: number; micros: number }>,
  old: Velocity | undefined,
  entries: Array<{ amount: number; at: number }>,
): Map<number, number> {
  const window = velocityWindow(now, windowSeconds);
  const width = window.bucketSeconds;
  const cached = new Map<number, number>();
  if (old) {
    const oldWidth = velocityWindow(now, old.windowSeconds).bucketSeconds;
    for (const [bucket, micros] of old.buckets) {
      const lastSecond = (bucket + 1) * oldWidth - 1;
      const target = Math.floor(lastSecond / width);
      cached.set(target, (cached.get(target) ?? 0) + micros);
    }
  } else {
    for (const e of entries) {
      const bucket = velocityWindow(e.at, windowSeconds).currentBucket;
      cached.set(bucket, (cached.get(bucket) ?? 0) + e.amount);
    }
  }
  const buckets = new Map<number, number>();
  for (const { bucket, micros } of fromDb) buckets.set(bucket, (buckets.get(bucket) ?? 0) + micros);
  // Old buckets hold everything the store counted (PostgreSQL's share included): the larger one per bucket.
  // Entries are only what may not be in PostgreSQL yet: on top of it.
  for (const [bucket, micros] of cached) {
    const fromPg = buckets.get(bucket) ?? 0;
    buckets.set(bucket, old ? Math.max(fromPg, micros) : fromPg + micros);
  }
  for (const bucket of buckets.keys()) if (bucket < window.firstBucket) buckets.delete(bucket);
  return buckets;
}

export function createMemorySpendStore(): SpendStore {
  return new MemorySpendStore();
}
