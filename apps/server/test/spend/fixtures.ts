// Fixtures shared by the spend-store suites: a key prefix of the test's own on the shared test Redis, and
// the state of an active agent.
import type { Redis } from 'ioredis';
import { createRedis } from '../../src/redis.js';
import { createEpochHistory } from '../../src/spend/epochs.js';
import { RedisSpendStore } from '../../src/spend/redis-store.js';
import type { AgentLimits, AgentState, CounterLoad } from '../../src/spend/store.js';
import { openTestDb, REDIS_URL, uniqueSuffix } from '../harness.js';

export interface TestRedis {
  redis: Redis;
  /** `sgtest:<unique>`: every key a store writes under it belongs to this test alone. */
  prefix: string;
  /** Deletes every key under the prefix (the FLUSHALL of this test's keys). */
  deleteKeys(): Promise<void>;
  /** Deletes the keys and disconnects. */
  close(): Promise<void>;
}

/**
 * connectRedis, except that a client whose first connect fails is disconnected before the error is thrown:
 * left alone it would keep reconnecting in the background and keep the test process alive forever.
 */
export async function connectTestRedis(url: string): Promise<Redis> {
  const redis = createRedis(url);
  redis.on('error', () => {});
  try {
    await redis.connect(); // bounded: createRedis sets connectTimeout, so a silent peer fails within seconds
  } catch (error) {
    redis.disconnect();
    throw error;
  }
  return redis;
}

export async function openTestRedis(): Promise<TestRedis> {
  const redis = await connectTestRedis(REDIS_URL);
  const prefix = `sgtest:${uniqueSuffix()}`;
  const deleteKeys = async () => {
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
  };
  return {
    redis,
    prefix,
    deleteKeys,
    async close() {
      try {
        await deleteKeys();
      } finally {
        redis.disconnect();
      }
    },
  };
}

/** What a rebuild loads for `agent` (and its customer) when nothing was spent, held or repeated yet. */
export function emptyCounterLoad(
  agent: AgentState,
  now: number,
  customerMonthLimitMicros: number | null = null,
): CounterLoad {
  const { customerId, agentId } = agent;
  return {
    customerId,
    agentId,
    now,
    customer: { customerId, version: 1, monthLimitMicros: customerMonthLimitMicros },
    agent,
    customerMonthMicros: 0,
    agentMonthMicros: 0,
    agentDayMicros: 0,
    velocityBuckets: [],
    run: null,
    holds: [],
    repeats: [],
    revokedKeyIds: [],
  };
}

export function activeAgent(customerId: string, agentId: string, limits: AgentLimits): AgentState {
  return {
    agentId,
    customerId,
    limitsVersion: 1,
    statusVersion: 1,
    status: 'active',
    suspendedReason: null,
    suspendedAt: null,
    suspendedPeriod: null,
    limits,
  };
}

/**
 * Redis spend stores whose epochs are remembered in a test database of their own (spend_store_epochs): `store()`
 * makes one on a connection and prefix; `close()` drops the database.
 */
export async function openStoreFactory(): Promise<{
  store(redis: Redis, prefix: string): RedisSpendStore;
  /** Forget the prefix's epochs, as if it had never run (the next lost epoch key is a first start). */
  forget(prefix: string): Promise<void>;
  close(): Promise<void>;
}> {
  const db = await openTestDb('postgres');
  const history = createEpochHistory(db.db);
  return {
    store: (redis, prefix) => new RedisSpendStore(redis, prefix, history),
    async forget(prefix) {
      await db.db.query('DELETE FROM spend_store_epochs WHERE prefix = $1', [prefix]);
    },
    close: () => db.close(),
  };
}
