// The Redis store's completions ride on the next decision of their customer (redis-store.ts CARRY_WAIT_MS): one
// command per accepted event under load instead of two. Proved here against the real Redis, also when the decision
// that carried them lost its reply; and the API key revocation markers the decisions check (SpendStore.revokeKey),
// kept across a loss of the customer's state by the rebuild's load.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Redis } from 'ioredis';
import { createMetrics } from '../../src/observability/metrics.js';
import { countRedisCommands } from '../../src/observability/redis-commands.js';
import { customerKeys } from '../../src/spend/redis-keys.js';
import { CARRY_WAIT_MS, type RedisSpendStore } from '../../src/spend/redis-store.js';
import type { CounterLoad, SpendRequest } from '../../src/spend/store.js';
import { isScript } from '../engine/faults/probe.js';
import { REDIS_PORT, uniqueSuffix } from '../harness.js';
import { startTcpProxy, type TcpProxy } from '../tcp-proxy.js';
import { activeAgent, connectTestRedis, emptyCounterLoad, openStoreFactory } from './fixtures.js';

const NOW = Date.now();
const HASH = `request-hash-${'h'.repeat(40)}`;

function load(customerId: string, agentId: string, revokedKeyIds: string[] = []): CounterLoad {
  const agent = activeAgent(customerId, agentId, {
    monthMicros: 1_000_000,
    dayMicros: null,
    runMicros: null,
    velocity: null,
    repeats: null,
  });
  return { ...emptyCounterLoad(agent, NOW), revokedKeyIds };
}

const request = (customerId: string, agentId: string, key: string, over: Partial<SpendRequest> = {}) => ({
  customerId,
  agentId,
  runId: null,
  amountMicros: 10,
  token: `evt_${key}`,
  idempotencyKey: key,
  requestHash: HASH,
  now: NOW,
  ...over,
});

const refOf = (r: SpendRequest) => ({
  customerId: r.customerId,
  agentId: r.agentId,
  runId: r.runId,
  token: r.token,
  claim: { idempotencyKey: r.idempotencyKey, requestHash: r.requestHash },
  agentState: null,
});

