// Embedded mode (issue 11 #12): the in-process store remembered every idempotency key for 4 days (~730 bytes each),
// so a busy embedded server grows until the process dies. Its claim memory must be bounded; PostgreSQL's unique
// index is the long memory of a key (a forgotten key is decided afresh and replayed from there).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { createMemorySpendStore } from '../../../src/spend/memory-store.js';
import type { SpendRequest } from '../../../src/spend/store.js';
import { activeAgent, emptyCounterLoad } from '../../spend/fixtures.js';
import { memoryClaimCap, memoryClaimsHeld } from './probe.js';

describe('embedded (in-process) store', { timeout: 60_000 }, () => {
  it('12: claim memory is bounded — after 3 × cap completed keys it holds at most cap, and still replays the latest', async () => {
    const store = createMemorySpendStore();
    try {
      const customerId = `cus_${randomBytes(6).toString('hex')}`;
      const agentId = `agt_${randomBytes(6).toString('hex')}`;
      const now = Date.now();
      await store.loadCounters(
        emptyCounterLoad(
          activeAgent(customerId, agentId, {
            monthMicros: null,
            dayMicros: null,
            runMicros: null,
            velocity: null,
            repeats: null,
          }),
          now,
        ),
      );
      const cap = memoryClaimCap();
      const n = 3 * cap;
      const request = (i: number): SpendRequest => ({
        customerId,
        agentId,
        runId: null,
        amountMicros: 1,
        token: `evt_${i}`,
        idempotencyKey: `key-${i}`,
        requestHash: `hash-${i}`,
        now,
      });
      for (let i = 0; i < n; i++) {
        const decision = await store.decide(request(i));
        assert.equal(decision.outcome, 'accepted', `key ${i}: ${decision.outcome}`);
        await store.complete({
          customerId,
          agentId,
          runId: null,
          token: `evt_${i}`,
          claim: { idempotencyKey: `key-${i}`, requestHash: `hash-${i}` },
          agentState: null,
        });
      }
      const held = memoryClaimsHeld(store);
      assert.ok(held <= cap, `${n} completed keys: the store still holds ${held} claims (cap ${cap})`);
      assert.equal(
        (await store.decide(request(n - 1))).outcome,
        'replay',
        'the latest key is still remembered',
      );
    } finally {
      await store.close();
    }
  });
});
