// The fault tests' ONE window into the budget engine's internals. Everything else in test/engine/faults asserts
// public behaviour (HTTP answers, PostgreSQL rows); what cannot be seen from outside — what the store holds, how to
// make it forget something, which wire bytes carry which operation — goes through these small functions, so a new
// engine only re-implements this file. Each says what it means; the body says how this engine does it.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { spendFromDb } from '../../../src/agents/live-spend.js';
import { AGENT_COLUMNS, type AgentRow } from '../../../src/agents/repository.js';
import { budgetPeriodOver, effectiveSuspension, periodKeys } from '../../../src/spend/decide.js';
import { MAX_COMPLETED_CLAIMS, type MemorySpendStore } from '../../../src/spend/memory-store.js';
import { customerKeys } from '../../../src/spend/redis-keys.js';
import {
  type RedisSpendStore,
  SCRIPT_FILES,
  type ScriptName,
  scriptSource,
} from '../../../src/spend/redis-store.js';
import type { AgentLimits, SpendStore, SuspendReason } from '../../../src/spend/store.js';
import type { TestServer } from '../../harness.js';
import { sql } from '../helpers.js';

export interface Spend {
  /** Micro-dollars, open holds included (as a decision counts them). */
  month: number;
  day: number;
  /** Spend in the agent's velocity window (holds included); 0 when the agent has no velocity limit. */
  velocity: number;
}

/** Limits in the API's JSON shape (docs/api.md §7, micros only), so the views compare with deepEqual. */
export interface LimitsView {
  month_micros: number | null;
  day_micros: number | null;
  run_micros: number | null;
  velocity: { window_seconds: number; max_micros: number } | null;
}

export interface AgentStateView {
  status: 'active' | 'suspended';
  /** null while active. */
  reason: string | null;
  limits: LimitsView;
}

function ctx(server: TestServer) {
  return server.app.ctx;
}

function redisOf(server: TestServer) {
  const redis = ctx(server).redis;
  if (!redis) throw new Error('this probe needs a server with Redis');
  return redis;
}

const redisStore = (server: TestServer) => ctx(server).spend.store as RedisSpendStore;

const num = (v: unknown): number | null => (v === null || v === undefined || v === '' ? null : Number(v));

function limitsView(l: AgentLimits): LimitsView {
  return {
    month_micros: l.monthMicros,
    day_micros: l.dayMicros,
    run_micros: l.runMicros,
    velocity: l.velocity
      ? { window_seconds: l.velocity.windowSeconds, max_micros: l.velocity.maxMicros }
      : null,
  };
}

/**
 * Whatever the reconciler repairs "within one reconciler period after faults end" is repaired when this resolves.
 * Call it once the faults have ended and nothing is in flight: it settles everything decided until now (the real
 * reconciler waits STALE_AFTER_MS for that; reconciler-timing.test.ts checks the real schedule).
 */
export async function reconcile(server: TestServer): Promise<void> {
  // The cut is whole seconds (floored): a second ahead, so it covers everything until now.
  await ctx(server).spend.reconciler.reconcileOnce({ settledBefore: Date.now() + 1_000 });
}

/** Spend as the store holds it for the next decision; null if the store holds nothing for the agent (rebuilt on use). */
export async function storeSpend(
  server: TestServer,
  customerId: string,
  agentId: string,
): Promise<Spend | null> {
  const read = await ctx(server).spend.store.readSpend(customerId, [agentId], Date.now());
  const spend = read.get(agentId);
  return spend ? { month: spend.monthMicros, day: spend.dayMicros, velocity: spend.velocityMicros } : null;
}

/** PostgreSQL's truth for the same numbers (accepted spend + open holds). */
export async function dbSpendOf(server: TestServer, customerId: string, agentId: string): Promise<Spend> {
  const { db } = ctx(server);
  const { rows } = await db.query<AgentRow>(
    `SELECT ${AGENT_COLUMNS} FROM agents WHERE id = $1 AND customer_id = $2`,
    [agentId, customerId],
  );
  if (!rows[0]) throw new Error(`no agent ${agentId}`);
  const spend = (await spendFromDb(db, customerId, rows, Date.now())).get(agentId);
  if (!spend) throw new Error(`no spend for ${agentId}`);
  // spendFromDb counts velocity over the window even without a limit; the store tracks it only with one.
  const velocity = rows[0].velocity_window_seconds === null ? 0 : spend.velocityMicros;
  return { month: spend.monthMicros, day: spend.dayMicros, velocity };
}

/**
 * The kill switch and limits as the store's next decision reads them (provisional marks and lapsed budget
 * suspensions included); null when the store holds no state for the agent.
 */
export async function storeAgentState(
  server: TestServer,
  customerId: string,
  agentId: string,
): Promise<AgentStateView | null> {
  const stored = await ctx(server).spend.store.readAgent(customerId, agentId);
  if (!stored) return null;
  const suspension = effectiveSuspension(stored, periodKeys(Date.now()), Date.now());
  return {
    status: suspension ? 'suspended' : 'active',
    reason: suspension?.reason ?? null,
    limits: limitsView(stored.state.limits),
  };
}

