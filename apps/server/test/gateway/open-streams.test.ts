// The kill switch reaches open gateway streams even when the bus message is lost (gateway/open-streams.ts): the spend
// store — where a suspension is in force before it is announced — is polled while streams are open. A suspension from
// before the stream's hold (which would have declined it) stops nothing; a shutdown stops every stream and waits for
// each to unregister. Real stores: the in-process spend store and a bus that delivers nothing.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NO_LIMITS } from '../../src/agents/limits.js';
import { createOpenStreams, type StopCause } from '../../src/gateway/open-streams.js';
import type { Bus } from '../../src/live/bus.js';
import { createMemorySpendStore } from '../../src/spend/memory-store.js';
import { activeAgent } from '../spend/fixtures.js';

/** A bus whose messages are all lost. */
const deafBus: Bus = {
  publish: async () => {},
  subscribe: async () => async () => {},
  close: async () => {},
};

describe('open gateway streams', () => {
  it('a suspension in the store stops the agent’s streams within a second without any bus message', async () => {
    const store = createMemorySpendStore();
    const streams = createOpenStreams({ bus: deafBus, store });
    const openedAt = Date.now();
    await store.putAgentState(activeAgent('cus_1', 'agt_1', NO_LIMITS));
    const stops: StopCause[] = [];
    const other: StopCause[] = [];
    const unwatch = await streams.open('cus_1', 'agt_1', openedAt, (c) => stops.push(c));
    const unwatchOther = await streams.open('cus_1', 'agt_2', openedAt, (c) => other.push(c));
    await new Promise((resolve) => setTimeout(resolve, 600));
    assert.equal(stops.length, 0, 'an active agent’s stream runs on');
    const suspendedAt = Date.now();
    await store.putAgentState({
      ...activeAgent('cus_1', 'agt_1', NO_LIMITS),
      statusVersion: 2,
      status: 'suspended',
      suspendedReason: 'manual',
      suspendedAt,
    });
    const deadline = Date.now() + 1_000;
    while (stops.length === 0 && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 20));
    assert.deepEqual(stops, [{ kind: 'suspended', suspension: { reason: 'manual', suspendedAt } }]);
    assert.equal(other.length, 0, 'another agent’s stream is not touched');
    unwatch();
    unwatchOther();
    await streams.close();
    await store.close();
  });

  it('a suspension older than the stream stops nothing; a shutdown stops all and waits for them', async () => {
    const store = createMemorySpendStore();
    const streams = createOpenStreams({ bus: deafBus, store });
    await store.putAgentState({
      ...activeAgent('cus_1', 'agt_1', NO_LIMITS),
      statusVersion: 2,
      status: 'suspended',
      suspendedReason: 'budget_exceeded',
      suspendedAt: Date.now() - 60_000,
      suspendedPeriod: '2020-01',
    });
    const causes: StopCause[] = [];
    const unwatch = await streams.open('cus_1', 'agt_1', Date.now(), (c) => {
      causes.push(c);
      // The stream commits its cost, then unregisters: stopAll waits for that.
      setTimeout(unwatch, 100);
    });
    await new Promise((resolve) => setTimeout(resolve, 700));
    assert.equal(causes.length, 0, 'a lapsed suspension from before the hold does not stop the stream');
    const started = Date.now();
    await streams.stopAll(5_000);
    assert.deepEqual(causes, [{ kind: 'shutdown' }]);
    assert.equal(streams.count(), 0);
    assert.ok(Date.now() - started >= 90, 'stopAll waited for the stream to unregister');
    await streams.close();
    await store.close();
  });
});
