import { useLiveStatus } from '../lib/live';

const LABELS = { connecting: 'connecting', live: 'live', reconnecting: 'reconnecting', off: 'offline' };

/** A dot and a word saying whether the live stream is connected. */
export function LiveIndicator() {
  const status = useLiveStatus();
  return (
    <span class={`live live-${status}`} role="status" aria-live="polite" data-testid="live-status">
      <span class="live-dot" aria-hidden="true" />
      {LABELS[status]}
    </span>
  );
}
