// Redis SpendStore: one Lua script per operation (lua/*.lua), each starting with `#!lua` and no `no-writes`
// flag, so Redis refuses it up front under OOM instead of writing half a decision. Every key is passed in
// KEYS and shares the customer's hash tag (redis-keys.ts), so a script runs in one Redis Cluster slot.
// The rules are decide.ts's; the contract suite (test/spend/contract.ts) holds both stores to them.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';
import {
  applyAccept,
  counterTtls,
  EXPIRE_BATCH,
  HOLDS_KEEP_SECONDS,
  IN_FLIGHT_TTL_SECONDS,
  KEY_TTL_SECONDS,
  type PeriodKeys,
  periodKeys,
  RUN_TTL_SECONDS,
  type SpendView,
  snapshot,
  VELOCITY_KEEP_SECONDS,
} from './decide.js';
import { customerKeys, shortDigest } from './redis-keys.js';
import type {
  AgentState,
  CommitHoldInput,
  CommitHoldResult,
  CounterLoad,
  CustomerState,
  Decision,
  Decline,
  Period,
  Scope,
  SpendReads,
  SpendRequest,
  SpendStore,
  SuspendReason,
} from './store.js';

const SCRIPTS = {
  decide: 'spendguardDecide',
  commitHold: 'spendguardCommitHold',
  releaseHold: 'spendguardReleaseHold',
  undo: 'spendguardUndo',
  load: 'spendguardLoad',
  readSpend: 'spendguardReadSpend',
  unlock: 'spendguardUnlock',
} as const;

type ScriptName = keyof typeof SCRIPTS;
type Reply = Array<string | number>;

const COMMON = readFileSync(new URL('./lua/common.lua', import.meta.url), 'utf8');

/** The script text: its own `#!lua` line, then the shared helpers, then its body. */
function loadScript(file: string): string {
  const text = readFileSync(new URL(`./lua/${file}`, import.meta.url), 'utf8');
  const newline = text.indexOf('\n');
  return `${text.slice(0, newline + 1)}${COMMON}\n${text.slice(newline + 1)}`;
}

const SOURCES: Record<ScriptName, { file: string; keys?: number }> = {
  decide: { file: 'decide.lua', keys: 11 },
  commitHold: { file: 'commit-hold.lua', keys: 10 },
  releaseHold: { file: 'release-hold.lua', keys: 3 },
  undo: { file: 'undo.lua', keys: 10 },
  load: { file: 'load.lua', keys: 10 },
  readSpend: { file: 'read-spend.lua' }, // variable key count: numkeys is the first argument
  unlock: { file: 'unlock.lua', keys: 1 },
};

const opt = (n: number | null): string => (n === null ? '' : String(n));
const optNumber = (s: string | number): number | null => (s === '' ? null : Number(s));

/** The 8 view fields every script replies with (lua/common.lua view_reply). */
function parseView(reply: Reply, at: number): SpendView {
  return {
    customerMonth: Number(reply[at]),
    agentMonth: Number(reply[at + 1]),
    agentDay: Number(reply[at + 2]),
    velocity: optNumber(reply[at + 3]!),
    run: optNumber(reply[at + 4]!),
    held: { customer: Number(reply[at + 5]), agent: Number(reply[at + 6]), run: Number(reply[at + 7]) },
  };
}

function parseDecline(reply: Reply, at: number): Decline {
  const code = String(reply[at]);
  if (code === 'agent_suspended') {
    return { code, reason: String(reply[at + 1]) as SuspendReason, suspendedAt: Number(reply[at + 2]) };
  }
  const reason = String(reply[at + 6]);
  return {
    code: 'budget_exceeded',
    scope: String(reply[at + 1]) as Scope,
    period: String(reply[at + 2]) as Period,
    limitMicros: Number(reply[at + 3]),
    spentMicros: Number(reply[at + 4]),
    resetsAt: optNumber(reply[at + 5]!),
    suspended:
      reason === ''
        ? null
        : {
            reason: reason as 'budget_exceeded' | 'velocity_exceeded',
            period: reply[at + 7] === '' ? null : String(reply[at + 7]),
          },
  };
}

/** ARGV 3–9 of decide.lua and commit-hold.lua: now, the periods, run id|'' and agent id. */
function decisionArgs(
  now: number,
  periods: PeriodKeys,
  runId: string | null,
  agentId: string,
): Array<string | number> {
  return [
    now,
    periods.monthKey,
    periods.dayKey,
    periods.monthResetsAt,
    periods.dayResetsAt,
    runId ?? '',
    agentId,
  ];
}

