// The agent object of docs/api.md §7, built from a row and its live spend.
import { budgetPeriodOver, periodKeys } from '../spend/decide.js';
import type { SuspendReason } from '../spend/store.js';
import { columnIsoOrNull } from '../time.js';
import { type LimitsJson, limitsToJson } from './limits.js';
import type { AgentSpend } from './live-spend.js';
import { type AgentRow, rowLimits } from './repository.js';

export interface AgentJson {
  id: string;
  name: string;
  status: 'active' | 'suspended';
  suspended_reason: SuspendReason | null;
  suspended_at: string | null;
  suspended_note: string | null;
  limits: LimitsJson;
  spend: { month_micros: number; day_micros: number; velocity_micros: number };
  created_at: string;
  /** When the agent's newest event (accepted or declined) was recorded; null before its first. */
  last_event_at: string | null;
}

export function agentToJson(
  row: AgentRow,
  spend: AgentSpend | undefined,
  now: number,
  lastEventAt: string | null = null,
): AgentJson {
  // A budget_exceeded suspension lifts by itself when its period has passed (docs/api.md §5 rule 4): the same rule the
  // decisions apply (spend/decide.ts), so the dashboard never shows another switch than the next decision uses.
  const lapsed =
    row.status === 'suspended' &&
    budgetPeriodOver(row.suspended_reason, row.suspended_period, periodKeys(now));
  const suspended = row.status === 'suspended' && !lapsed;
  return {
    id: row.id,
    name: row.name,
    status: suspended ? 'suspended' : 'active',
    suspended_reason: suspended ? row.suspended_reason : null,
    suspended_at: suspended ? columnIsoOrNull(row.suspended_at) : null,
    suspended_note: suspended ? row.suspended_note : null,
    limits: limitsToJson(rowLimits(row)),
    spend: {
      month_micros: spend?.monthMicros ?? 0,
      day_micros: spend?.dayMicros ?? 0,
      velocity_micros: spend?.velocityMicros ?? 0,
    },
    created_at: columnIsoOrNull(row.created_at) as string,
    last_event_at: lastEventAt,
  };
}
