// A kill-switch flip is decided twice: provisionally by the spend store at decision time (it declines at once), and
// for good here, in the transaction that commits the declined event (or the reservation commit that went over):
// PostgreSQL flips the agent only if ITS committed spend with the amount breaks the limit the row has now, and only
// if no status change happened since the decision (a resume in between wins; a PATCH of limits does not stop it).
// So uncommitted spend never suspends anyone, and a flip is ordered with every other change of the row.
import { AGENT_COLUMNS, type AgentRow, rowToState } from '../agents/repository.js';
import { recordAudit } from '../audit.js';
import { dayKey, monthStart } from '../budget/periods.js';
import type { Queryable } from '../db/types.js';
import { isoOrNull } from '../time.js';
import type { AgentState, Decline } from './store.js';

export interface FlipCandidate {
  customerId: string;
  agentId: string;
  reason: 'budget_exceeded' | 'velocity_exceeded' | 'loop_detected';
  period: 'month' | 'day' | 'velocity' | 'repeats';
  /** The month/day key a budget suspension lifts after; null for velocity and loops. */
  periodKey: string | null;
  /**
   * What comes on top of what PostgreSQL has: the declined event's cost, or 0 for a commit (already inserted); for a
   * loop, the refused request itself (1).
   */
  extraMicros: number;
  /** For a loop: the fingerprint whose committed requests are counted. */
  fingerprint?: string;
  /** The decision's time and the status version it saw. */
  decidedAt: number;
  statusVersion: number;
  /** For the audit entry: what caused it (event / reservation ids) and the limit as the decision saw it. */
  cause: Record<string, unknown>;
}

/** The flip a decline (or a commit's provisional suspension) asks PostgreSQL to confirm, if it asks for one. */
export function flipCandidate(
  customerId: string,
  agentId: string,
  decline: Decline,
  extraMicros: number,
  decision: { decidedAt: number; statusVersion: number },
  cause: Record<string, unknown>,
): FlipCandidate | undefined {
  if (decline.code === 'loop_detected') {
    return {
      customerId,
      agentId,
      reason: 'loop_detected',
      period: 'repeats',
      periodKey: null,
      extraMicros: 1,
      fingerprint: decline.fingerprint,
      ...decision,
      cause: {
        ...cause,
        fingerprint: decline.fingerprint,
        count: decline.count,
        window_seconds: decline.windowSeconds,
      },
    };
  }
  if (decline.code !== 'budget_exceeded' || !decline.suspended || decline.scope !== 'agent') return undefined;
  if (decline.period === 'run') return undefined;
  return {
    customerId,
    agentId,
    reason: decline.suspended.reason,
    period: decline.period,
    periodKey: decline.suspended.period,
    extraMicros,
    ...decision,
    cause: { ...cause, period: decline.period, scope: decline.scope, limit_micros: decline.limitMicros },
  };
}

// The velocity window as periods.ts velocityWindow computes it, on the row's own window: the start of its first
// bucket. Spend recorded after it counts (later buckets too, as in the store).
const VELOCITY_SINCE = `to_timestamp(
  floor((floor(extract(epoch FROM $4::timestamptz)) - a.velocity_window_seconds)
        / greatest(1, ceil(a.velocity_window_seconds / 60.0)))
  * greatest(1, ceil(a.velocity_window_seconds / 60.0)))`;

const CONFIRM_FLIP = `
UPDATE agents a SET status = 'suspended', suspended_reason = $3, suspended_at = $4, suspended_period = $5,
       suspended_note = NULL, status_version = a.status_version + 1, updated_at = now(),
       suspended_limit_micros = CASE $7 WHEN 'month' THEN a.month_limit_micros WHEN 'day' THEN a.day_limit_micros
                                        WHEN 'velocity' THEN a.velocity_max_micros ELSE NULL END
 WHERE a.id = $1 AND a.customer_id = $2 AND a.status_version = $6
   AND CASE $7
     WHEN 'month' THEN a.month_limit_micros IS NOT NULL AND a.month_limit_micros <
       (SELECT coalesce(sum(d.spent_micros), 0) FROM spend_daily d
         WHERE d.agent_id = a.id AND d.day >= $8::date AND d.day <= $9::date) + $10
     WHEN 'day' THEN a.day_limit_micros IS NOT NULL AND a.day_limit_micros <
       (SELECT coalesce(sum(d.spent_micros), 0) FROM spend_daily d WHERE d.agent_id = a.id AND d.day = $9::date) + $10
     WHEN 'velocity' THEN a.velocity_max_micros IS NOT NULL AND a.velocity_max_micros <
       (SELECT coalesce(sum(e.cost_micros), 0) FROM events e
         WHERE e.agent_id = a.id AND e.status = 'accepted' AND e.recorded_at >= ${VELOCITY_SINCE}) + $10
     WHEN 'repeats' THEN a.repeats_max IS NOT NULL AND a.repeats_max <
       (SELECT count(*) FROM events e
         WHERE e.agent_id = a.id AND e.fingerprint = $11 AND e.status = 'accepted'
           AND e.recorded_at > $4::timestamptz - make_interval(secs => a.repeats_window_seconds))
       + (SELECT count(*) FROM reservations r
           WHERE r.agent_id = a.id AND r.fingerprint = $11 AND r.status <> 'declined'
             AND r.created_at > $4::timestamptz - make_interval(secs => a.repeats_window_seconds)) + $10
     ELSE false END
RETURNING ${AGENT_COLUMNS}`;

/**
 * Confirms the flip if PostgreSQL's truth still calls for it (under the row lock, in the caller's transaction),
 * with its audit entry. Returns the agent's new row for the spend store, or null when nothing was flipped.
 */
export async function confirmFlip(tx: Queryable, flip: FlipCandidate): Promise<AgentState | null> {
  const { rows } = await tx.query<AgentRow>(CONFIRM_FLIP, [
    flip.agentId,
    flip.customerId,
    flip.reason,
    isoOrNull(flip.decidedAt),
    flip.periodKey,
    flip.statusVersion,
    flip.period,
    dayKey(monthStart(flip.decidedAt)),
    dayKey(flip.decidedAt),
    flip.extraMicros,
    flip.fingerprint ?? null,
  ]);
  const row = rows[0];
  if (!row) return null;
  await recordAudit(tx, {
    customerId: flip.customerId,
    actor: { type: 'system' },
    action: 'agent.suspend',
    targetType: 'agent',
    targetId: flip.agentId,
    before: { status: 'active' },
    after: {
      status: 'suspended',
      suspended_reason: flip.reason,
      suspended_period: flip.periodKey,
      cause: flip.cause,
    },
  });
  return rowToState(row);
}