function agentFields(state: AgentState): string[] {
  const l = state.limits;
  return [
    'st',
    state.status,
    'rs',
    state.suspendedReason ?? '',
    'at',
    opt(state.suspendedAt),
    'pd',
    state.suspendedPeriod ?? '',
    'lm',
    opt(l.monthMicros),
    'ld',
    opt(l.dayMicros),
    'lr',
    opt(l.runMicros),
    'vw',
    opt(l.velocity?.windowSeconds ?? null),
    'vm',
    opt(l.velocity?.maxMicros ?? null),
  ];
}

export class RedisSpendStore implements SpendStore {
  readonly kind = 'redis' as const;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {
    // defineCommand sends EVALSHA and falls back to EVAL on NOSCRIPT (after a restart or SCRIPT FLUSH).
    for (const [name, source] of Object.entries(SOURCES) as Array<
      [ScriptName, (typeof SOURCES)[ScriptName]]
    >) {
      redis.defineCommand(SCRIPTS[name], {
        lua: loadScript(source.file),
        ...(source.keys === undefined ? {} : { numberOfKeys: source.keys }),
      });
    }
  }

  private run(name: ScriptName, args: Array<string | number>): Promise<Reply> {
    const command = (
      this.redis as unknown as Record<string, (...a: Array<string | number>) => Promise<Reply>>
    )[SCRIPTS[name]]!;
    return command.apply(this.redis, args);
  }

  /**
   * The keys a decision-like script touches, in the order commit-hold.lua and load.lua take them
   * (decide.lua puts the claim first; undo.lua too, and leaves out the customer state it never reads).
   */
  private agentKeys(customerId: string, agentId: string, runId: string | null, now: number) {
    const k = customerKeys(this.prefix, customerId);
    const periods = periodKeys(now);
    return {
      k,
      periods,
      list: [
        k.agentState(agentId),
        k.customerState,
        k.customerMonth(periods.monthKey),
        k.agentMonth(agentId, periods.monthKey),
        k.agentDay(agentId, periods.dayKey),
        k.velocity(agentId),
        // No run: a same-slot name the script never touches.
        runId === null ? k.run(agentId, '') : k.run(agentId, runId),
        k.holdsByExpiry,
        k.holdsById,
        k.holdsTotals,
      ],
    };
  }

  async decide(request: SpendRequest): Promise<Decision> {
    const { customerId, agentId, runId, now } = request;
    const { k, periods, list } = this.agentKeys(customerId, agentId, runId, now);
    const reply = await this.run('decide', [
      k.claim(request.idempotencyKey),
      ...list,
      shortDigest(request.requestHash),
      request.amountMicros,
      ...decisionArgs(now, periods, runId, agentId),
      request.hold?.holdId ?? '',
      request.hold?.expiresAt ?? 0,
      IN_FLIGHT_TTL_SECONDS,
      RUN_TTL_SECONDS,
      VELOCITY_KEEP_SECONDS,
      HOLDS_KEEP_SECONDS,
      EXPIRE_BATCH,
    ]);
    const outcome = String(reply[0]);
    if (outcome === 'replay' || outcome === 'in_flight' || outcome === 'reused') return { outcome };
    if (outcome === 'missing') return { outcome, what: reply.slice(1).map(String) };
    const liftedPeriod = String(reply[1]);
    const lifted =
      liftedPeriod === '' ? {} : { lifted: { reason: 'budget_exceeded' as const, period: liftedPeriod } };
    const view = parseView(reply, 2);
    if (outcome === 'accepted') {
      return {
        outcome,
        spend: snapshot(applyAccept(view, request.amountMicros, request.hold !== undefined)),
        ...lifted,
      };
    }
    return { outcome: 'declined', decline: parseDecline(reply, 10), spend: snapshot(view), ...lifted };
  }

  async completeKey(customerId: string, idempotencyKey: string, requestHash: string): Promise<void> {
    const key = customerKeys(this.prefix, customerId).claim(idempotencyKey);
    await this.redis.set(key, `c${shortDigest(requestHash)}`, 'EX', KEY_TTL_SECONDS);
  }

  async undo(request: SpendRequest, decision: Decision): Promise<void> {
    if (decision.outcome !== 'accepted' && decision.outcome !== 'declined') return; // nothing was claimed
    const { customerId, agentId, runId, now } = request;
    const { k, list } = this.agentKeys(customerId, agentId, runId, now);
    let mode = 'none';
    let reason = '';
    let period = '';
    if (decision.outcome === 'accepted') mode = request.hold ? 'hold' : 'spent';
    else if (decision.decline.code === 'budget_exceeded' && decision.decline.suspended) {
      mode = 'declined';
      reason = decision.decline.suspended.reason;
      period = decision.decline.suspended.period ?? '';
    }
    await this.run('undo', [
      k.claim(request.idempotencyKey),
      ...list.filter((key) => key !== k.customerState),
      mode,
      request.amountMicros,
      now,
      runId ?? '',
      request.hold?.holdId ?? '',
      reason,
      period,
      '1',
    ]);
  }

