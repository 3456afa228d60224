// Redis SpendStore: one Lua script per operation (lua/*.lua), each starting with `#!lua` and no `no-writes`
// flag, so Redis refuses it up front under OOM instead of writing half a decision. Every key is passed in
// KEYS and shares the customer's hash tag (redis-keys.ts), so a script runs in one Redis Cluster slot.
// The rules are decide.ts's (lua/rules.lua mirrors them); the contract suite holds both stores to the same answers.
//
// Scripts are safe to run twice (store.ts): the connection never re-sends unanswered commands (redis.ts), and a
// caller that lost a reply simply runs the same operation again with the same token.
//
// The epoch (redis-keys.ts) is established before the first script and again after every (re)connect: a Redis that
// restarted or failed over (another run_id) or lost the epoch key (a flush) starts a new epoch, and counters are
// rebuilt only once requests decided before the loss can no longer commit (Decision 'recovering').
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';
import { LATE_COMMIT_MS } from './bounds.js';
import {
  applyAccept,
  CONTRIBUTIONS_KEEP_SECONDS,
  EXPIRE_BATCH,
  HOLDS_KEEP_SECONDS,
  IN_FLIGHT_TTL_SECONDS,
  KEY_TTL_SECONDS,
  type PeriodKeys,
  periodKeys,
  REPEATS_SLACK_SECONDS,
  RUN_TTL_SECONDS,
  type SpendView,
  STATE_KEEP_SECONDS,
  snapshot,
  VELOCITY_KEEP_SECONDS,
} from './decide.js';
import { customerKeys, epochKey, openIndexKey, shortDigest } from './redis-keys.js';
import type {
  AgentState,
  AppliedLimits,
  CommitHoldInput,
  CommitHoldResult,
  Completion,
  CounterLoad,
  CustomerState,
  Decision,
  Decline,
  OpenHold,
  Period,
  Scope,
  SpendReads,
  SpendRequest,
  SpendStore,
  StoredAgent,
  SuspendReason,
  TokenRef,
} from './store.js';

/** Where the epochs of a deployment are remembered outside Redis (spend/epochs.ts: a PostgreSQL table). */
export interface EpochHistory {
  /** True when this prefix never had an epoch: a first start, not a loss (nothing can be in flight). */
  isFresh(prefix: string): Promise<boolean>;
  record(prefix: string, epoch: string, since: number): Promise<void>;
}

export interface Epoch {
  id: string;
  /** When it began (epoch ms); 0 for the first epoch of a fresh deployment. */
  since: number;
}

export const SCRIPT_FILES = {
  decide: 'decide.lua',
  complete: 'complete.lua',
  undo: 'undo.lua',
  commitHold: 'commit-hold.lua',
  releaseHold: 'release-hold.lua',
  load: 'load.lua',
  readSpend: 'read-spend.lua',
  readAgent: 'read-agent.lua',
  putState: 'put-state.lua',
  provisional: 'provisional.lua',
  unlock: 'unlock.lua',
  epoch: 'epoch.lua',
  reconcileCustomer: 'reconcile-customer.lua',
  reconcileAgent: 'reconcile-agent.lua',
  revokeKey: 'revoke-key.lua',
} as const;

export type ScriptName = keyof typeof SCRIPT_FILES;
type Reply = Array<string | number>;

/** The constants the scripts read as C.<name>, from decide.ts: one source for both stores. */
const CONSTANTS: Record<string, number> = {
  IN_FLIGHT_TTL: IN_FLIGHT_TTL_SECONDS,
  KEY_TTL: KEY_TTL_SECONDS,
  RUN_TTL: RUN_TTL_SECONDS,
  STATE_KEEP: STATE_KEEP_SECONDS,
  VELOCITY_KEEP: VELOCITY_KEEP_SECONDS,
  HOLDS_KEEP: HOLDS_KEEP_SECONDS,
  CONTRIBUTIONS_KEEP: CONTRIBUTIONS_KEEP_SECONDS,
  EXPIRE_BATCH,
  REPEATS_SLACK: REPEATS_SLACK_SECONDS,
};

const luaFile = (file: string) => readFileSync(new URL(`./lua/${file}`, import.meta.url), 'utf8');

/** The library every script gets: the constants, the pure rules, the data access. */
export const LUA_LIBRARY = [
  `local C = { ${Object.entries(CONSTANTS)
    .map(([name, value]) => `${name} = ${value}`)
    .join(', ')} }`,
  luaFile('rules.lua'),
  luaFile('store.lua'),
].join('\n');

