// Money shown on the dashboard: exact, from integer micros, never rounded to zero.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  barLevel,
  formatUsd,
  microsToDecimal,
  microsToInput,
  parseUsdInput,
  percentUsed,
} from '../src/lib/money';

test('whole cents show two decimals, sub-cent amounts every significant digit', () => {
  assert.equal(formatUsd(1_730_000), '$1.73');
  assert.equal(formatUsd(1_000_000), '$1.00');
  assert.equal(formatUsd(0), '$0.00');
  assert.equal(formatUsd(12_300), '$0.0123');
  assert.equal(formatUsd(1), '$0.000001');
  assert.equal(formatUsd(10_000), '$0.01');
  assert.equal(formatUsd(1_234_567_890_123), '$1,234,567.890123');
  assert.equal(formatUsd(50_000_000), '$50.00');
  assert.equal(formatUsd(null), '—');
  assert.equal(formatUsd(-5), '-$0.000005');
  assert.equal(formatUsd(0.5), '?');
});

test('every non-zero amount shows as non-zero and round-trips exactly', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }), (micros) => {
      const text = formatUsd(micros);
      assert.notEqual(text.replace(/[$,.0]/g, ''), '');
      const [whole = '', fraction = ''] = text.slice(1).replace(/,/g, '').split('.');
      assert.ok(fraction.length >= 2 && fraction.length <= 6);
      assert.equal(BigInt(whole) * 1_000_000n + BigInt(fraction.padEnd(6, '0')), BigInt(micros));
    }),
  );
});

test('limit inputs: exact decimals in, API decimal strings out', () => {
  assert.equal(microsToInput(1_500_000), '1.5');
  assert.equal(microsToInput(50_000_000), '50');
  assert.equal(microsToInput(null), '');
  assert.equal(microsToDecimal(2), '0.000002');
  assert.deepEqual(parseUsdInput(' 1.50 '), { ok: true, value: '1.50' });
  assert.deepEqual(parseUsdInput('$2'), { ok: true, value: '2' });
  assert.deepEqual(parseUsdInput(''), { ok: true, value: null });
  for (const bad of ['1e3', '-1', '0.0000001', 'abc', '1.', 'NaN'])
    assert.equal(parseUsdInput(bad).ok, false, bad);
});

test('progress is clamped and exact at the limit', () => {
  assert.equal(percentUsed(5, null), null);
  assert.equal(percentUsed(50, 100), 50);
  assert.equal(percentUsed(100, 100), 100);
  assert.equal(percentUsed(300, 100), 100);
  assert.equal(percentUsed(1, 0), 100);
});

test('a bar turns red from 95 % — a day at 98 % is about to be refused — and amber from 80 %', () => {
  assert.equal(barLevel(null), 'none');
  assert.equal(barLevel(79.9), 'ok');
  assert.equal(barLevel(80), 'high');
  assert.equal(barLevel(94.99), 'high');
  assert.equal(barLevel(percentUsed(98, 100)), 'full', 'the report: 98 % stayed amber');
  assert.equal(barLevel(100), 'full');
});
