import { useState } from 'preact/hooks';
import { errorText } from '../lib/api';

interface Props {
  /** The button's text and its accessible name ("Revoke", "Revoke key ci ingest"). */
  label: string;
  ariaLabel?: string;
  /** The second step's text and accessible name ("Confirm revoke", …). */
  confirmLabel: string;
  confirmAriaLabel?: string;
  /** Said next to the confirm button ("Archive? Its events will be refused."). */
  question?: string;
  /** The action; a rejection is shown under the buttons. */
  onConfirm: () => Promise<void>;
  testId?: string;
}

/**
 * A destructive action in two steps — the button, then Confirm or Cancel — so a stray click changes nothing: revoking
 * a key, removing a user, archiving an agent. (The kill switch has its own, with focus on the confirm step.)
 */
export function ConfirmButton(props: Props) {
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  async function confirm() {
    setBusy(true);
    setError(null);
    try {
      await props.onConfirm();
      setConfirming(false);
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  }
  return (
    <div class="cell">
      {confirming ? (
        <span class="confirm">
          {props.question && <span class="confirm-question">{props.question}</span>}
          <button
            type="button"
            class="btn btn-danger"
            disabled={busy}
            onClick={confirm}
            aria-label={props.confirmAriaLabel}
            data-testid={props.testId ? `${props.testId}-confirm` : undefined}
          >
            {props.confirmLabel}
          </button>
          <button type="button" class="btn" disabled={busy} onClick={() => setConfirming(false)}>
            Cancel
          </button>
        </span>
      ) : (
        <button
          type="button"
          class="btn btn-danger-outline"
          onClick={() => setConfirming(true)}
          aria-label={props.ariaLabel}
          data-testid={props.testId}
        >
          {props.label}
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
