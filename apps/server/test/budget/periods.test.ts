import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  dayKey,
  dayResetsAt,
  dayStart,
  daysOfMonthUntil,
  monthKey,
  monthResetsAt,
  monthStart,
  velocityWindow,
} from '../../src/budget/periods.js';

const t = (iso: string): number => Date.parse(iso);
const iso = (ms: number): string => new Date(ms).toISOString();

// Random instants from 1970-01-01 to 2100-12-31, millisecond resolution.
const instant = fc.integer({ min: 0, max: t('2100-12-31T23:59:59.999Z') });

describe('calendar keys and boundaries', () => {
  test('the last millisecond of November and the first of December are in different months', () => {
    const last = t('2026-11-30T23:59:59.999Z');
    const first = t('2026-12-01T00:00:00.000Z');
    assert.equal(monthKey(last), '2026-11');
    assert.equal(monthKey(first), '2026-12');
    assert.equal(dayKey(last), '2026-11-30');
    assert.equal(dayKey(first), '2026-12-01');
    assert.equal(monthResetsAt(last), first);
    assert.equal(monthStart(first), first);
    assert.equal(monthResetsAt(first), t('2027-01-01T00:00:00.000Z'));
    assert.equal(dayResetsAt(last), first);
    assert.equal(dayStart(last), t('2026-11-30T00:00:00.000Z'));
  });

  test('December rolls over into January of the next year', () => {
    const at = t('2026-12-31T23:59:59.999Z');
    assert.equal(monthKey(at), '2026-12');
    assert.equal(iso(monthStart(at)), '2026-12-01T00:00:00.000Z');
    assert.equal(iso(monthResetsAt(at)), '2027-01-01T00:00:00.000Z');
    assert.equal(iso(dayResetsAt(at)), '2027-01-01T00:00:00.000Z');
    assert.equal(monthKey(at + 1), '2027-01');
    assert.equal(dayKey(at + 1), '2027-01-01');
  });

  test('leap day 2028-02-29 exists and February 2028 resets on March 1st', () => {
    const leap = t('2028-02-29T12:00:00.000Z');
    assert.equal(dayKey(leap), '2028-02-29');
    assert.equal(monthKey(leap), '2028-02');
    assert.equal(iso(dayStart(leap)), '2028-02-29T00:00:00.000Z');
    assert.equal(iso(dayResetsAt(leap)), '2028-03-01T00:00:00.000Z');
    assert.equal(iso(monthResetsAt(leap)), '2028-03-01T00:00:00.000Z');
    assert.equal(daysOfMonthUntil(leap).length, 29);
    // 2027 is no leap year: the day after Feb 28th is March 1st.
    assert.equal(dayKey(dayResetsAt(t('2027-02-28T05:00:00Z'))), '2027-03-01');
  });

  test('the example from the spec: resets_at of a November event is December 1st', () => {
    const at = t('2026-11-25T10:00:00Z');
    assert.equal(monthKey(at), '2026-11');
    assert.equal(dayKey(at), '2026-11-25');
    assert.equal(iso(monthResetsAt(at)), '2026-12-01T00:00:00.000Z');
    assert.equal(iso(dayResetsAt(at)), '2026-11-26T00:00:00.000Z');
    assert.equal(iso(monthStart(at)), '2026-11-01T00:00:00.000Z');
    assert.equal(iso(dayStart(at)), '2026-11-25T00:00:00.000Z');
  });

  test('the epoch and instants before it', () => {
    assert.equal(dayKey(0), '1970-01-01');
    assert.equal(monthKey(0), '1970-01');
    assert.equal(dayKey(-1), '1969-12-31');
    assert.equal(dayStart(-1), -86_400_000);
    assert.equal(dayResetsAt(-1), 0);
    assert.equal(monthResetsAt(-1), 0);
  });

  test('non-finite times are refused', () => {
    assert.throws(() => monthKey(Number.NaN), RangeError);
    assert.throws(() => dayKey(Number.POSITIVE_INFINITY), RangeError);
    assert.throws(() => dayStart(Number.NaN), RangeError);
    assert.throws(() => velocityWindow(Number.NaN, 60), RangeError);
  });
});

describe('daysOfMonthUntil', () => {
  test('lists the days from the 1st through the given day', () => {
    assert.deepEqual(daysOfMonthUntil(t('2026-11-03T23:00:00Z')), ['2026-11-01', '2026-11-02', '2026-11-03']);
    assert.deepEqual(daysOfMonthUntil(t('2026-12-01T00:00:00Z')), ['2026-12-01']);
    const november = daysOfMonthUntil(t('2026-11-30T23:59:59.999Z'));
    assert.equal(november.length, 30);
    assert.equal(november[0], '2026-11-01');
    assert.equal(november[29], '2026-11-30');
  });

  test('property: consecutive days of the month, ending on the day of `at`', () => {
    fc.assert(
      fc.property(instant, (at) => {
        const days = daysOfMonthUntil(at);
        assert.equal(days[0], `${monthKey(at)}-01`);
        assert.equal(days.at(-1), dayKey(at));
        assert.equal(days.length, new Date(at).getUTCDate());
        assert.equal(new Set(days).size, days.length);
        for (const day of days) assert.equal(day.slice(0, 7), monthKey(at));
      }),
      { numRuns: 1000 },
    );
  });
});

