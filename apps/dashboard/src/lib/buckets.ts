import type { Granularity, TimeseriesPoint } from './types';

export const BUCKET_MS: Record<Granularity, number> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };
/** How many buckets each granularity shows, ending with the current one. */
export const BUCKET_COUNT: Record<Granularity, number> = { minute: 60, hour: 48, day: 31 };

export interface Bucket {
  start: number;
  spentMicros: number;
  events: number;
}

/**
 * Lays the API's points (possibly sparse) onto a dense, evenly spaced axis so that quiet periods show
 * as gaps rather than being skipped. Buckets are aligned to UTC, like the server's.
 */
export function denseBuckets(points: TimeseriesPoint[], granularity: Granularity, now: number): Bucket[] {
  const step = BUCKET_MS[granularity];
  const count = BUCKET_COUNT[granularity];
  const last = Math.floor(now / step) * step;
  const first = last - (count - 1) * step;
  const buckets: Bucket[] = [];
  for (let i = 0; i < count; i++) buckets.push({ start: first + i * step, spentMicros: 0, events: 0 });
  for (const point of points) {
    const start = Math.floor(new Date(point.bucket_start).getTime() / step) * step;
    const index = (start - first) / step;
    const bucket = buckets[index];
    if (!bucket) continue;
    bucket.spentMicros += point.spent_micros;
    bucket.events += point.event_count;
  }
  return buckets;
}
