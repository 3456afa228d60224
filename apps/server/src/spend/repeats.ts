// Loop detection's counts for one agent (docs/api.md §7 `repeats`), for the in-process store; lua/store.lua keeps the
// same structure in Redis (a hash of counts and tokens, a sorted set by time). Every accepted request with a
// fingerprint is an occurrence under its token — so undo takes back exactly its own, and deciding again with the same
// token replaces it — and occurrences older than the window are pruned before a count is read.

/** A request counted for loop detection: its token (event or reservation id), fingerprint and decision time. */
export interface Occurrence {
  token: string;
  fingerprint: string;
  at: number;
}

export class RepeatTracker {
  /** Ordered by `at` (binary insertion), so pruning only looks at the front. */
  private readonly byTime: Occurrence[] = [];
  private readonly byToken = new Map<string, Occurrence>();
  private readonly counts = new Map<string, number>();

  /** `windowSeconds`: the window the occurrences are kept for; another window needs a rebuild (like velocity). */
  constructor(readonly windowSeconds: number) {}

  /** Requests with `fingerprint` inside the window at `now` (call prune first). */
  count(fingerprint: string): number {
    return this.counts.get(fingerprint) ?? 0;
  }

  /** Drops the occurrences at or before `now` − window: they no longer count. */
  prune(now: number): void {
    const cutoff = now - this.windowSeconds * 1000;
    let stale = 0;
    while (stale < this.byTime.length && this.byTime[stale]!.at <= cutoff) stale++;
    for (const o of this.byTime.splice(0, stale)) this.forget(o);
  }

  add(occurrence: Occurrence): void {
    if (this.byToken.has(occurrence.token)) return;
    let lo = 0;
    let hi = this.byTime.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.byTime[mid]!.at <= occurrence.at) lo = mid + 1;
      else hi = mid;
    }
    this.byTime.splice(lo, 0, occurrence);
    this.byToken.set(occurrence.token, occurrence);
    this.counts.set(occurrence.fingerprint, this.count(occurrence.fingerprint) + 1);
  }

  /** Takes back the occurrence `token` counted, if any (undo, or a re-decision of the same request). */
  remove(token: string): void {
    const o = this.byToken.get(token);
    if (!o) return;
    this.byTime.splice(this.byTime.indexOf(o), 1);
    this.forget(o);
  }

  occurrences(): Occurrence[] {
    return [...this.byTime];
  }

  private forget(o: Occurrence): void {
    this.byToken.delete(o.token);
    const n = this.count(o.fingerprint) - 1;
    if (n <= 0) this.counts.delete(o.fingerprint);
    else this.counts.set(o.fingerprint, n);
  }
}
