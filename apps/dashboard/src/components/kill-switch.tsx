import { useEffect, useRef, useState } from 'preact/hooks';
import { agentPath, api, errorText } from '../lib/api';
import { useCanWrite } from '../lib/role';
import type { Agent } from '../lib/types';

interface Props {
  agent: Agent;
  onChange: (agent: Agent) => void;
}

/**
 * The kill switch: one button that asks for confirmation before it suspends (or resumes) the agent.
 * The confirm step keeps a stray click or key press from stopping a production agent.
 */
export function KillSwitch({ agent, onChange }: Props) {
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const confirmRef = useRef<HTMLButtonElement>(null);
  const canWrite = useCanWrite();
  const suspended = agent.status === 'suspended';
  const verb = suspended ? 'Resume' : 'Suspend';

  useEffect(() => {
    if (confirming) confirmRef.current?.focus();
  }, [confirming]);

  async function confirm() {
    setBusy(true);
    setError(null);
    try {
      const path = `${agentPath(agent.name)}/${suspended ? 'resume' : 'suspend'}`;
      const body = suspended ? {} : { note: 'kill switch (dashboard)' };
      const updated = await api.post<Agent>(path, body);
      setConfirming(false);
      onChange(updated);
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  }

  if (!canWrite) return null;
  return (
    <div class="kill-switch">
      {confirming ? (
        <div class="confirm">
          <span class="confirm-question">{suspended ? 'Resume?' : 'Stop all spend?'}</span>
          <button
            type="button"
            ref={confirmRef}
            class={suspended ? 'btn btn-primary' : 'btn btn-danger'}
            disabled={busy}
            onClick={confirm}
            aria-label={`Confirm ${verb.toLowerCase()} ${agent.name}`}
            data-testid="kill-confirm"
          >
            {busy ? '…' : `Confirm ${verb.toLowerCase()}`}
          </button>
          <button type="button" class="btn" disabled={busy} onClick={() => setConfirming(false)}>
            Cancel
          </button>
        </div>
      ) : (
        <button
          type="button"
          class={suspended ? 'btn btn-primary' : 'btn btn-danger-outline'}
          onClick={() => setConfirming(true)}
          aria-label={suspended ? `Resume agent ${agent.name}` : `Kill switch: suspend agent ${agent.name}`}
          data-testid="kill-switch"
        >
          {suspended ? 'Resume' : 'Kill switch'}
        </button>
      )}
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}