/** The script text as sent to Redis: its own `#!lua` line, then the library, then its body. */
export function scriptSource(name: ScriptName): string {
  const text = luaFile(SCRIPT_FILES[name]);
  const newline = text.indexOf('\n');
  return `${text.slice(0, newline + 1)}${LUA_LIBRARY}\n${text.slice(newline + 1)}`;
}

const opt = (n: number | null): string => (n === null ? '' : String(n));
const optNumber = (s: string | number | undefined): number | null =>
  s === '' || s === undefined ? null : Number(s);

/** The 9 view fields every script replies with (lua/store.lua view_reply). */
function parseView(reply: Reply, at: number): SpendView {
  return {
    customerMonth: Number(reply[at]),
    agentMonth: Number(reply[at + 1]),
    agentDay: Number(reply[at + 2]),
    velocity: optNumber(reply[at + 3]),
    run: optNumber(reply[at + 4]),
    held: { customer: Number(reply[at + 5]), agent: Number(reply[at + 6]), run: Number(reply[at + 7]) },
    pendingAgent: Number(reply[at + 8]),
    // The repeat count is only read inside the script (rules.lua judge); the view replies leave it out.
    repeats: null,
  };
}

/** Reply layout of decide / commit-hold: outcome, status version, the limits, the view, then a decline. */
const LIMIT_FIELDS = 8;
const VIEW_FIELDS = 9;
const VIEW_AT = 2 + LIMIT_FIELDS;
const DECLINE_AT = VIEW_AT + VIEW_FIELDS;

/** The 8 limit fields of lua/store.lua limits_reply. */
function parseLimits(reply: Reply, at: number): AppliedLimits {
  const window = optNumber(reply[at + 3]);
  const max = optNumber(reply[at + 4]);
  const repeatsMax = optNumber(reply[at + 6]);
  const repeatsWindow = optNumber(reply[at + 7]);
  return {
    agent: {
      monthMicros: optNumber(reply[at]),
      dayMicros: optNumber(reply[at + 1]),
      runMicros: optNumber(reply[at + 2]),
      velocity: window !== null && max !== null ? { windowSeconds: window, maxMicros: max } : null,
      repeats:
        repeatsMax !== null && repeatsWindow !== null
          ? { max: repeatsMax, windowSeconds: repeatsWindow }
          : null,
    },
    customerMonthMicros: optNumber(reply[at + 5]),
  };
}

/**
 * A decline as lua/rules.lua verdict_reply writes it. `fingerprint`: the request's own (the script only has its
 * digest), for a loop_detected decline.
 */
export function parseDecline(reply: Reply, at: number, fingerprint = ''): Decline {
  const code = String(reply[at]);
  if (code === 'agent_suspended') {
    return { code, reason: String(reply[at + 1]) as SuspendReason, suspendedAt: Number(reply[at + 2]) };
  }
  if (code === 'loop_detected') {
    return {
      code,
      fingerprint,
      count: Number(reply[at + 1]),
      windowSeconds: Number(reply[at + 2]),
      suspended: { reason: 'loop_detected', period: null },
    };
  }
  const reason = String(reply[at + 6] ?? '');
  return {
    code: 'budget_exceeded',
    scope: String(reply[at + 1]) as Scope,
    period: String(reply[at + 2]) as Period,
    limitMicros: Number(reply[at + 3]),
    spentMicros: Number(reply[at + 4]),
    resetsAt: optNumber(reply[at + 5]),
    suspended:
      reason === ''
        ? null
        : {
            reason: reason as 'budget_exceeded' | 'velocity_exceeded',
            period: reply[at + 7] === '' ? null : String(reply[at + 7]),
          },
  };
}

/** How many script arguments an agent row is (agentArgs). */
export const AGENT_ARG_COUNT = 13;

/** An agent row as the 13 script arguments lv sv st rs at pd lm ld lr vw vm qm qw. */
export function agentArgs(state: AgentState): string[] {
  const l = state.limits;
  return [
    String(state.limitsVersion),
    String(state.statusVersion),
    state.status,
    state.suspendedReason ?? '',
    opt(state.suspendedAt),
    state.suspendedPeriod ?? '',
    opt(l.monthMicros),
    opt(l.dayMicros),
    opt(l.runMicros),
    opt(l.velocity?.windowSeconds ?? null),
    opt(l.velocity?.maxMicros ?? null),
    opt(l.repeats?.max ?? null),
    opt(l.repeats?.windowSeconds ?? null),
  ];
}

