import { formatTime } from '../lib/time';
import type { Agent } from '../lib/types';

const REASONS: Record<string, string> = {
  manual: 'manual',
  budget_exceeded: 'budget exceeded',
  velocity_exceeded: 'velocity exceeded',
};

export function StatusBadge({ agent }: { agent: Agent }) {
  if (agent.status === 'active') {
    return (
      <span class="badge badge-active" data-testid="agent-status">
        active
      </span>
    );
  }
  const reason = agent.suspended_reason ? (REASONS[agent.suspended_reason] ?? agent.suspended_reason) : null;
  return (
    <span class="badge-group">
      <span class="badge badge-suspended" data-testid="agent-status">
        suspended
      </span>
      {reason && <span class="muted small">{reason}</span>}
      {agent.suspended_at && (
        <span class="muted small visually-hidden-narrow"> since {formatTime(agent.suspended_at)}</span>
      )}
    </span>
  );
}
