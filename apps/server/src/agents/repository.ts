// SQL for agents: rows in, AgentState/limits out. Every query is scoped by customer_id so one tenant can never
// read or change another's agent.
import { type Db, int8Of, type Queryable } from '../db/types.js';
import type { AgentLimits, AgentState, SuspendReason } from '../spend/store.js';
import { epochMsOrNull, isoOrNull } from '../time.js';

export interface AgentRow {
  id: string;
  customer_id: string;
  name: string;
  status: 'active' | 'suspended';
  suspended_reason: SuspendReason | null;
  suspended_at: Date | string | null;
  suspended_period: string | null;
  suspended_note: string | null;
  month_limit_micros: number | null;
  day_limit_micros: number | null;
  run_limit_micros: number | null;
  velocity_window_seconds: number | null;
  velocity_max_micros: number | null;
  /** Loop detection (010_loop_detection.sql): both null or both set. */
  repeats_max: number | null;
  repeats_window_seconds: number | null;
  limits_version: number;
  status_version: number;
  /** The limit a budget/velocity suspension broke, as it was when the switch flipped (006_agent_lifecycle.sql). */
  suspended_limit_micros: number | null;
  auto_created: boolean;
  archived_at: Date | string | null;
  created_at: Date | string;
}

export const AGENT_COLUMNS = `id, customer_id, name, status, suspended_reason, suspended_at, suspended_period,
  suspended_note, month_limit_micros, day_limit_micros, run_limit_micros, velocity_window_seconds,
  velocity_max_micros, repeats_max, repeats_window_seconds, limits_version, status_version, suspended_limit_micros,
  auto_created, archived_at, created_at`;

export function rowLimits(row: AgentRow): AgentLimits {
  return {
    monthMicros: row.month_limit_micros,
    dayMicros: row.day_limit_micros,
    runMicros: row.run_limit_micros,
    velocity:
      row.velocity_window_seconds !== null && row.velocity_max_micros !== null
        ? { windowSeconds: row.velocity_window_seconds, maxMicros: row.velocity_max_micros }
        : null,
    repeats:
      row.repeats_max !== null && row.repeats_window_seconds !== null
        ? { max: row.repeats_max, windowSeconds: row.repeats_window_seconds }
        : null,
  };
}

/**
 * The row as the spend store's AgentState, with its versions. The suspended_* columns count only while suspended
 * (no constraint ties them to status), and a suspension without a reason is a manual one.
 */
export function rowToState(row: AgentRow): AgentState {
  const suspended = row.status === 'suspended';
  return {
    agentId: row.id,
    customerId: row.customer_id,
    limitsVersion: int8Of(row.limits_version),
    statusVersion: int8Of(row.status_version),
    status: row.status,
    suspendedReason: suspended ? (row.suspended_reason ?? 'manual') : null,
    suspendedAt: suspended ? epochMsOrNull(row.suspended_at) : null,
    suspendedPeriod: suspended ? row.suspended_period : null,
    limits: rowLimits(row),
  };
}

export async function findAgentByName(
  q: Queryable,
  customerId: string,
  name: string,
): Promise<AgentRow | null> {
  const { rows } = await q.query<AgentRow>(
    `SELECT ${AGENT_COLUMNS} FROM agents WHERE customer_id = $1 AND name = $2`,
    [customerId, name],
  );
  return rows[0] ?? null;
}

/** The agent's row as the spend store's state, or null (another customer's, or gone). */
export async function findAgentState(
  q: Queryable,
  customerId: string,
  id: string,
): Promise<AgentState | null> {
  const row = await findAgentById(q, customerId, id);
  return row ? rowToState(row) : null;
}

export async function findAgentById(q: Queryable, customerId: string, id: string): Promise<AgentRow | null> {
  const { rows } = await q.query<AgentRow>(
    `SELECT ${AGENT_COLUMNS} FROM agents WHERE customer_id = $1 AND id = $2`,
    [customerId, id],
  );
  return rows[0] ?? null;
}

/** One page of the customer's agents by name: the live ones, or (archived = true) only the archived ones. */
export async function listAgents(
  db: Db,
  customerId: string,
  options: { afterName: string | null; limit: number; archived: boolean },
): Promise<AgentRow[]> {
  const { rows } = await db.query<AgentRow>(
    `SELECT ${AGENT_COLUMNS} FROM agents
     WHERE customer_id = $1 AND ($2::text IS NULL OR name > $2) AND (archived_at IS NOT NULL) = $4
     ORDER BY name LIMIT $3`,
    [customerId, options.afterName, options.limit, options.archived],
  );
  return rows;
}

