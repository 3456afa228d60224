import { useState } from 'preact/hooks';
import { agentPath, api, errorText } from '../lib/api';
import { useCanWrite } from '../lib/role';
import type { Agent } from '../lib/types';
import { ConfirmButton } from './confirm-button';

/**
 * Archive a live agent (DELETE, with a confirm step: its events are refused from then on) or restore an archived
 * one (docs/api.md §7). Nothing for a viewer.
 */
export function ArchiveButton({
  agent,
  onArchived,
  onRestored,
}: {
  agent: Agent;
  /** After a live agent was archived (not needed where only archived agents are listed). */
  onArchived?: () => void;
  onRestored: (agent: Agent) => void;
}) {
  const canWrite = useCanWrite();
  const [error, setError] = useState<string | null>(null);
  if (!canWrite) return null;
  if (!agent.archived_at) {
    return (
      <ConfirmButton
        label="Archive"
        ariaLabel={`Archive agent ${agent.name}`}
        question="Archive? Its events will be refused."
        confirmLabel="Confirm archive"
        testId="archive-agent"
        onConfirm={async () => {
          await api.delete<null>(agentPath(agent.name));
          onArchived?.();
        }}
      />
    );
  }
  async function restore() {
    setError(null);
    try {
      onRestored(await api.post<Agent>(`${agentPath(agent.name)}/restore`, {}));
    } catch (err) {
      setError(errorText(err));
    }
  }
  return (
    <div class="cell">
      <button
        type="button"
        class="btn"
        onClick={restore}
        aria-label={`Restore agent ${agent.name}`}
        data-testid="restore-agent"
      >
        Restore
      </button>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}
