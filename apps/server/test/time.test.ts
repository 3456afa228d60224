// The timestamp conversions every repository and presenter shares (src/time.ts).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { columnIsoOrNull, epochMs, epochMsOrNull, isoOrNull } from '../src/time.js';

describe('time', () => {
  const ms = Date.parse('2026-11-25T10:00:00.123Z');

  it('reads a timestamptz column as pg (Date) and PGlite (string) return it', () => {
    assert.equal(epochMs(new Date(ms)), ms);
    assert.equal(epochMs('2026-11-25 10:00:00.123+00'), ms);
    assert.equal(epochMsOrNull(null), null);
    assert.equal(epochMsOrNull(undefined), null);
  });

  it('refuses a value that is not a timestamp instead of returning NaN', () => {
    assert.throws(() => epochMs('not a time'), TypeError);
    assert.throws(() => epochMsOrNull({}), TypeError);
  });

  it('writes ISO 8601 in UTC; null stays null', () => {
    assert.equal(isoOrNull(ms), '2026-11-25T10:00:00.123Z');
    assert.equal(isoOrNull(null), null);
    assert.equal(columnIsoOrNull('2026-11-25 10:00:00.123+00'), '2026-11-25T10:00:00.123Z');
    assert.equal(columnIsoOrNull(null), null);
  });
});
