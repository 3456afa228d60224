import { useEffect, useState } from 'preact/hooks';
import { agentPath, api, errorText } from '../lib/api';
import { draftFromLimits, type LimitsDraft, limitsPayload } from '../lib/limits';
import { useCanWrite } from '../lib/role';
import type { Agent } from '../lib/types';
import { FormMessage, type FormNote } from './form-message';
import { LimitsFields } from './limits-fields';

/** Edits an agent's limits; the server applies them to the very next event. */
export function LimitsEditor({ agent, onSaved }: { agent: Agent; onSaved: (agent: Agent) => void }) {
  const [draft, setDraft] = useState<LimitsDraft>(() => draftFromLimits(agent.limits));
  const [dirty, setDirty] = useState(false);
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<FormNote | null>(null);
  const canWrite = useCanWrite();
  const limitsKey = JSON.stringify(agent.limits);

  // Follow changes made elsewhere (live stream, another tab) unless the user is mid-edit.
  useEffect(() => {
    if (!dirty) setDraft(draftFromLimits(agent.limits));
  }, [limitsKey]);

  async function submit(event: Event) {
    event.preventDefault();
    const payload = limitsPayload(draft);
    if (!payload.ok) {
      setMessage({ kind: 'error', text: payload.error });
      return;
    }
    setBusy(true);
    setMessage(null);
    try {
      const updated = await api.patch<Agent>(agentPath(agent.name), { limits: payload.value });
      setDirty(false);
      setDraft(draftFromLimits(updated.limits));
      onSaved(updated);
      setMessage({ kind: 'ok', text: 'Limits saved. They apply to the next event.' });
    } catch (err) {
      setMessage({ kind: 'error', text: errorText(err) });
    } finally {
      setBusy(false);
    }
  }

  return (
    <form onSubmit={submit} data-testid="limits-form">
      <fieldset class="bare" disabled={!canWrite}>
        <LimitsFields
          idPrefix="agent-limit"
          draft={draft}
          disabled={busy}
          onChange={(next) => {
            setDraft(next);
            setDirty(true);
          }}
        />
        <div class="form-actions">
          <button type="submit" class="btn btn-primary" disabled={busy}>
            {busy ? 'Saving…' : 'Save limits'}
          </button>
          {dirty && (
            <button
              type="button"
              class="btn"
              onClick={() => {
                setDraft(draftFromLimits(agent.limits));
                setDirty(false);
                setMessage(null);
              }}
            >
              Discard changes
            </button>
          )}
        </div>
        <FormMessage message={message} />
      </fieldset>
    </form>
  );
}