/** The 13 fields back into an AgentState (read-agent.lua). */
function agentFromFields(customerId: string, agentId: string, f: string[]): AgentState {
  const window = optNumber(f[9]);
  const max = optNumber(f[10]);
  const repeatsMax = optNumber(f[11]);
  const repeatsWindow = optNumber(f[12]);
  return {
    agentId,
    customerId,
    limitsVersion: Number(f[0]),
    statusVersion: Number(f[1]),
    status: f[2] === 'suspended' ? 'suspended' : 'active',
    suspendedReason: f[3] === '' ? null : (f[3] as SuspendReason),
    suspendedAt: optNumber(f[4]),
    suspendedPeriod: f[5] === '' ? null : (f[5] ?? null),
    limits: {
      monthMicros: optNumber(f[6]),
      dayMicros: optNumber(f[7]),
      runMicros: optNumber(f[8]),
      velocity: window !== null && max !== null ? { windowSeconds: window, maxMicros: max } : null,
      repeats:
        repeatsMax !== null && repeatsWindow !== null
          ? { max: repeatsMax, windowSeconds: repeatsWindow }
          : null,
    },
  };
}

/** An entry the reconciler settles (its request's owner is gone or never heard back). */
export interface StaleEntry {
  token: string;
  agentId: string;
  runId: string | null;
  amountMicros: number;
  at: number;
  keyDigest: string;
  hashDigest: string;
}

/** PostgreSQL's values for one customer, as of a cut in time (reconciler.ts). */
export interface CustomerRepair {
  customerId: string;
  /** The customer's row: its settings are written by version. */
  state: CustomerState;
  monthKey: string;
  monthStartSecond: number;
  cutSecond: number;
  /** Accepted spend of the month recorded before the cut; null: not compared this round. */
  spentBeforeCut: number | null;
  now: number;
  /** Open holds (held, not expired); `claimed`: a commit of it is in progress. */
  holds: Array<OpenHold & { claimed: boolean }>;
}

/** PostgreSQL's values for one agent, as of the same cut. */
export interface AgentRepair {
  customerId: string;
  agentId: string;
  monthKey: string;
  dayKey: string;
  monthStartSecond: number;
  dayStartSecond: number;
  cutSecond: number;
  monthBeforeCut: number | null;
  dayBeforeCut: number | null;
  state: AgentState | null;
  /** Accepted spend per velocity bucket for whole buckets before the cut, for the agent's window. */
  velocity: { windowSeconds: number; buckets: Array<{ bucket: number; micros: number }> } | null;
}

/** What one script call is made of, built once the epoch is known. */
interface ScriptCall {
  keys: string[];
  args: Array<string | number>;
}

export class EpochChangedError extends Error {
  constructor() {
    super('the spend store epoch changed twice during one operation');
    this.name = 'EpochChangedError';
  }
}

/**
 * How long a completion may wait for the next decision of its customer to carry it before it is sent on its own.
 * Short against everything that waits on it: a retry of the same key on another instance (it finds the row in
 * PostgreSQL meanwhile, idempotent-request.ts), the reconciler (STALE_AFTER_MS).
 */
export const CARRY_WAIT_MS = 20;
/** At most this many completions ride on one script call (its KEYS grow by two each). */
const MAX_CARRIED = 64;

/** A committed request's completion waiting to be carried (RedisSpendStore.complete). */
interface WaitingCompletion {
  completion: Completion;
  resolve(): void;
  reject(error: unknown): void;
}

/** The claim key's digest (redis-keys.ts claimByDigest) of a request that holds a claim. */
const claimDigestOf = (claim: TokenRef['claim']): string | null =>
  claim ? shortDigest(claim.idempotencyKey) : null;