  async commitHold(input: CommitHoldInput): Promise<CommitHoldResult> {
    const { customerId, agentId, runId, now } = input;
    const { periods, list } = this.agentKeys(customerId, agentId, runId, now);
    const reply = await this.run('commitHold', [
      ...list,
      input.holdId,
      input.actualMicros,
      ...decisionArgs(now, periods, runId, agentId),
      RUN_TTL_SECONDS,
      VELOCITY_KEEP_SECONDS,
      EXPIRE_BATCH,
    ]);
    if (reply[0] === 'missing') return { outcome: 'missing', what: reply.slice(1).map(String) };
    const spend = snapshot(parseView(reply, 1));
    return { spend, suspended: reply.length > 9 ? parseDecline(reply, 9) : null };
  }

  async releaseHold(customerId: string, holdId: string, now: number): Promise<boolean> {
    const k = customerKeys(this.prefix, customerId);
    const reply = (await this.run('releaseHold', [
      k.holdsByExpiry,
      k.holdsById,
      k.holdsTotals,
      holdId,
      now,
      EXPIRE_BATCH,
    ])) as unknown as number;
    return reply === 1;
  }

  async readSpend(customerId: string, agentIds: string[], now: number): Promise<SpendReads> {
    const result: SpendReads = new Map();
    if (agentIds.length === 0) return result;
    const k = customerKeys(this.prefix, customerId);
    const periods = periodKeys(now);
    const keys = [
      k.customerState,
      k.customerMonth(periods.monthKey),
      k.holdsByExpiry,
      k.holdsById,
      k.holdsTotals,
    ];
    for (const agentId of agentIds) {
      keys.push(
        k.agentState(agentId),
        k.agentMonth(agentId, periods.monthKey),
        k.agentDay(agentId, periods.dayKey),
        k.velocity(agentId),
      );
    }
    const reply = await this.run('readSpend', [keys.length, ...keys, now, EXPIRE_BATCH, ...agentIds]);
    agentIds.forEach((agentId, i) => {
      const at = i * 9;
      result.set(agentId, reply[at] === '1' ? snapshot(parseView(reply, at + 1)).agent : null);
    });
    return result;
  }

  async putAgentState(state: AgentState): Promise<void> {
    // All fields at once: one HSET replaces the whole state atomically.
    const key = customerKeys(this.prefix, state.customerId).agentState(state.agentId);
    await this.redis.hset(key, ...agentFields(state));
  }

  async putCustomerState(state: CustomerState): Promise<void> {
    const key = customerKeys(this.prefix, state.customerId).customerState;
    await this.redis.hset(key, 'lim', opt(state.monthLimitMicros));
  }

  async loadCounters(load: CounterLoad): Promise<void> {
    const { customerId, agentId, now } = load;
    const { periods, list } = this.agentKeys(customerId, agentId, load.run?.runId ?? null, now);
    const ttls = counterTtls(now, periods);
    const args: Array<string | number> = [
      ...list,
      ...agentFields(load.agent).filter((_, i) => i % 2 === 1),
      opt(load.customer.monthLimitMicros),
      load.customerMonthMicros,
      load.agentMonthMicros,
      load.agentDayMicros,
      ttls.monthMs,
      ttls.dayMs,
      load.run?.runId ?? '',
      load.run?.micros ?? 0,
      RUN_TTL_SECONDS,
      now,
      VELOCITY_KEEP_SECONDS,
      HOLDS_KEEP_SECONDS,
      load.velocityBuckets.length,
    ];
    for (const { bucket, micros } of load.velocityBuckets) args.push(bucket, micros);
    for (const h of load.holds) args.push(h.holdId, h.agentId, h.runId ?? '', h.amountMicros, h.expiresAt);
    await this.run('load', args);
  }

  async acquireRebuildLock(
    customerId: string,
    agentId: string,
    ttlMs: number,
  ): Promise<(() => Promise<void>) | null> {
    const key = customerKeys(this.prefix, customerId).rebuildLock(agentId);
    const token = randomBytes(8).toString('hex');
    const got = await this.redis.set(key, token, 'PX', ttlMs, 'NX');
    if (got !== 'OK') return null;
    return async () => {
      await this.run('unlock', [key, token]);
    };
  }

  async close(): Promise<void> {
    // The Redis connection belongs to the caller (shared with the bus and auth); nothing of ours to close.
  }
}

export function createRedisSpendStore(redis: Redis, prefix: string): SpendStore {
  return new RedisSpendStore(redis, prefix);
}