/**
 * Inserts unless the name is taken; returns the row and whether this call created it. Concurrent creators race on
 * the UNIQUE (customer_id, name) index, never on a check-then-insert.
 */
export async function insertAgent(
  q: Queryable,
  input: { id: string; customerId: string; name: string; limits: AgentLimits; autoCreated: boolean },
): Promise<AgentRow | null> {
  const l = input.limits;
  const { rows } = await q.query<AgentRow>(
    `INSERT INTO agents (id, customer_id, name, month_limit_micros, day_limit_micros, run_limit_micros,
                         velocity_window_seconds, velocity_max_micros, auto_created, repeats_max,
                         repeats_window_seconds)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
     ON CONFLICT (customer_id, name) DO NOTHING
     RETURNING ${AGENT_COLUMNS}`,
    [
      input.id,
      input.customerId,
      input.name,
      l.monthMicros,
      l.dayMicros,
      l.runMicros,
      l.velocity?.windowSeconds ?? null,
      l.velocity?.maxMicros ?? null,
      input.autoCreated,
      l.repeats?.max ?? null,
      l.repeats?.windowSeconds ?? null,
    ],
  );
  return rows[0] ?? null;
}

export async function updateAgentLimits(q: Queryable, agentId: string, l: AgentLimits): Promise<AgentRow> {
  const { rows } = await q.query<AgentRow>(
    `UPDATE agents SET month_limit_micros = $2, day_limit_micros = $3, run_limit_micros = $4,
            velocity_window_seconds = $5, velocity_max_micros = $6, repeats_max = $7, repeats_window_seconds = $8,
            limits_version = limits_version + 1, updated_at = now()
     WHERE id = $1 RETURNING ${AGENT_COLUMNS}`,
    [
      agentId,
      l.monthMicros,
      l.dayMicros,
      l.runMicros,
      l.velocity?.windowSeconds ?? null,
      l.velocity?.maxMicros ?? null,
      l.repeats?.max ?? null,
      l.repeats?.windowSeconds ?? null,
    ],
  );
  return rows[0] as AgentRow;
}

export async function updateAgentStatus(
  q: Queryable,
  agentId: string,
  s: {
    status: 'active' | 'suspended';
    reason: SuspendReason | null;
    at: number | null;
    period: string | null;
    note: string | null;
  },
): Promise<AgentRow> {
  // A person's suspend or resume: no broken limit to remember (only flips.ts's confirmFlip sets one).
  const { rows } = await q.query<AgentRow>(
    `UPDATE agents SET status = $2, suspended_reason = $3, suspended_at = $4, suspended_period = $5,
            suspended_note = $6, suspended_limit_micros = NULL, status_version = status_version + 1,
            updated_at = now()
     WHERE id = $1 RETURNING ${AGENT_COLUMNS}`,
    [agentId, s.status, s.reason, isoOrNull(s.at), s.period, s.note],
  );
  return rows[0] as AgentRow;
}

/** Archives (at = now) or restores (at = null) an agent; its history and state stay as they are. */
export async function setAgentArchived(q: Queryable, agentId: string, at: number | null): Promise<AgentRow> {
  const { rows } = await q.query<AgentRow>(
    `UPDATE agents SET archived_at = $2, updated_at = now() WHERE id = $1 RETURNING ${AGENT_COLUMNS}`,
    [agentId, isoOrNull(at)],
  );
  return rows[0] as AgentRow;
}

/** Row locked for the rest of the transaction, so two changes of one agent apply one after the other. */
export async function lockAgentByName(
  q: Queryable,
  customerId: string,
  name: string,
): Promise<AgentRow | null> {
  const { rows } = await q.query<AgentRow>(
    `SELECT ${AGENT_COLUMNS} FROM agents WHERE customer_id = $1 AND name = $2 FOR UPDATE`,
    [customerId, name],
  );
  return rows[0] ?? null;
}

/** Newest event (accepted or declined) per agent: one index probe each on events_agent_recorded. */
export async function lastEventTimes(q: Queryable, agentIds: string[]): Promise<Map<string, string>> {
  if (agentIds.length === 0) return new Map();
  const { rows } = await q.query<{ id: string; at: Date | string | null }>(
    `SELECT a.id, (SELECT e.recorded_at FROM events e WHERE e.agent_id = a.id
                   ORDER BY e.recorded_at DESC, e.id DESC LIMIT 1) AS at
     FROM unnest($1::text[]) AS a(id)`,
    [agentIds],
  );
  const out = new Map<string, string>();
  for (const r of rows) if (r.at !== null) out.set(r.id, new Date(r.at).toISOString());
  return out;
}
