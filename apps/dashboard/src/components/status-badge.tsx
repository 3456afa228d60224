import { suspensionText } from '../lib/suspension';
import type { Agent } from '../lib/types';

/** Active, or suspended with the line that says which limit and when it lifts (lib/suspension.ts). */
export function StatusBadge({ agent }: { agent: Agent }) {
  if (agent.status === 'active') {
    return (
      <span class="badge badge-active" data-testid="agent-status">
        active
      </span>
    );
  }
  return (
    <span class="badge-group">
      <span class="badge badge-suspended" data-testid="agent-status">
        suspended
      </span>
      <span class="muted small" data-testid="suspension-text">
        {suspensionText(agent, Date.now())}
      </span>
    </span>
  );
}

/** Marks an agent its first event created (not a person): a typo in a name shows at once. */
export function AutoCreatedBadge({ agent }: { agent: Agent }) {
  if (!agent.auto_created) return null;
  return (
    <span
      class="badge badge-auto"
      data-testid="auto-created"
      title="Created by its first event, not by a person — check the name for a typo. It has the default limits."
    >
      auto-created
    </span>
  );
}
