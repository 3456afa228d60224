import { connectRedis } from '../../src/redis.js';
import { RedisSpendStore } from '../../src/spend/redis-store.js';
import { REDIS_URL, uniqueSuffix } from '../harness.js';
import { runSpendStoreContract } from './contract.js';

runSpendStoreContract('redis', async () => {
  const redis = await connectRedis(REDIS_URL);
  const prefix = `sgtest:${uniqueSuffix()}`;
  const deleteAll = async () => {
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
  };
  return {
    store: new RedisSpendStore(redis, prefix),
    wipe: deleteAll, // the FLUSHALL of this test's keys
    async cleanup() {
      await deleteAll();
      redis.disconnect();
    },
  };
});
