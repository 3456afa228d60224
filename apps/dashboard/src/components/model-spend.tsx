import type { ModelRow } from '../lib/by-model';
import { formatUsd } from '../lib/money';

const count = (n: number) => n.toLocaleString('en-US');

function modelLabel(row: ModelRow): string {
  if (row.kind === 'cost') return 'cost given (no usage)';
  if (row.kind === 'other') return 'other models';
  return row.model ?? '';
}

/**
 * The selected range's spend per model, largest first, with its share as a bar (an SVG attribute, not a style:
 * the CSP forbids inline styles). Model names come from API clients and are rendered as text only.
 */
export function ModelSpendTable({ rows, range }: { rows: ModelRow[]; range: string }) {
  if (rows.length === 0) return <p class="muted">No spend in the {range}.</p>;
  return (
    <table class="table model-table" data-testid="model-spend">
      <thead>
        <tr>
          <th scope="col">Model</th>
          <th scope="col">Spend</th>
          <th scope="col">Events</th>
          <th scope="col">Tokens in / out</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((row) => (
          <tr key={row.key} data-testid="model-row" data-model={row.model ?? row.kind}>
            <td data-label="Model">
              <span class={row.kind === 'model' ? 'mono' : 'muted'} data-testid="model-name">
                {modelLabel(row)}
              </span>
              {row.provider && <span class="muted small"> · {row.provider}</span>}
            </td>
            <td data-label="Spend">
              <span class="amount" data-testid="model-spent">
                {formatUsd(row.spentMicros)}
              </span>{' '}
              <span class="muted small">{Math.round(row.percent)}%</span>
              <svg
                class="bar"
                viewBox="0 0 100 6"
                preserveAspectRatio="none"
                role="img"
                aria-label={`${modelLabel(row)}: ${Math.round(row.percent)}% of the spend`}
              >
                <rect class="bar-track" x="0" y="0" width="100" height="6" rx="3" />
                <rect class="bar-fill" x="0" y="0" width={String(row.percent)} height="6" rx="3" />
              </svg>
            </td>
            <td data-label="Events" data-testid="model-events">
              {count(row.events)}
            </td>
            <td data-label="Tokens" data-testid="model-tokens">
              {row.kind === 'cost' ? (
                <span class="muted">—</span>
              ) : (
                <>
                  {count(row.inputTokens)}
                  {row.cacheReadTokens > 0 ? ` (${count(row.cacheReadTokens)} cached)` : ''} /{' '}
                  {count(row.outputTokens)}
                </>
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
