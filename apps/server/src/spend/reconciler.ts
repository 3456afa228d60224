// Repairs spend counters left high by a crash between counting (decide) and committing (PostgreSQL).
//
// What can drift: a process killed after store.decide() counted an event and before its batch committed leaves the
// store counting money PostgreSQL never recorded (over-count: the safe side, but a customer would hit a limit early).
// Nothing else drifts: every other failure path undoes its counters (event-service.ts).
//
// What we chose (the interface gives no "overwrite counter" operation, on purpose: only decide/undo change spend):
// - memory store: counters live in the process, so a crash loses them all and they are rebuilt from PostgreSQL on
//   the next event. Nothing to repair; the reconciler does not run.
// - shared store (Redis): every RECONCILE_INTERVAL_MS, for agents with spend today, compare the store's month/day
//   spend with PostgreSQL's (spend_daily + open holds). A difference is repaired only when it is STABLE: the same
//   store values and the same PostgreSQL values at two consecutive scans (≥ 30 s apart, far longer than any request
//   can be in flight: the request deadline is 1.8 s and PostgreSQL statements time out after 6 s), which means no
//   request of that agent was in flight on any instance, so the whole difference is left over from a crash. It is
//   repaired with store.undo() of exactly that amount — the same atomic operation a failed commit uses — and only
//   when month and day drift agree (the crash happened today; an older crash is logged, not guessed at).
//   One instance repairs per round (PostgreSQL advisory lock), so two instances never subtract the same drift twice.
//   Agents with reservations in the last 2 hours are left alone (store holds expire lazily, so a difference there is
//   not proof of a crash). undo() also takes the amount off the current velocity bucket if it exists (clamped at 0);
//   after ≥ 30 s without events that bucket is usually absent.
// Not repaired: a kill-switch flip made by a decision whose batch was lost in the crash (the agent stays suspended
// in the store until its period ends or someone resumes it — errs on the safe side).
import { randomUUID } from 'node:crypto';
import { spendFromDb } from '../agents/live-spend.js';
import type { AgentRow } from '../agents/repository.js';
import { AGENT_COLUMNS } from '../agents/repository.js';
import { dayKey } from '../budget/periods.js';
import type { Db } from '../db/types.js';
import type { SpendStore } from './store.js';

const RECONCILE_INTERVAL_MS = 30_000;
const RECONCILE_LOCK_ID = 0x5347_0002;
const MAX_AGENTS_PER_ROUND = 1_000;
const HOLD_QUIET_MS = 2 * 3_600_000;

interface Observation {
  storeMonth: number;
  storeDay: number;
  dbMonth: number;
  dbDay: number;
}

export interface ReconcileResult {
  checked: number;
  repaired: Array<{ agentId: string; micros: number }>;
  drifting: Array<{ agentId: string; monthMicros: number; dayMicros: number }>;
}

export interface Reconciler {
  /** One scan; exported for tests and operators. Repairs what was stable since the previous scan. */
  reconcileOnce(now?: number): Promise<ReconcileResult>;
  close(): Promise<void>;
}

