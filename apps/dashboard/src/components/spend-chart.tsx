import type { Bucket } from '../lib/buckets';
import { formatUsd } from '../lib/money';
import type { Granularity } from '../lib/types';

function bucketLabel(start: number, granularity: Granularity): string {
  const date = new Date(start);
  if (granularity === 'day') return date.toLocaleDateString();
  return date.toLocaleString(undefined, {
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
  });
}

const WIDTH = 600;
const HEIGHT = 180;
const TOP = 8;

export function SpendChart({ buckets, granularity }: { buckets: Bucket[]; granularity: Granularity }) {
  const max = buckets.reduce((m, b) => Math.max(m, b.spentMicros), 0);
  const total = buckets.reduce((sum, b) => sum + b.spentMicros, 0);
  const events = buckets.reduce((sum, b) => sum + b.events, 0);
  const slot = WIDTH / Math.max(1, buckets.length);
  const first = buckets[0];
  const last = buckets[buckets.length - 1];
  const summary = `Spend per ${granularity}: ${formatUsd(total)} in ${events} events over the last ${buckets.length} ${granularity}s; highest ${formatUsd(max)}.`;
  return (
    <figure class="chart">
      <figcaption class="chart-caption">
        <span>
          Total <strong data-testid="chart-total">{formatUsd(total)}</strong> · {events} events
        </span>
        <span class="muted">peak {formatUsd(max)}</span>
      </figcaption>
      <svg
        viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
        preserveAspectRatio="none"
        class="chart-svg"
        role="img"
        aria-label={summary}
      >
        <line
          class="chart-axis"
          x1="0"
          y1={HEIGHT - 0.5}
          x2={WIDTH}
          y2={HEIGHT - 0.5}
          vector-effect="non-scaling-stroke"
        />
        {max > 0 &&
          buckets.map((bucket, i) => {
            if (bucket.spentMicros === 0) return null;
            // At least 1 unit tall so a tiny spend next to a large one stays visible.
            const height = Math.max(1, ((HEIGHT - TOP) * bucket.spentMicros) / max);
            return (
              <rect
                key={bucket.start}
                class="chart-bar"
                x={i * slot + slot * 0.1}
                y={HEIGHT - height}
                width={slot * 0.8}
                height={height}
              >
                <title>{`${bucketLabel(bucket.start, granularity)}: ${formatUsd(bucket.spentMicros)}, ${bucket.events} events`}</title>
              </rect>
            );
          })}
      </svg>
      <div class="chart-axis-labels muted small">
        <span>{first ? bucketLabel(first.start, granularity) : ''}</span>
        <span>{last ? bucketLabel(last.start, granularity) : ''}</span>
      </div>
      {max === 0 && <p class="muted">No spend in this period.</p>}
    </figure>
  );
}