export class RedisSpendStore implements SpendStore {
  readonly kind = 'redis' as const;
  private epoch: Epoch | null = null;
  private establishing: Promise<Epoch> | null = null;
  /** Completions by customer, for the next decision of that customer (or the flush timer) to carry. */
  private readonly waiting = new Map<string, WaitingCompletion[]>();
  private flushTimer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly history: EpochHistory,
  ) {
    // defineCommand sends EVALSHA and falls back to EVAL on NOSCRIPT (after a restart or SCRIPT FLUSH).
    for (const name of Object.keys(SCRIPT_FILES) as ScriptName[]) {
      redis.defineCommand(this.commandName(name), { lua: scriptSource(name) });
    }
    // A new connection may reach a Redis that restarted or failed over: check the epoch before the next script.
    redis.on('ready', this.onReady);
  }

  private readonly onReady = () => {
    this.epoch = null;
  };

  /** The current epoch (established on first use and after every reconnect); exported for tests and the reconciler. */
  async currentEpoch(): Promise<Epoch> {
    if (this.epoch) return this.epoch;
    this.establishing ??= this.establish().finally(() => {
      this.establishing = null;
    });
    return this.establishing;
  }

  private async establish(): Promise<Epoch> {
    const info = await this.redis.info('server');
    const runId = /run_id:([0-9a-f]+)/.exec(info)?.[1] ?? '';
    const now = Date.now();
    const key = epochKey(this.prefix);
    let reply = await this.call('epoch', { keys: [key], args: ['check', runId, now, 0] });
    if (reply[0] === 'absent') {
      // Gone: a first start of this prefix (nothing can be in flight) or a flush (requests may be): PostgreSQL knows.
      const since = (await this.history.isFresh(this.prefix)) ? 0 : now;
      reply = await this.call('epoch', { keys: [key], args: ['create', runId, now, since] });
    }
    const epoch = { id: String(reply[1]), since: Number(reply[2]) };
    if (reply[0] === 'created' || reply[0] === 'bumped') {
      await this.history.record(this.prefix, epoch.id, epoch.since);
    } else {
      // Again on every connect (idempotent): had the first record failed, a later flush would look like a first start.
      await this.history.record(this.prefix, epoch.id, epoch.since).catch(() => {});
    }
    this.epoch = epoch;
    return epoch;
  }

  private commandName(name: ScriptName): string {
    return `spendguard_${name}`;
  }

  private call(name: ScriptName, { keys, args }: ScriptCall): Promise<Reply> {
    const command = (
      this.redis as unknown as Record<string, (...a: Array<string | number>) => Promise<Reply>>
    )[this.commandName(name)]!;
    return command.call(this.redis, keys.length, ...keys, ...args);
  }

  /**
   * Runs an epoch-checked script: the keys are built for the current epoch right before sending; a reply 'epoch'
   * (another instance began a new one, or the key vanished) re-establishes it and runs once more.
   */
  async run(name: ScriptName, build: (epoch: Epoch) => ScriptCall): Promise<Reply> {
    return (await this.runInEpoch(name, build)).reply;
  }

  /** run(), and the epoch the script ran under. */
  private async runInEpoch(
    name: ScriptName,
    build: (epoch: Epoch) => ScriptCall,
  ): Promise<{ reply: Reply; epoch: Epoch }> {
    for (let attempt = 0; attempt < 2; attempt++) {
      const epoch = await this.currentEpoch();
      const reply = await this.call(name, build(epoch));
      if (reply[0] !== 'epoch') return { reply, epoch };
      if (this.epoch?.id === epoch.id) this.epoch = null;
    }
    throw new EpochChangedError();
  }

  /** A 'missing' reply, or 'recovering' while requests decided before its epoch's loss may still commit. */
  private missingOrRecovering(
    reply: Reply,
    epoch: Epoch,
  ): { outcome: 'missing'; what: string[] } | { outcome: 'recovering'; retryAfterMs: number } {
    const loadableAt = epoch.since + LATE_COMMIT_MS;
    const wait = loadableAt - Date.now();
    if (wait > 0) return { outcome: 'recovering', retryAfterMs: wait };
    return { outcome: 'missing', what: reply.slice(1).map(String) };
  }

  /**
   * KEYS and the ARGV header of every agent-scoped script (lua/store.lua), then the script's own arguments, then —
   * for the scripts that take them (decide, complete) — the completions it carries (lua/store.lua complete_carried):
   * their count and triples, their claim and agent keys after the header's KEYS. `claimDigest`: shortDigest of the
   * request's idempotency key.
   */
  private agentCall(
    epoch: Epoch,
    scope: { customerId: string; agentId: string; runId: string | null; now: number },
    claimDigest: string | null,
    own: Array<string | number>,
    carried?: WaitingCompletion[],
  ): ScriptCall {
    const { customerId, agentId, runId, now } = scope;
    const k = customerKeys(this.prefix, epoch.id, customerId);
    const periods: PeriodKeys = periodKeys(now);
    const call = {
      keys: [
        epochKey(this.prefix),
        // No claim / no run: a same-slot name the script never touches.
        claimDigest === null ? k.claim('') : k.claimByDigest(claimDigest),
        k.agent(agentId),
        k.customer,
        k.velocity(agentId),
        k.run(agentId, runId ?? ''),
        k.entries,
        k.entriesByTime,
        k.holdsByExpiry,
        k.holdsById,
        k.totals,
        k.contributions,
        k.agentContributions(agentId),
        openIndexKey(this.prefix, epoch.id),
        k.provisionalAgents,
        k.repeats(agentId),
        k.repeatsByTime(agentId),
      ],
      args: [
        epoch.id,
        agentId,
        customerId,
        runId ?? '',
        now,
        periods.monthKey,
        periods.dayKey,
        periods.monthResetsAt,
        periods.dayResetsAt,
        ...own,
      ],
    };
    if (carried) {
      call.args.push(carried.length);
      for (const { completion: c } of carried) {
        call.keys.push(k.claim(c.claim?.idempotencyKey ?? ''), k.agent(c.agentId));
        call.args.push(c.token, c.claim ? shortDigest(c.claim.requestHash) : '', c.agentId);
      }
    }
    return call;
  }

  async decide(request: SpendRequest): Promise<Decision> {
    const carried = this.takeWaiting(request.customerId);
    const keyDigest = shortDigest(request.idempotencyKey);
    let result: { reply: Reply; epoch: Epoch };
    try {
      result = await this.runInEpoch('decide', (epoch) =>
        this.agentCall(
          epoch,
          request,
          keyDigest,
          [
            request.token,
            shortDigest(request.requestHash),
            request.amountMicros,
            request.hold?.expiresAt ?? '',
            keyDigest,
            request.fingerprint ? shortDigest(request.fingerprint) : '',
            request.apiKeyId ?? '',
          ],
          carried,
        ),
      );
    } catch (error) {
      // Whether the script ran is unknown: completing again is harmless (idempotent), so they wait for the next one.
      this.putBack(request.customerId, carried);
      throw error;
    }
    for (const w of carried) w.resolve();
    const { reply, epoch } = result;
    const outcome = String(reply[0]);
    if (outcome === 'replay' || outcome === 'in_flight' || outcome === 'reused' || outcome === 'revoked') {
      return { outcome };
    }
    if (outcome === 'missing') return this.missingOrRecovering(reply, epoch);
    const statusVersion = Number(reply[1]);
    const limits = parseLimits(reply, 2);
    const view = parseView(reply, VIEW_AT);
    if (outcome === 'accepted') {
      const spend = snapshot(applyAccept(view, request.amountMicros, request.hold !== undefined));
      return { outcome, spend, statusVersion, limits };
    }
    const decline = parseDecline(reply, DECLINE_AT, request.fingerprint ?? '');
    return { outcome: 'declined', decline, spend: snapshot(view), statusVersion, limits };
  }

  /**
   * A completion without an agent row to write waits (at most CARRY_WAIT_MS) for the next decision of its customer,
   * which carries it in the same script call: under load an accepted event costs one Redis command, not two. One
   * with a row (a confirmed flip) goes at once, carrying whatever waits.
   */
  async complete(completion: Completion): Promise<void> {
    if (completion.agentState || this.closed) {
      await this.sendCompletions(completion, this.takeWaiting(completion.customerId));
      return;
    }
    await new Promise<void>((resolve, reject) => {
      const list = this.waiting.get(completion.customerId) ?? [];
      list.push({ completion, resolve, reject });
      this.waiting.set(completion.customerId, list);
      this.scheduleFlush();
    });
  }

  /** complete.lua for `first` (with its agent row, if any) and the carried ones; settles the carried promises. */
  private async sendCompletions(first: Completion, carried: WaitingCompletion[]): Promise<void> {
    const { claim, agentState } = first;
    try {
      await this.run('complete', (epoch) =>
        this.agentCall(
          epoch,
          { ...first, runId: null, now: Date.now() },
          claimDigestOf(claim),
          [
            first.token,
            claim ? shortDigest(claim.requestHash) : '',
            agentState ? '1' : '',
            ...(agentState ? agentArgs(agentState) : Array.from({ length: AGENT_ARG_COUNT }, () => '')),
          ],
          carried,
        ),
      );
    } catch (error) {
      for (const w of carried) w.reject(error);
      throw error;
    }
    for (const w of carried) w.resolve();
  }

  /** Sends every completion still waiting, in calls of up to MAX_CARRIED + 1 per customer. */
  private async flushWaiting(): Promise<void> {
    this.flushTimer = null;
    const customers = [...this.waiting.keys()];
    await Promise.all(
      customers.map(async (customerId) => {
        for (;;) {
          const [first, ...rest] = this.takeWaiting(customerId, MAX_CARRIED + 1);
          if (!first) return;
          await this.sendCompletions(first.completion, rest).then(first.resolve, first.reject);
        }
      }),
    );
  }

  private takeWaiting(customerId: string, limit = MAX_CARRIED): WaitingCompletion[] {
    const list = this.waiting.get(customerId);
    if (!list) return [];
    const taken = list.splice(0, limit);
    if (list.length === 0) this.waiting.delete(customerId);
    if (this.waiting.size === 0 && this.flushTimer) {
      // Nothing left to flush: no timer wakes the process for nothing (under load, decisions carry everything).
      clearTimeout(this.flushTimer);
      this.flushTimer = null;
    }
    return taken;
  }

  private putBack(customerId: string, carried: WaitingCompletion[]): void {
    if (carried.length === 0) return;
    this.waiting.set(customerId, [...carried, ...(this.waiting.get(customerId) ?? [])]);
    this.scheduleFlush();
  }

  /** Sends what waits CARRY_WAIT_MS from now, unless a flush is already due (or a decision carries it first). */
  private scheduleFlush(): void {
    this.flushTimer ??= setTimeout(() => this.flushWaiting(), CARRY_WAIT_MS);
    this.flushTimer.unref();
  }

  async revokeKey(customerId: string, keyId: string): Promise<void> {
    await this.run('revokeKey', (epoch) => ({
      keys: [epochKey(this.prefix), customerKeys(this.prefix, epoch.id, customerId).customer],
      args: [epoch.id, keyId],
    }));
  }

  async undo(ref: TokenRef): Promise<void> {
    const { claim } = ref;
    await this.run('undo', (epoch) =>
      this.agentCall(epoch, { ...ref, now: Date.now() }, claimDigestOf(claim), [
        ref.token,
        claim ? shortDigest(claim.requestHash) : '',
      ]),
    );
  }

  async commitHold(input: CommitHoldInput): Promise<CommitHoldResult> {
    const { reply, epoch } = await this.runInEpoch('commitHold', (epoch) =>
      this.agentCall(epoch, input, null, [input.holdId, input.token, input.actualMicros]),
    );
    if (reply[0] === 'missing') return this.missingOrRecovering(reply, epoch);
    return {
      outcome: 'counted',
      statusVersion: Number(reply[1]),
      limits: parseLimits(reply, 2),
      spend: snapshot(parseView(reply, VIEW_AT)),
      suspended: reply.length > DECLINE_AT ? parseDecline(reply, DECLINE_AT) : null,
    };
  }

  async releaseHold(customerId: string, holdId: string, now: number): Promise<boolean> {
    const reply = (await this.run('releaseHold', (epoch) =>
      this.agentCall(epoch, { customerId, agentId: '', runId: null, now }, null, [holdId]),
    )) as unknown as number;
    return reply === 1;
  }

  async readSpend(customerId: string, agentIds: string[], now: number): Promise<SpendReads> {
    const result: SpendReads = new Map();
    if (agentIds.length === 0) return result;
    const periods = periodKeys(now);
    const reply = await this.run('readSpend', (epoch) => {
      const k = customerKeys(this.prefix, epoch.id, customerId);
      const keys = [epochKey(this.prefix), k.customer, k.holdsByExpiry, k.holdsById, k.totals];
      for (const agentId of agentIds) keys.push(k.agent(agentId), k.velocity(agentId));
      return {
        keys,
        args: [epoch.id, customerId, now, periods.monthKey, periods.dayKey, ...agentIds],
      };
    });
    agentIds.forEach((agentId, i) => {
      const at = i * 10;
      result.set(agentId, reply[at] === '1' ? snapshot(parseView(reply, at + 1)).agent : null);
    });
    return result;
  }

  async readAgent(customerId: string, agentId: string): Promise<StoredAgent | null> {
    const reply = await this.run('readAgent', (epoch) => ({
      keys: [epochKey(this.prefix), customerKeys(this.prefix, epoch.id, customerId).agent(agentId)],
      args: [epoch.id],
    }));
    if (reply[0] !== 'agent') return null;
    const fields = reply.slice(1).map(String);
    const pv = fields[AGENT_ARG_COUNT] ?? '';
    const p = pv === '' ? null : pv.split('|');
    return {
      state: agentFromFields(customerId, agentId, fields),
      provisional: p
        ? {
            kind: p[0] === 's' ? 'suspend' : 'flip',
            token: p[1] ?? '',
            reason: p[2] as SuspendReason,
            at: Number(p[3]),
            periodKey: p[5] ? p[5] : null,
          }
        : null,
    };
  }

  async putAgentState(state: AgentState, confirm?: string): Promise<void> {
    await this.run('putState', (epoch) => {
      const k = customerKeys(this.prefix, epoch.id, state.customerId);
      return {
        keys: [epochKey(this.prefix), k.agent(state.agentId), k.provisionalAgents],
        args: [epoch.id, 'agent', ...agentArgs(state), confirm ?? '', state.agentId],
      };
    });
  }

  async putCustomerState(state: CustomerState): Promise<void> {
    await this.run('putState', (epoch) => ({
      keys: [epochKey(this.prefix), customerKeys(this.prefix, epoch.id, state.customerId).customer],
      args: [epoch.id, 'customer', state.version, opt(state.monthLimitMicros)],
    }));
  }

  async provisionalSuspend(customerId: string, agentId: string, token: string, now: number): Promise<void> {
    await this.provisional('suspend', customerId, agentId, token, now);
  }

  async clearProvisional(customerId: string, agentId: string, token: string): Promise<void> {
    await this.provisional('clear', customerId, agentId, token, Date.now());
  }

  private async provisional(
    mode: 'suspend' | 'clear',
    customerId: string,
    agentId: string,
    token: string,
    now: number,
  ): Promise<void> {
    await this.run('provisional', (epoch) => {
      const k = customerKeys(this.prefix, epoch.id, customerId);
      return {
        keys: [
          epochKey(this.prefix),
          k.agent(agentId),
          openIndexKey(this.prefix, epoch.id),
          k.provisionalAgents,
        ],
        args: [epoch.id, mode, token, now, customerId, agentId],
      };
    });
  }

  async loadCounters(load: CounterLoad): Promise<void> {
    const own: Array<string | number> = [
      ...agentArgs(load.agent),
      load.customer.version,
      opt(load.customer.monthLimitMicros),
      load.customerMonthMicros,
      load.agentMonthMicros,
      load.agentDayMicros,
      load.run?.micros ?? 0,
      load.velocityBuckets.length,
    ];
    for (const { bucket, micros } of load.velocityBuckets) own.push(bucket, micros);
    own.push(load.holds.length);
    for (const h of load.holds) {
      own.push(h.holdId, h.agentId, h.runId ?? '', h.amountMicros, h.expiresAt, h.createdAt);
    }
    own.push(load.revokedKeyIds.length, ...load.revokedKeyIds);
    for (const o of load.repeats) own.push(o.token, shortDigest(o.fingerprint), o.at);
    await this.run('load', (epoch) =>
      this.agentCall(epoch, { ...load, runId: load.run?.runId ?? null }, null, own),
    );
  }

  async acquireRebuildLock(
    customerId: string,
    agentId: string,
    ttlMs: number,
  ): Promise<(() => Promise<void>) | null> {
    const epoch = await this.currentEpoch();
    const key = customerKeys(this.prefix, epoch.id, customerId).rebuildLock(agentId);
    const token = randomBytes(8).toString('hex');
    const got = await this.redis.set(key, token, 'PX', ttlMs, 'NX');
    if (got !== 'OK') return null;
    return async () => {
      await this.call('unlock', { keys: [key], args: [token] });
    };
  }

  // ---- The reconciler's operations (reconciler.ts): Redis only; the memory store has nothing to repair. ----

  /** Customers with unconfirmed entries or provisional marks since before `beforeMs` (the open index). */
  async openCustomers(beforeMs: number, limit: number): Promise<string[]> {
    const epoch = await this.currentEpoch();
    return this.redis.zrangebyscore(openIndexKey(this.prefix, epoch.id), '-inf', beforeMs, 'LIMIT', 0, limit);
  }

  /** The customer's entries decided before `beforeMs` and still unconfirmed. */
  async staleEntries(customerId: string, beforeMs: number, limit: number): Promise<StaleEntry[]> {
    const epoch = await this.currentEpoch();
    const k = customerKeys(this.prefix, epoch.id, customerId);
    const tokens = await this.redis.zrangebyscore(k.entriesByTime, '-inf', beforeMs, 'LIMIT', 0, limit);
    if (tokens.length === 0) return [];
    const values = await this.redis.hmget(k.entries, ...tokens);
    return tokens.flatMap((token, i) => {
      const value = values[i];
      if (!value) return [];
      const f = value.split('|');
      return [
        {
          token,
          agentId: f[0] ?? '',
          runId: f[1] ? f[1] : null,
          amountMicros: Number(f[2]),
          at: Number(f[3]),
          keyDigest: f[9] ?? '',
          hashDigest: f[10] ?? '',
        },
      ];
    });
  }

  /** Agents of the customer with a provisional flip or suspend. */
  async provisionalAgents(customerId: string): Promise<string[]> {
    const epoch = await this.currentEpoch();
    return this.redis.smembers(customerKeys(this.prefix, epoch.id, customerId).provisionalAgents);
  }

  /** Settles an entry whose request is over: confirmed when its event is in PostgreSQL, else taken back. */
  async resolveEntry(customerId: string, entry: StaleEntry, committed: boolean): Promise<void> {
    const scope = { customerId, agentId: entry.agentId, runId: entry.runId, now: Date.now() };
    await this.run(committed ? 'complete' : 'undo', (epoch) => {
      const call = this.agentCall(epoch, scope, null, [entry.token, entry.hashDigest, '']);
      if (entry.keyDigest !== '') {
        call.keys[1] = customerKeys(this.prefix, epoch.id, customerId).claimByDigest(entry.keyDigest);
      }
      return call;
    });
  }

  async reconcileCustomer(input: CustomerRepair): Promise<{
    monthMicros: number;
    dropped: number;
    added: number;
    stateChanged: boolean;
  }> {
    const reply = await this.run('reconcileCustomer', (epoch) => {
      const k = customerKeys(this.prefix, epoch.id, input.customerId);
      const args: Array<string | number> = [
        epoch.id,
        input.customerId,
        input.monthKey,
        input.monthStartSecond,
        input.cutSecond,
        input.cutSecond * 1000,
        opt(input.spentBeforeCut),
        input.now,
        input.state.version,
        opt(input.state.monthLimitMicros),
      ];
      for (const h of input.holds) {
        args.push(
          h.holdId,
          h.agentId,
          h.runId ?? '',
          h.amountMicros,
          h.expiresAt,
          h.createdAt,
          h.claimed ? '1' : '',
        );
      }
      return {
        keys: [
          epochKey(this.prefix),
          k.customer,
          k.contributions,
          k.totals,
          k.holdsByExpiry,
          k.holdsById,
          k.entriesByTime,
          openIndexKey(this.prefix, epoch.id),
          k.provisionalAgents,
        ],
        args,
      };
    });
    return {
      monthMicros: Number(reply[1]),
      dropped: Number(reply[2]),
      added: Number(reply[3]),
      stateChanged: reply[4] === '1',
    };
  }

  async reconcileAgent(input: AgentRepair): Promise<{
    monthMicros: number;
    dayMicros: number;
    stateChanged: boolean;
    withdrawn: boolean;
    bucketsRaised: number;
  }> {
    const reply = await this.run('reconcileAgent', (epoch) => {
      const k = customerKeys(this.prefix, epoch.id, input.customerId);
      const args: Array<string | number> = [
        epoch.id,
        input.agentId,
        input.monthKey,
        input.dayKey,
        input.monthStartSecond,
        input.dayStartSecond,
        input.cutSecond,
        input.cutSecond * 1000,
        opt(input.monthBeforeCut),
        opt(input.dayBeforeCut),
        input.state ? '1' : '',
        ...(input.state ? agentArgs(input.state) : Array.from({ length: AGENT_ARG_COUNT }, () => '')),
        input.velocity ? input.velocity.windowSeconds : '',
      ];
      for (const b of input.velocity?.buckets ?? []) args.push(b.bucket, b.micros);
      return {
        keys: [
          epochKey(this.prefix),
          k.agent(input.agentId),
          k.agentContributions(input.agentId),
          k.velocity(input.agentId),
          k.provisionalAgents,
        ],
        args,
      };
    });
    return {
      monthMicros: Number(reply[1]),
      dayMicros: Number(reply[2]),
      stateChanged: reply[3] === '1',
      withdrawn: reply[4] === '1',
      bucketsRaised: Number(reply[5]),
    };
  }

  async close(): Promise<void> {
    // Completions still waiting go now (the writer drained before the store closes, context.ts); later ones go at once.
    this.closed = true;
    if (this.flushTimer) clearTimeout(this.flushTimer);
    await this.flushWaiting().catch(() => {});
    // The Redis connection belongs to the caller (shared with the bus and auth): only our listener goes.
    this.redis.off('ready', this.onReady);
  }
}

export function createRedisSpendStore(redis: Redis, prefix: string, history: EpochHistory): RedisSpendStore {
  return new RedisSpendStore(redis, prefix, history);
}
