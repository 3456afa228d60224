// Pure logic behind the dashboard's forms, chart and routing.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { denseBuckets } from '../src/lib/buckets';
import { modelTotals } from '../src/lib/by-model';
import { draftFromLimits, limitsPayload } from '../src/lib/limits';
import { href, parseRoute } from '../src/lib/router';
import { formatIn, liftHint, suspensionText } from '../src/lib/suspension';
import type { Agent, ModelSpend } from '../src/lib/types';

test('limits round-trip from API micros to form text to PATCH body', () => {
  const draft = draftFromLimits({
    month_micros: 50_000_000,
    day_micros: null,
    run_micros: 1_230_000,
    velocity: { window_seconds: 60, max_micros: 2_000_001 },
    repeats: null,
  });
  assert.deepEqual(draft, {
    month: '50',
    day: '',
    run: '1.23',
    velocityWindow: '60',
    velocityMax: '2.000001',
    repeatsMax: '',
    repeatsWindow: '',
  });
  assert.deepEqual(limitsPayload(draft), {
    ok: true,
    value: {
      month_usd: '50',
      day_usd: null,
      run_usd: '1.23',
      velocity: { window_seconds: 60, max_usd: '2.000001' },
      repeats: null,
    },
  });
});

test('limits form rejects what the API would reject', () => {
  const base = {
    month: '',
    day: '',
    run: '',
    velocityWindow: '',
    velocityMax: '',
    repeatsMax: '',
    repeatsWindow: '',
  };
  assert.deepEqual(limitsPayload(base), {
    ok: true,
    value: { month_usd: null, day_usd: null, run_usd: null, velocity: null, repeats: null },
  });
  assert.equal(limitsPayload({ ...base, month: '1,50' }).ok, false);
  assert.equal(limitsPayload({ ...base, velocityMax: '2' }).ok, false, 'window missing');
  assert.equal(limitsPayload({ ...base, velocityWindow: '60' }).ok, false, 'max missing');
  assert.equal(limitsPayload({ ...base, velocityWindow: '3601', velocityMax: '1' }).ok, false);
  assert.equal(limitsPayload({ ...base, velocityWindow: '1.5', velocityMax: '1' }).ok, false);
  for (const [repeatsMax, repeatsWindow] of [
    ['5', ''],
    ['', '60'],
    ['0', '60'],
    ['100001', '60'],
    ['2.5', '60'],
    ['5', '0'],
    ['5', '86401'],
    ['5', '1e3'],
  ]) {
    assert.equal(
      limitsPayload({ ...base, repeatsMax: repeatsMax ?? '', repeatsWindow: repeatsWindow ?? '' }).ok,
      false,
      `repeats ${repeatsMax}/${repeatsWindow}`,
    );
  }
});

