// Ids and key material come from a pooled CSPRNG (ids.ts): every byte must be used once, and the base62 mapping
// must stay uniform. A pool that handed a byte out twice would repeat ids; a biased mapping would skew the counts.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { newId, randomBase62 } from '../src/ids.js';

describe('ids', () => {
  it('newId is the prefix and 22 base62 characters, never repeated over 200,000 ids', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 200_000; i++) {
      const id = newId('evt');
      assert.match(id, /^evt_[0-9A-Za-z]{22}$/);
      seen.add(id);
    }
    assert.equal(seen.size, 200_000);
  });

  it('randomBase62 is uniform over the 62 characters (chi-square, 620,000 draws)', () => {
    const counts = new Map<string, number>();
    for (let i = 0; i < 10_000; i++)
      for (const c of randomBase62(62)) counts.set(c, (counts.get(c) ?? 0) + 1);
    assert.equal(counts.size, 62);
    const expected = 620_000 / 62;
    let chiSquare = 0;
    for (const n of counts.values()) chiSquare += (n - expected) ** 2 / expected;
    // 61 degrees of freedom: the 99.99th percentile is about 113; a modulo bias (byte % 62 over all 256 values)
    // gives several hundred.
    assert.ok(chiSquare < 113, `chi-square ${chiSquare.toFixed(1)}`);
  });
});