describe('calendar properties over 1970–2100', () => {
  test('monthResetsAt is the first instant of the next month', () => {
    fc.assert(
      fc.property(instant, (at) => {
        const resets = monthResetsAt(at);
        assert.ok(resets > at);
        assert.notEqual(monthKey(resets), monthKey(at));
        assert.equal(monthKey(resets - 1), monthKey(at));
        assert.equal(monthStart(resets), resets);
        assert.ok(monthStart(at) <= at);
        assert.equal(monthKey(monthStart(at)), monthKey(at));
        assert.notEqual(monthKey(monthStart(at) - 1), monthKey(at));
      }),
      { numRuns: 3000 },
    );
  });

  test('dayResetsAt is the first instant of the next day', () => {
    fc.assert(
      fc.property(instant, (at) => {
        const resets = dayResetsAt(at);
        assert.ok(resets > at);
        assert.notEqual(dayKey(resets), dayKey(at));
        assert.equal(dayKey(resets - 1), dayKey(at));
        assert.equal(dayStart(resets), resets);
        assert.ok(dayStart(at) <= at);
        assert.equal(dayKey(dayStart(at)), dayKey(at));
        assert.notEqual(dayKey(dayStart(at) - 1), dayKey(at));
        assert.equal(iso(dayStart(at)).slice(10), 'T00:00:00.000Z');
      }),
      { numRuns: 3000 },
    );
  });

  test('keys agree with the ISO representation', () => {
    fc.assert(
      fc.property(instant, (at) => {
        assert.equal(dayKey(at), iso(at).slice(0, 10));
        assert.equal(monthKey(at), iso(at).slice(0, 7));
      }),
      { numRuns: 3000 },
    );
  });
});

describe('velocityWindow', () => {
  test('60-second window: one-second buckets', () => {
    const at = t('2026-11-25T10:00:30.500Z');
    const second = Math.floor(at / 1000);
    assert.deepEqual(velocityWindow(at, 60), {
      bucketSeconds: 1,
      currentBucket: second,
      firstBucket: second - 60,
      ttlSeconds: 62,
    });
  });

  test('bucket width is ceil(window / 60), at least 1', () => {
    assert.equal(velocityWindow(0, 1).bucketSeconds, 1);
    assert.equal(velocityWindow(0, 59).bucketSeconds, 1);
    assert.equal(velocityWindow(0, 61).bucketSeconds, 2);
    assert.equal(velocityWindow(0, 120).bucketSeconds, 2);
    assert.equal(velocityWindow(0, 3600).bucketSeconds, 60);
    assert.equal(velocityWindow(0, 3600).ttlSeconds, 3720);
  });

  test('an hour window at 10:00:30 starts with the bucket of 09:00:00', () => {
    const at = t('2026-11-25T10:00:30.000Z');
    const w = velocityWindow(at, 3600);
    assert.equal(w.bucketSeconds, 60);
    assert.equal(w.currentBucket * 60 * 1000, t('2026-11-25T10:00:00.000Z'));
    assert.equal(w.firstBucket * 60 * 1000, t('2026-11-25T09:00:00.000Z'));
  });

  test('the last millisecond of a second is still in that second', () => {
    assert.equal(velocityWindow(1999, 60).currentBucket, 1);
    assert.equal(velocityWindow(2000, 60).currentBucket, 2);
    assert.equal(velocityWindow(1_700_000_000_999, 10).currentBucket, 1_700_000_000);
  });

  test('refuses a window that is not a positive integer of seconds', () => {
    for (const bad of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      assert.throws(() => velocityWindow(0, bad), RangeError);
    }
  });

  test('property: the buckets cover the whole window and at most one bucket more', () => {
    fc.assert(
      fc.property(instant, fc.integer({ min: 1, max: 3600 }), (at, windowSeconds) => {
        const w = velocityWindow(at, windowSeconds);
        assert.equal(w.bucketSeconds, Math.max(1, Math.ceil(windowSeconds / 60)));
        assert.equal(w.ttlSeconds, windowSeconds + 2 * w.bucketSeconds);
        assert.ok(w.firstBucket <= w.currentBucket);
        // An event at time e is added to bucket floor(floor(e/1000)/width), i.e. velocityWindow(e).currentBucket.
        const bucketOf = (e: number) => velocityWindow(e, windowSeconds).currentBucket;
        const counted = (e: number) => bucketOf(e) >= w.firstBucket && bucketOf(e) <= w.currentBucket;
        // Never under-counts: both ends of [at - window, at] are counted.
        assert.ok(counted(at));
        assert.ok(counted(at - windowSeconds * 1000));
        // Never more than window + one bucket: the first bucket starts less than that before `at`.
        const firstBucketStartMs = w.firstBucket * w.bucketSeconds * 1000;
        assert.ok(firstBucketStartMs <= at - windowSeconds * 1000);
        assert.ok(at - firstBucketStartMs < (windowSeconds + w.bucketSeconds) * 1000);
        assert.ok(!counted(at - (windowSeconds + w.bucketSeconds) * 1000));
        // The current bucket holds `at` and an event in the future would land after it.
        assert.ok(w.currentBucket * w.bucketSeconds * 1000 <= at);
        assert.ok(!counted(at + w.bucketSeconds * 1000));
        // At most 60 whole buckets plus the partial ones at each edge.
        assert.ok(w.currentBucket - w.firstBucket + 1 <= 62);
      }),
      { numRuns: 5000 },
    );
  });

  test('property: every event within the window is counted (random event times)', () => {
    fc.assert(
      fc.property(
        instant,
        fc.integer({ min: 1, max: 3600 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (at, windowSeconds, fraction) => {
          const w = velocityWindow(at, windowSeconds);
          const event = at - Math.floor(fraction * windowSeconds * 1000);
          const bucket = velocityWindow(event, windowSeconds).currentBucket;
          assert.ok(bucket >= w.firstBucket && bucket <= w.currentBucket, `event ${event} at ${at}`);
        },
      ),
      { numRuns: 5000 },
    );
  });
});
