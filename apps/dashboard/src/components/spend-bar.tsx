import { barLevel, formatUsd, percentUsed } from '../lib/money';

interface Props {
  label: string;
  spentMicros: number;
  limitMicros: number | null;
}

/**
 * "Spent of limit" with a bar. The bar is an SVG whose width is an attribute, not a style, because the
 * page's CSP forbids inline styles.
 */
export function SpendBar({ label, spentMicros, limitMicros }: Props) {
  const percent = percentUsed(spentMicros, limitMicros);
  const level = barLevel(percent);
  return (
    <div class="spend">
      <div class="spend-text">
        <span class="visually-hidden">{label}: </span>
        <span class="amount">{formatUsd(spentMicros)}</span>
        <span class="muted">{limitMicros === null ? ' · no limit' : ` of ${formatUsd(limitMicros)}`}</span>
      </div>
      {percent !== null && (
        <svg
          class={`bar bar-${level}`}
          viewBox="0 0 100 6"
          preserveAspectRatio="none"
          role="img"
          aria-label={`${label}: ${Math.floor(percent)}% of limit used`}
        >
          <rect class="bar-track" x="0" y="0" width="100" height="6" rx="3" />
          <rect class="bar-fill" x="0" y="0" width={String(percent)} height="6" rx="3" />
        </svg>
      )}
    </div>
  );
}
