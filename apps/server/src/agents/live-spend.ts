// Live spend of agents for reads: the spend store's counters (what the next decision sees), falling back to
// PostgreSQL's truth for agents whose counters are not cached (never decided since a restart, or evicted).
import { dayKey, monthStart } from '../budget/periods.js';
import type { Db } from '../db/types.js';
import type { SpendSnapshot, SpendStore } from '../spend/store.js';
import type { AgentRow } from './repository.js';

export type AgentSpend = SpendSnapshot['agent'];

/** Accepted spend + open holds from PostgreSQL (same meaning as the store's counters: spent includes holds). */
export async function spendFromDb(
  db: Db,
  customerId: string,
  rows: AgentRow[],
  now: number,
): Promise<Map<string, AgentSpend>> {
  const out = new Map<string, AgentSpend>();
  if (rows.length === 0) return out;
  const ids = rows.map((r) => r.id);
  const monthFrom = dayKey(monthStart(now));
  const today = dayKey(now);
  const { rows: daily } = await db.query<{ agent_id: string; month: number; day: number }>(
    `SELECT agent_id, sum(spent_micros)::bigint AS month,
            coalesce(sum(spent_micros) FILTER (WHERE day = $4::date), 0)::bigint AS day
     FROM spend_daily WHERE customer_id = $1 AND agent_id = ANY($2::text[]) AND day >= $3::date
     GROUP BY agent_id`,
    [customerId, ids, monthFrom, today],
  );
  const { rows: holds } = await db.query<{ agent_id: string; held: number }>(
    `SELECT agent_id, sum(amount_micros)::bigint AS held FROM reservations
     WHERE customer_id = $1 AND agent_id = ANY($2::text[]) AND status = 'held' AND expires_at > $3
     GROUP BY agent_id`,
    [customerId, ids, new Date(now).toISOString()],
  );
  const windows = rows.filter((r) => r.velocity_window_seconds !== null);
  const velocity = new Map<string, number>();
  for (const r of windows) {
    const since = new Date(now - (r.velocity_window_seconds as number) * 1000).toISOString();
    const { rows: v } = await db.query<{ v: number }>(
      `SELECT coalesce(sum(cost_micros), 0)::bigint AS v FROM events
       WHERE agent_id = $1 AND status = 'accepted' AND recorded_at > $2`,
      [r.id, since],
    );
    velocity.set(r.id, v[0]?.v ?? 0);
  }
  for (const id of ids) {
    const d = daily.find((x) => x.agent_id === id);
    const held = holds.find((x) => x.agent_id === id)?.held ?? 0;
    out.set(id, {
      monthMicros: (d?.month ?? 0) + held,
      dayMicros: (d?.day ?? 0) + held,
      velocityMicros: (velocity.get(id) ?? 0) + held,
      runMicros: null,
    });
  }
  return out;
}

/** Store first (live), PostgreSQL for whatever the store does not hold or when the store is unreachable. */
export async function liveSpend(
  store: SpendStore,
  db: Db,
  customerId: string,
  rows: AgentRow[],
  now: number,
): Promise<Map<string, AgentSpend>> {
  let cached = new Map<string, AgentSpend | null>();
  try {
    cached = await store.readSpend(
      customerId,
      rows.map((r) => r.id),
      now,
    );
  } catch {
    // A read may degrade to PostgreSQL's numbers; only decisions must fail closed.
  }
  const missing = rows.filter((r) => !cached.get(r.id));
  const fromDb = await spendFromDb(db, customerId, missing, now);
  const out = new Map<string, AgentSpend>();
  for (const r of rows) {
    const spend = cached.get(r.id) ?? fromDb.get(r.id);
    if (spend) out.set(r.id, spend);
  }
  return out;
}
