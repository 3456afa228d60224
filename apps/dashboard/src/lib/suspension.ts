// What the dashboard says about a suspension: which limit, what it is, and when it lifts (docs/api.md §5 step 4).
// Pure, so the wording is unit-tested (test/ui-logic.test.ts) and the same on the agents list and the agent page.
import { formatUsd } from './money';
import { formatSeconds } from './time';
import type { Agent } from './types';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** "Dec 2, 00:00 UTC": limits reset on UTC boundaries, so the time is said in UTC, not the viewer's zone. */
export function formatUtc(iso: string): string {
  const d = new Date(iso);
  const hh = String(d.getUTCHours()).padStart(2, '0');
  const mm = String(d.getUTCMinutes()).padStart(2, '0');
  return `${MONTHS[d.getUTCMonth()]} ${d.getUTCDate()}, ${hh}:${mm} UTC`;
}

/** "in 5 h", "in 40 min", "in 3 d" — rounded up, so it never says "in 0 min" before the moment. */
export function formatIn(ms: number): string {
  const minutes = Math.max(1, Math.ceil(ms / 60_000));
  if (minutes < 60) return `in ${minutes} min`;
  const hours = Math.ceil(minutes / 60);
  if (hours < 48) return `in ${hours} h`;
  return `in ${Math.ceil(hours / 24)} d`;
}

/**
 * One line for a suspended agent, e.g. "Day limit $0.50 reached — resumes Dec 2, 00:00 UTC (in 5 h)"; null while
 * active. `now` comes in so the line is testable and the caller decides when to redraw.
 */
export function suspensionText(agent: Agent, now: number): string | null {
  if (agent.status !== 'suspended') return null;
  const lifts = agent.resumes_at
    ? `resumes ${formatUtc(agent.resumes_at)} (${formatIn(Date.parse(agent.resumes_at) - now)})`
    : 'lifts only by Resume';
  // A loop broke no period (suspended_period is null): say what repeated, not a money limit.
  if (agent.suspended_reason === 'loop_detected') {
    const r = agent.limits.repeats;
    const limit = r
      ? ` (one fingerprint more than ${r.max} ${r.max === 1 ? 'time' : 'times'} per ${formatSeconds(r.window_seconds)})`
      : '';
    return `Loop detected${limit} — ${lifts}`;
  }
  switch (agent.suspended_period) {
    case 'month':
      return `Month limit ${formatUsd(agent.limits.month_micros)} reached — ${lifts}`;
    case 'day':
      return `Day limit ${formatUsd(agent.limits.day_micros)} reached — ${lifts}`;
    case 'velocity': {
      const v = agent.limits.velocity;
      const limit = v ? ` ${formatUsd(v.max_micros)} per ${formatSeconds(v.window_seconds)}` : '';
      return `Velocity limit${limit} reached — ${lifts}`;
    }
    default:
      return agent.suspended_reason === 'manual'
        ? `Suspended by hand${agent.suspended_note ? ` (${agent.suspended_note})` : ''} — ${lifts}`
        : `Suspended — ${lifts}`;
  }
}

/** How a budget suspension can be lifted before it lifts by itself (shown under the line on the agent page). */
export function liftHint(agent: Agent): string | null {
  if (agent.status !== 'suspended') return null;
  if (agent.suspended_reason === 'budget_exceeded') {
    return `Raise or remove the ${agent.suspended_period ?? ''} limit below to lift it now, or Resume.`;
  }
  if (agent.suspended_reason === 'loop_detected') {
    return 'Find what the agent keeps repeating, then Resume lifts it.';
  }
  return 'Resume lifts it.';
}
