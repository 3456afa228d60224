import { RedisSpendStore } from '../../src/spend/redis-store.js';
import { runSpendStoreContract } from './contract.js';
import { openTestRedis } from './fixtures.js';

runSpendStoreContract('redis', async () => {
  const { redis, prefix, deleteKeys, close } = await openTestRedis();
  return { store: new RedisSpendStore(redis, prefix), wipe: deleteKeys, cleanup: close };
});
