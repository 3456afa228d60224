// Pure logic behind the dashboard's forms, chart and routing.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { denseBuckets } from '../src/lib/buckets';
import { draftFromLimits, limitsPayload } from '../src/lib/limits';
import { href, parseRoute } from '../src/lib/router';

test('limits round-trip from API micros to form text to PATCH body', () => {
  const draft = draftFromLimits({
    month_micros: 50_000_000,
    day_micros: null,
    run_micros: 1_230_000,
    velocity: { window_seconds: 60, max_micros: 2_000_001 },
  });
  assert.deepEqual(draft, {
    month: '50',
    day: '',
    run: '1.23',
    velocityWindow: '60',
    velocityMax: '2.000001',
  });
  assert.deepEqual(limitsPayload(draft), {
    ok: true,
    value: {
      month_usd: '50',
      day_usd: null,
      run_usd: '1.23',
      velocity: { window_seconds: 60, max_usd: '2.000001' },
    },
  });
});

test('limits form rejects what the API would reject', () => {
  const base = { month: '', day: '', run: '', velocityWindow: '', velocityMax: '' };
  assert.deepEqual(limitsPayload(base), {
    ok: true,
    value: { month_usd: null, day_usd: null, run_usd: null, velocity: null },
  });
  assert.equal(limitsPayload({ ...base, month: '1,50' }).ok, false);
  assert.equal(limitsPayload({ ...base, velocityMax: '2' }).ok, false, 'window missing');
  assert.equal(limitsPayload({ ...base, velocityWindow: '60' }).ok, false, 'max missing');
  assert.equal(limitsPayload({ ...base, velocityWindow: '3601', velocityMax: '1' }).ok, false);
  assert.equal(limitsPayload({ ...base, velocityWindow: '1.5', velocityMax: '1' }).ok, false);
});

test('timeseries points land in dense UTC buckets ending now', () => {
  const now = Date.parse('2026-11-25T10:30:20Z');
  const buckets = denseBuckets(
    [
      { bucket_start: '2026-11-25T10:30:00Z', spent_micros: 7, event_count: 2 },
      { bucket_start: '2026-11-25T10:28:00.000Z', spent_micros: 5, event_count: 1 },
      { bucket_start: '2026-11-25T08:00:00Z', spent_micros: 999, event_count: 1 }, // outside the window
    ],
    'minute',
    now,
  );
  assert.equal(buckets.length, 60);
  assert.equal(new Date(buckets[59]!.start).toISOString(), '2026-11-25T10:30:00.000Z');
  assert.equal(buckets[59]!.spentMicros, 7);
  assert.equal(buckets[57]!.spentMicros, 5);
  assert.equal(
    buckets.reduce((sum, b) => sum + b.spentMicros, 0),
    12,
  );
});

test('hash routes: agent names with any allowed character survive the round trip', () => {
  for (const name of ['research-bot', 'a:b@c.d_e', 'X']) {
    assert.deepEqual(parseRoute(href({ page: 'agent', name })), { page: 'agent', name });
  }
  assert.deepEqual(parseRoute(''), { page: 'agents' });
  assert.deepEqual(parseRoute('#/keys'), { page: 'keys' });
  assert.deepEqual(parseRoute('#/nonsense'), { page: 'agents' });
});
