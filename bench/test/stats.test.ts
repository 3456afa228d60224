// The benchmark's own arithmetic: nearest-rank percentiles and the exact ledger of acknowledged spend.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Ledger } from '../src/ledger.js';
import { summarize } from '../src/stats.js';

describe('summarize', () => {
  it('computes nearest-rank percentiles over unsorted samples', () => {
    const samples = Array.from({ length: 100 }, (_, i) => 100 - i); // 100..1, unsorted
    const s = summarize(samples);
    assert.equal(s.count, 100);
    assert.equal(s.p50, 50);
    assert.equal(s.p90, 90);
    assert.equal(s.p99, 99);
    assert.equal(s.max, 100);
    assert.equal(s.mean, 50.5);
  });

  it('handles one sample and none', () => {
    assert.equal(summarize([7]).p99, 7);
    assert.ok(Number.isNaN(summarize([]).p50));
  });
});

describe('Ledger', () => {
  it('counts only 201s, per agent and in total, and every status', () => {
    const ledger = new Ledger();
    ledger.record(201, 'a', 5);
    ledger.record(201, 'b', 7);
    ledger.record(403, 'a', 1_000);
    ledger.record(503, 'b', 1_000);
    ledger.record(201, 'a', 3);
    assert.equal(ledger.acknowledged, 3);
    assert.equal(ledger.acknowledgedMicros, 15);
    assert.deepEqual(Object.fromEntries(ledger.perAgentMicros), { a: 8, b: 7 });
    assert.deepEqual(Object.fromEntries(ledger.statuses), { 201: 3, 403: 1, 503: 1 });
  });
});
