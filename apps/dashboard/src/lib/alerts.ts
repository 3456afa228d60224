// One line of text per alert (docs/api.md §13) for the agents page's "Recent alerts": the API sends the data each
// webhook carries; this says it the way a person reads it.
import { formatUsd } from './money';
import type { Alert } from './types';

interface ThresholdData {
  scope?: 'agent' | 'customer';
  agent?: string;
  period?: 'month' | 'day';
  threshold_percent?: number;
  limit_micros?: number;
  spent_micros?: number;
}

interface StatusData {
  agent?: { name?: string };
  reason?: string | null;
  actor?: { type?: string };
}

const ACTORS: Record<string, string> = { user: 'a person', api_key: 'an API key', system: 'Spendguard' };

const REASONS: Record<string, string> = {
  manual: 'by hand',
  budget_exceeded: 'a budget was exceeded',
  velocity_exceeded: 'spending too fast',
  loop_detected: 'a loop was detected',
};

export function alertText(alert: Alert): string {
  if (alert.type === 'budget.threshold') {
    const d = (alert.data ?? {}) as ThresholdData;
    const who = d.scope === 'customer' ? 'The company' : (d.agent ?? 'An agent');
    return `${who} reached ${d.threshold_percent} % of its ${d.period} limit: ${formatUsd(d.spent_micros)} of ${formatUsd(d.limit_micros)}`;
  }
  if (alert.type === 'agent.suspended' || alert.type === 'agent.resumed') {
    const d = (alert.data ?? {}) as StatusData;
    const name = d.agent?.name ?? 'An agent';
    const by = ACTORS[d.actor?.type ?? ''] ?? 'someone';
    if (alert.type === 'agent.resumed') return `${name} was resumed by ${by}`;
    const why = d.reason ? (REASONS[d.reason] ?? d.reason) : null;
    return `${name} was suspended by ${by}${why ? ` (${why})` : ''}`;
  }
  return alert.type;
}