describe('carried completions and revocation markers (Redis store)', () => {
  let factory: Awaited<ReturnType<typeof openStoreFactory>>;
  let proxy: TcpProxy;
  let redis: Redis;
  let store: RedisSpendStore;
  const prefix = `sgtest:${uniqueSuffix()}`;
  /** Commands this store's connection sent, by name: the server's own counter (spendguard_redis_commands_total). */
  const metrics = createMetrics();
  const sent = async () =>
    new Map((await metrics.redisCommands.get()).values.map((v) => [String(v.labels.command), v.value]));

  before(async () => {
    factory = await openStoreFactory();
    proxy = await startTcpProxy(REDIS_PORT);
    redis = await connectTestRedis(proxy.url('redis'));
    countRedisCommands(redis, metrics);
    store = factory.store(redis, prefix);
  });
  after(async () => {
    const keys = await redis.keys(`${prefix}:*`).catch(() => []);
    if (keys.length > 0) await redis.del(...keys).catch(() => {});
    redis.disconnect();
    await proxy.close();
    await factory.close();
  });

  const fresh = async (revoked: string[] = []) => {
    const customerId = `cus_${uniqueSuffix()}`;
    const agentId = `agt_${uniqueSuffix()}`;
    await store.loadCounters(load(customerId, agentId, revoked));
    return { customerId, agentId };
  };
  const keysOf = async (customerId: string) =>
    customerKeys(prefix, (await store.currentEpoch()).id, customerId);
  const claimOf = async (customerId: string, key: string) => redis.get((await keysOf(customerId)).claim(key));
  const unconfirmed = async (customerId: string) => redis.hlen((await keysOf(customerId)).entries);
  const scripts = async () => {
    const byCommand = await sent();
    return (byCommand.get('evalsha') ?? 0) + (byCommand.get('eval') ?? 0);
  };
  const otherCommands = async () =>
    [...(await sent()).entries()].filter(([name]) => name !== 'evalsha' && name !== 'eval');

  it('200 events decided one after another send one script each: every completion rides on the next decision', async () => {
    const { customerId, agentId } = await fresh();
    const before = await scripts();
    const others = await otherCommands();
    for (let i = 0; i < 200; i++) {
      const r = request(customerId, agentId, `seq-${i}`);
      assert.equal((await store.decide(r)).outcome, 'accepted');
      void store.complete(refOf(r));
    }
    await new Promise((resolve) => setTimeout(resolve, CARRY_WAIT_MS * 5));
    // 200 decisions, and the last completion sent on its own by the flush timer (before: 400 = decide + complete).
    assert.equal((await scripts()) - before, 201);
    assert.deepEqual(await otherCommands(), others, 'no other command');
    for (const i of [0, 100, 199]) assert.match((await claimOf(customerId, `seq-${i}`)) ?? '', /^c/);
    assert.equal(await unconfirmed(customerId), 0, 'every entry confirmed');
  });

  it('a retry of a committed key right after its 201 replays: the decision completes it first', async () => {
    const { customerId, agentId } = await fresh();
    const r = request(customerId, agentId, 'retried');
    assert.equal((await store.decide(r)).outcome, 'accepted');
    void store.complete(refOf(r));
    // The same key again, another token (a client retry), before the flush timer: carried, then replayed.
    const again = await store.decide({ ...r, token: 'evt_retry' });
    assert.equal(again.outcome, 'replay');
  });

  it('completions carried by a decision whose reply was lost are sent again, and count once', async () => {
    const { customerId, agentId } = await fresh();
    const committed = Array.from({ length: 30 }, (_, i) => request(customerId, agentId, `lost-${i}`));
    for (const r of committed) assert.equal((await store.decide(r)).outcome, 'accepted');
    const completions = committed.map((r) => store.complete(refOf(r)));
    // The next decision carries all 30 (same tick: before the flush timer); Redis runs it, its reply is lost.
    const lost = proxy.loseNextReply((chunk) => isScript(chunk, 'decide'));
    const carrier = request(customerId, agentId, 'carrier');
    await assert.rejects(store.decide(carrier));
    await lost;
    // The client reconnects; the completions, put back, go with the flush timer (or the next decision).
    for (let i = 0; i < 100 && redis.status !== 'ready'; i++) await new Promise((r) => setTimeout(r, 20));
    const settled = await Promise.allSettled(completions);
    // A flush that met the broken connection rejects (its caller retries, money-pipeline.ts): do that here.
    for (const [i, s] of settled.entries()) {
      if (s.status === 'rejected') await store.complete(refOf(committed[i] as SpendRequest));
    }
    // The carrier decides again under the same token: replaced, counted once.
    assert.equal((await store.decide(carrier)).outcome, 'accepted');
    await store.complete(refOf(carrier));
    await new Promise((resolve) => setTimeout(resolve, CARRY_WAIT_MS * 5));
    for (const r of [...committed, carrier]) {
      assert.match((await claimOf(customerId, r.idempotencyKey)) ?? '', /^c/, r.idempotencyKey);
    }
    assert.equal(await unconfirmed(customerId), 0, 'every entry confirmed once');
    const spend = (await store.readSpend(customerId, [agentId], NOW)).get(agentId);
    assert.equal(spend?.monthMicros, 31 * 10, '31 events of 10, each counted once');
  });

  it('a revoked key is refused by the decision before anything is claimed; a rebuild after a loss writes it again', async () => {
    const { customerId, agentId } = await fresh();
    const live = request(customerId, agentId, 'k-live', { apiKeyId: 'key_live' });
    assert.equal((await store.decide(live)).outcome, 'accepted');
    await store.revokeKey(customerId, 'key_revoked');
    const refused = request(customerId, agentId, 'k-revoked', { apiKeyId: 'key_revoked' });
    assert.deepEqual(await store.decide(refused), { outcome: 'revoked' });
    assert.equal(await claimOf(customerId, 'k-revoked'), null, 'nothing claimed');
    assert.equal(
      (await store.decide(request(customerId, agentId, 'k-other', { apiKeyId: 'key_live' }))).outcome,
      'accepted',
      'another key of the customer is not affected',
    );

    // The customer's state is lost (its hash expired, or a new epoch): the decision finds it missing, the rebuild
    // loads PostgreSQL's recent revocations again.
    await redis.del((await keysOf(customerId)).customer);
    const missing = await store.decide(
      request(customerId, agentId, 'k-after-loss', { apiKeyId: 'key_revoked' }),
    );
    assert.equal(missing.outcome === 'revoked', false, 'the marker went with the state');
    assert.equal(missing.outcome, 'missing');
    await store.loadCounters(load(customerId, agentId, ['key_revoked']));
    assert.deepEqual(
      await store.decide(request(customerId, agentId, 'k-after-loss', { apiKeyId: 'key_revoked' })),
      { outcome: 'revoked' },
    );
  });

  it('a revocation marker written before the customer was loaded survives the load', async () => {
    const customerId = `cus_${uniqueSuffix()}`;
    const agentId = `agt_${uniqueSuffix()}`;
    await store.revokeKey(customerId, 'key_early');
    const early = request(customerId, agentId, 'k-early', { apiKeyId: 'key_early' });
    assert.deepEqual(await store.decide(early), { outcome: 'revoked' });
    // A rebuild that read PostgreSQL before the revocation committed (no id in its list) keeps the marker.
    await store.loadCounters(load(customerId, agentId, []));
    assert.deepEqual(await store.decide(early), { outcome: 'revoked' });
    assert.equal(
      (await store.decide(request(customerId, agentId, 'k-fine', { apiKeyId: 'key_fine' }))).outcome,
      'accepted',
    );
  });
});
