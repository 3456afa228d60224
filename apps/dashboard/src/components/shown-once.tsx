import { useState } from 'preact/hooks';

interface Props {
  /** What it is, for the input's label ("New API key", "Signing secret"). */
  label: string;
  value: string;
  /** The sentence after "Copy this … now." ("key", "signing secret"). */
  what: string;
  testId: string;
  onDone: () => void;
}

/** A secret the server shows this once (an API key, a webhook's signing secret): copy it now or never. */
export function ShownOnce({ label, value, what, testId, onDone }: Props) {
  const [copied, setCopied] = useState<string | null>(null);
  async function copy() {
    try {
      await navigator.clipboard.writeText(value);
      setCopied('Copied.');
    } catch {
      setCopied(`Copy failed — select the ${what} and copy it by hand.`);
    }
  }
  return (
    <div class="notice created-key" role="status">
      <p>
        <strong>Copy this {what} now.</strong> It will not be shown again.
      </p>
      <label for={testId} class="visually-hidden">
        {label}
      </label>
      <div class="copy-row">
        <input
          id={testId}
          class="mono"
          readOnly
          value={value}
          data-testid={testId}
          onFocus={(e) => e.currentTarget.select()}
        />
        <button type="button" class="btn btn-primary" onClick={copy}>
          Copy
        </button>
        <button type="button" class="btn" onClick={onDone}>
          Done
        </button>
      </div>
      {copied && <p class="muted small">{copied}</p>}
    </div>
  );
}