export function createReconciler(deps: {
  db: Db;
  store: SpendStore;
  log: { info(obj: unknown, msg: string): void; warn(obj: unknown, msg: string): void };
  intervalMs?: number;
}): Reconciler {
  const { db, store } = deps;
  let previous = new Map<string, Observation>();

  const scan = async (now: number): Promise<ReconcileResult> => {
    const result: ReconcileResult = { checked: 0, repaired: [], drifting: [] };
    const { rows } = await db.query<AgentRow>(
      `SELECT ${AGENT_COLUMNS} FROM agents WHERE id IN (
         SELECT agent_id FROM spend_daily WHERE day = $1::date LIMIT $2)`,
      [dayKey(now), MAX_AGENTS_PER_ROUND],
    );
    const byCustomer = new Map<string, AgentRow[]>();
    for (const row of rows)
      byCustomer.set(row.customer_id, [...(byCustomer.get(row.customer_id) ?? []), row]);
    // Holds make the store's and PostgreSQL's numbers move on different clocks (expiry is lazy in the store), so an
    // agent with any reservation in the last 2 h (holds live at most 1 h) is never repaired, only observed.
    const { rows: holders } = await db.query<{ agent_id: string }>(
      `SELECT DISTINCT agent_id FROM reservations WHERE agent_id = ANY($1::text[]) AND created_at > $2`,
      [rows.map((r) => r.id), new Date(now - HOLD_QUIET_MS).toISOString()],
    );
    const withHolds = new Set(holders.map((h) => h.agent_id));
    const next = new Map<string, Observation>();
    for (const [customerId, agents] of byCustomer) {
      const cached = await store.readSpend(
        customerId,
        agents.map((a) => a.id),
        now,
      );
      const truth = await spendFromDb(db, customerId, agents, now);
      for (const agent of agents) {
        const live = cached.get(agent.id);
        const real = truth.get(agent.id);
        if (!live || !real) continue;
        result.checked += 1;
        const obs: Observation = {
          storeMonth: live.monthMicros,
          storeDay: live.dayMicros,
          dbMonth: real.monthMicros,
          dbDay: real.dayMicros,
        };
        next.set(agent.id, obs);
        const monthDrift = obs.storeMonth - obs.dbMonth;
        const dayDrift = obs.storeDay - obs.dbDay;
        if (monthDrift <= 0 && dayDrift <= 0) continue;
        result.drifting.push({ agentId: agent.id, monthMicros: monthDrift, dayMicros: dayDrift });
        const before = previous.get(agent.id);
        const stable =
          before !== undefined &&
          before.storeMonth === obs.storeMonth &&
          before.storeDay === obs.storeDay &&
          before.dbMonth === obs.dbMonth &&
          before.dbDay === obs.dbDay;
        if (!stable || monthDrift !== dayDrift || monthDrift <= 0 || withHolds.has(agent.id)) continue;
        const request = {
          customerId,
          agentId: agent.id,
          runId: null,
          amountMicros: monthDrift,
          idempotencyKey: `reconcile:${randomUUID()}`,
          requestHash: 'reconcile',
          now,
        };
        await store.undo(request, {
          outcome: 'accepted',
          spend: {
            agent: {
              monthMicros: obs.storeMonth,
              dayMicros: obs.storeDay,
              velocityMicros: 0,
              runMicros: null,
            },
            customer: { monthMicros: 0 },
          },
        });
        next.delete(agent.id);
        result.repaired.push({ agentId: agent.id, micros: monthDrift });
        deps.log.warn({ agent: agent.id, micros: monthDrift }, 'reconciler: removed spend left by a crash');
      }
    }
    previous = next;
    return result;
  };

  const reconcileOnce = async (now = Date.now()): Promise<ReconcileResult> => {
    if (db.kind === 'pglite') return scan(now);
    // A transaction-scoped try-lock: one instance per round; the others skip instead of waiting.
    return db.transaction(async (tx) => {
      const { rows } = await tx.query<{ ok: boolean }>('SELECT pg_try_advisory_xact_lock($1) AS ok', [
        RECONCILE_LOCK_ID,
      ]);
      if (!rows[0]?.ok) return { checked: 0, repaired: [], drifting: [] };
      return scan(now);
    });
  };

  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> = Promise.resolve();
  if (store.kind !== 'memory') {
    timer = setInterval(() => {
      running = reconcileOnce().catch((error: unknown) => {
        deps.log.info({ err: error }, 'reconciler: round skipped (a store is unavailable)');
      });
    }, deps.intervalMs ?? RECONCILE_INTERVAL_MS);
    timer.unref();
  }

  return {
    reconcileOnce,
    async close() {
      if (timer) clearInterval(timer);
      await running;
    },
  };
}