/** The agent's state as PostgreSQL holds it (the source of truth), a lapsed budget suspension read as active. */
export async function dbAgentState(
  databaseUrl: string,
  customerId: string,
  agentId: string,
): Promise<AgentStateView | null> {
  const [row] = await sql<Record<string, unknown>>(
    databaseUrl,
    `SELECT status, suspended_reason, suspended_period, month_limit_micros, day_limit_micros, run_limit_micros,
            velocity_window_seconds, velocity_max_micros
       FROM agents WHERE customer_id = $1 AND id = $2`,
    [customerId, agentId],
  );
  if (!row) return null;
  const lapsed = budgetPeriodOver(
    row.suspended_reason as SuspendReason | null,
    row.suspended_period as string | null,
    periodKeys(Date.now()),
  );
  const status = row.status === 'suspended' && !lapsed ? 'suspended' : 'active';
  const window = num(row.velocity_window_seconds);
  const max = num(row.velocity_max_micros);
  return {
    status,
    reason: status === 'suspended' ? ((row.suspended_reason as string | null) ?? 'manual') : null,
    limits: {
      month_micros: num(row.month_limit_micros),
      day_micros: num(row.day_limit_micros),
      run_micros: num(row.run_limit_micros),
      velocity: window !== null && max !== null ? { window_seconds: window, max_micros: max } : null,
    },
  };
}

/** The customer's monthly limit as the spend store holds it (undefined: the store holds no customer state). */
export async function storeCustomerMonthLimit(
  server: TestServer,
  customerId: string,
): Promise<number | null | undefined> {
  const epoch = await redisStore(server).currentEpoch();
  const key = customerKeys(server.redisPrefix, epoch.id, customerId).customer;
  const [version, limit] = await redisOf(server).hmget(key, 'v', 'lim');
  return version === null ? undefined : num(limit);
}

/**
 * The store forgets one idempotency key, as it does after its retention (4 days) — so only once its completion is in
 * (a completion may wait a moment to be carried by the next decision, redis-store.ts CARRY_WAIT_MS). PostgreSQL
 * keeps it.
 */
export async function forgetClaim(
  server: TestServer,
  customerId: string,
  idempotencyKey: string,
): Promise<void> {
  const epoch = await redisStore(server).currentEpoch();
  const key = customerKeys(server.redisPrefix, epoch.id, customerId).claim(idempotencyKey);
  for (let i = 0; i < 100 && !(await redisOf(server).get(key))?.startsWith('c'); i++) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  await redisOf(server).del(key);
}

/** The store loses everything (FLUSHALL, a restart without persistence, a failover to an empty replica). */
export async function flushStore(server: TestServer): Promise<void> {
  const redis = redisOf(server);
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${server.redisPrefix}:*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await redis.del(...keys);
  } while (cursor !== '0');
}

/**
 * The store's spend counters of one agent move by `monthMicros` / `dayMicros` (its customer's month with the month),
 * as after a restore from an older (negative) or a newer snapshot — a drift PostgreSQL knows nothing about.
 */
export async function shiftStoreSpend(
  server: TestServer,
  customerId: string,
  agentId: string,
  delta: { monthMicros: number; dayMicros: number },
): Promise<void> {
  const epoch = await redisStore(server).currentEpoch();
  const k = customerKeys(server.redisPrefix, epoch.id, customerId);
  const periods = periodKeys(Date.now());
  const redis = redisOf(server);
  const shift = async (key: string, field: string, by: number) => {
    if (!(await redis.hexists(key, field))) throw new Error(`store counter ${key} ${field} is absent`);
    await redis.hincrby(key, field, by);
  };
  if (delta.monthMicros !== 0) {
    await shift(k.agent(agentId), `m:${periods.monthKey}`, delta.monthMicros);
    await shift(k.customer, `m:${periods.monthKey}`, delta.monthMicros);
  }
  if (delta.dayMicros !== 0) await shift(k.agent(agentId), `d:${periods.dayKey}`, delta.dayMicros);
}

// --- wire matchers: which client→server bytes carry which engine operation -------------------------------------

/** The scripts of the Redis store that a test may want to lose the reply of. */
export type StoreScript = Extract<
  ScriptName,
  'decide' | 'complete' | 'undo' | 'commitHold' | 'releaseHold' | 'load'
>;

const LUA_DIR = new URL('../../../src/spend/lua/', import.meta.url);

const SCRIPTS = new Map(
  (['decide', 'complete', 'undo', 'commitHold', 'releaseHold', 'load'] as StoreScript[]).map((name) => [
    name,
    {
      sha: createHash('sha1').update(scriptSource(name)).digest('hex'),
      // EVAL (after NOSCRIPT) carries the text instead; the body's first comment line names the operation.
      marker: readFileSync(new URL(SCRIPT_FILES[name], LUA_DIR), 'utf8').split('\n')[1] as string,
    },
  ]),
);

/** Does a Redis client chunk run the named store script (EVALSHA by its SHA1, or EVAL of its text)? */
export function isScript(chunk: Buffer, name: StoreScript): boolean {
  const script = SCRIPTS.get(name);
  if (!script) return false;
  // Anywhere in the chunk: several commands written in one tick share a TCP chunk.
  return chunk.includes(script.sha) || chunk.includes(script.marker);
}

/** Does a PostgreSQL client chunk carry the group commit of events (the batch INSERT, by its prepared name)? */
export function isEventBatch(chunk: Buffer): boolean {
  return chunk.includes('spendguard_insert_event_batch');
}

/** Does a PostgreSQL client chunk carry the INSERT of a new reservation row (the hold's own commit)? */
export function isReservationInsert(chunk: Buffer): boolean {
  return chunk.includes('INSERT INTO reservations');
}

// --- the embedded (in-process) store -----------------------------------------------------------------------------

/** The most completed idempotency keys the in-process store remembers (PostgreSQL's unique index is the long memory). */
export function memoryClaimCap(): number {
  return MAX_COMPLETED_CLAIMS;
}

/** How many idempotency keys (in flight or completed) the in-process store holds right now. */
export function memoryClaimsHeld(store: SpendStore): number {
  return (store as MemorySpendStore).claimCount;
}