test('the repeats limit round-trips from the API to the form to the PATCH body', () => {
  const limits = {
    month_micros: null,
    day_micros: null,
    run_micros: null,
    velocity: null,
    repeats: { max: 100_000, window_seconds: 86_400 },
  };
  const draft = draftFromLimits(limits);
  assert.equal(draft.repeatsMax, '100000');
  assert.equal(draft.repeatsWindow, '86400');
  const payload = limitsPayload({ ...draft, repeatsMax: ' 3 ', repeatsWindow: '60' });
  assert.deepEqual(payload.ok && payload.value.repeats, { max: 3, window_seconds: 60 });
  const cleared = limitsPayload({ ...draft, repeatsMax: '', repeatsWindow: '' });
  assert.equal(cleared.ok && cleared.value.repeats, null, 'both empty: no limit (PATCH sends null)');
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

const spend = (provider: string | null, model: string | null, micros: number, events = 1): ModelSpend => ({
  provider,
  model,
  spent_micros: micros,
  event_count: events,
  input_tokens: model ? 100 * events : 0,
  output_tokens: model ? 10 * events : 0,
  cache_read_tokens: model ? 50 * events : 0,
  cache_write_tokens: 0,
});

test('spend by model sums the chart’s buckets per model, largest first, the folded rest last', () => {
  const now = Date.parse('2026-11-25T10:30:20Z');
  const rows = modelTotals(
    [
      {
        bucket_start: '2026-11-25T10:29:00Z',
        spent_micros: 600,
        event_count: 4,
        by_model: [
          spend('openai', 'gpt-4o', 300),
          spend(null, null, 200, 2),
          spend('openai', 'gpt-4o-mini', 100),
        ],
        other_models: null,
      },
      {
        bucket_start: '2026-11-25T10:30:00Z',
        spent_micros: 1000,
        event_count: 4,
        by_model: [spend('openai', 'gpt-4o-mini', 700, 2)],
        other_models: { ...spend('x', 'y', 300, 2), models: 2 },
      },
      // Before the 60 minutes the chart shows: left out of both.
      {
        bucket_start: '2026-11-25T09:00:00Z',
        spent_micros: 5,
        event_count: 1,
        by_model: [spend('openai', 'gpt-4o', 5)],
      },
    ],
    'minute',
    now,
  );
  assert.deepEqual(
    rows.map((r) => [r.kind, r.provider, r.model, r.spentMicros, r.events, r.inputTokens, r.cacheReadTokens]),
    [
      ['model', 'openai', 'gpt-4o-mini', 800, 3, 300, 150],
      ['model', 'openai', 'gpt-4o', 300, 1, 100, 50],
      ['cost', null, null, 200, 2, 0, 0],
      ['other', null, null, 300, 2, 200, 100],
    ],
  );
  assert.equal(
    rows.reduce((sum, r) => sum + r.spentMicros, 0),
    1600,
    'the table adds up to the chart total',
  );
  assert.deepEqual(
    rows.map((r) => r.percent),
    [50, 18.75, 12.5, 18.75],
  );
  assert.deepEqual(modelTotals([], 'hour', now), []);
});

test('hash routes: agent names with any allowed character survive the round trip', () => {
  for (const name of ['research-bot', 'a:b@c.d_e', 'X']) {
    assert.deepEqual(parseRoute(href({ page: 'agent', name })), { page: 'agent', name });
  }
  assert.deepEqual(parseRoute(''), { page: 'agents' });
  assert.deepEqual(parseRoute('#/keys'), { page: 'keys' });
  assert.deepEqual(parseRoute('#/nonsense'), { page: 'agents' });
});

const ACTIVE_AGENT: Agent = {
  id: 'agt_1',
  name: 'research-bot',
  status: 'active',
  suspended_reason: null,
  suspended_at: null,
  suspended_period: null,
  resumes_at: null,
  suspended_note: null,
  limits: { month_micros: 10_000_000, day_micros: 500_000, run_micros: null, velocity: null, repeats: null },
  spend: { month_micros: 0, day_micros: 0, velocity_micros: 0 },
  auto_created: false,
  archived_at: null,
  created_at: '2026-12-01T10:00:00.000Z',
  last_event_at: null,
};

test('a suspension says which limit, how much, and when it lifts — in UTC, with the time left', () => {
  const now = Date.parse('2026-12-01T19:00:00Z');
  assert.equal(suspensionText(ACTIVE_AGENT, now), null);
  const day: Agent = {
    ...ACTIVE_AGENT,
    status: 'suspended',
    suspended_reason: 'budget_exceeded',
    suspended_period: 'day',
    resumes_at: '2026-12-02T00:00:00.000Z',
  };
  assert.equal(suspensionText(day, now), 'Day limit $0.50 reached — resumes Dec 2, 00:00 UTC (in 5 h)');
  const month: Agent = { ...day, suspended_period: 'month', resumes_at: '2027-01-01T00:00:00.000Z' };
  assert.equal(suspensionText(month, now), 'Month limit $10.00 reached — resumes Jan 1, 00:00 UTC (in 31 d)');
  const velocity: Agent = {
    ...day,
    suspended_reason: 'velocity_exceeded',
    suspended_period: 'velocity',
    resumes_at: null,
    limits: { ...day.limits, velocity: { window_seconds: 60, max_micros: 100_000 } },
  };
  assert.equal(
    suspensionText(velocity, now),
    'Velocity limit $0.10 per 1 min reached — lifts only by Resume',
  );
  const manual: Agent = { ...day, suspended_reason: 'manual', suspended_period: null, resumes_at: null };
  assert.equal(suspensionText(manual, now), 'Suspended by hand — lifts only by Resume');
  assert.equal(
    suspensionText({ ...manual, suspended_note: 'looping' }, now),
    'Suspended by hand (looping) — lifts only by Resume',
  );
  // A loop broke no period: the line names the repeats limit (the reason is cast until the types are regenerated).
  const loop = {
    ...manual,
    suspended_reason: 'loop_detected' as string as Agent['suspended_reason'],
    limits: { ...manual.limits, repeats: { max: 5, window_seconds: 60 } } as Agent['limits'],
  };
  assert.equal(
    suspensionText(loop, now),
    'Loop detected (one fingerprint more than 5 times per 1 min) — lifts only by Resume',
  );
  assert.equal(
    suspensionText({ ...loop, limits: { ...loop.limits, repeats: null } as Agent['limits'] }, now),
    'Loop detected — lifts only by Resume',
  );
  assert.equal(liftHint(loop), 'Find what the agent keeps repeating, then Resume lifts it.');
});

test('time left is rounded up and never reads zero', () => {
  assert.equal(formatIn(1), 'in 1 min');
  assert.equal(formatIn(59 * 60_000), 'in 59 min');
  assert.equal(formatIn(60 * 60_000 + 1), 'in 2 h');
  assert.equal(formatIn(-5), 'in 1 min');
});

test('an invite link routes to its page with the token, and back', () => {
  assert.deepEqual(parseRoute('#/accept-invite?token=q4H-_x'), { page: 'accept-invite', token: 'q4H-_x' });
  assert.deepEqual(parseRoute('#/accept-invite'), { page: 'accept-invite', token: '' });
  assert.equal(href({ page: 'accept-invite', token: 'a b' }), '#/accept-invite?token=a%20b');
  assert.deepEqual(parseRoute(href({ page: 'team' })), { page: 'team' });
});
