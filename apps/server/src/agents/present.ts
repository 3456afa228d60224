// The agent object of docs/api.md §7, built from a row and its live spend.
import type { Static } from 'typebox';
import { periodKeyEndsAt } from '../budget/periods.js';
import type { AgentSchema } from '../schemas/agents.js';
import { budgetPeriodOver, periodKeys } from '../spend/decide.js';
import { columnIsoOrNull } from '../time.js';
import { limitsToJson } from './limits.js';
import type { AgentSpend } from './live-spend.js';
import { type AgentRow, rowLimits } from './repository.js';

/** The agent object of responses, as the Agent schema declares it. */
export type AgentJson = Static<typeof AgentSchema>;

/**
 * Which limit a suspension broke and when it lifts by itself (docs/api.md §5 rule 4): a budget_exceeded one at the end
 * of the month or day its period key names; velocity_exceeded, loop_detected and manual ones never by themselves (a
 * loop_detected one broke no period: its period is null).
 */
export function suspensionTerms(
  reason: AgentRow['suspended_reason'],
  periodKey: string | null,
): { period: 'month' | 'day' | 'velocity' | null; resumesAt: number | null } {
  if (reason === 'velocity_exceeded') return { period: 'velocity', resumesAt: null };
  if (reason !== 'budget_exceeded' || periodKey === null) return { period: null, resumesAt: null };
  return { period: periodKey.length === 7 ? 'month' : 'day', resumesAt: periodKeyEndsAt(periodKey) };
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
  const terms = suspensionTerms(row.suspended_reason, row.suspended_period);
  return {
    id: row.id,
    name: row.name,
    status: suspended ? 'suspended' : 'active',
    suspended_reason: suspended ? row.suspended_reason : null,
    suspended_at: suspended ? columnIsoOrNull(row.suspended_at) : null,
    suspended_period: suspended ? terms.period : null,
    resumes_at: suspended && terms.resumesAt !== null ? new Date(terms.resumesAt).toISOString() : null,
    suspended_note: suspended ? row.suspended_note : null,
    limits: limitsToJson(rowLimits(row)),
    spend: {
      month_micros: spend?.monthMicros ?? 0,
      day_micros: spend?.dayMicros ?? 0,
      velocity_micros: spend?.velocityMicros ?? 0,
    },
    auto_created: row.auto_created,
    archived_at: columnIsoOrNull(row.archived_at),
    created_at: columnIsoOrNull(row.created_at) as string,
    last_event_at: lastEventAt,
  };
}
