// The agent object of docs/api.md §7, built from a row and its live spend.
import type { Static } from 'typebox';
import type { AgentSchema } from '../schemas/agents.js';
import { budgetPeriodOver, periodKeys } from '../spend/decide.js';
import { columnIsoOrNull } from '../time.js';
import { limitsToJson } from './limits.js';
import type { AgentSpend } from './live-spend.js';
import { type AgentRow, rowLimits } from './repository.js';

/** The agent object of responses, as the Agent schema declares it. */
export type AgentJson = Static<typeof AgentSchema>;

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
