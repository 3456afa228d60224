import { after, before } from 'node:test';
import { runSpendStoreContract } from './contract.js';
import { openStoreFactory, openTestRedis } from './fixtures.js';

let factory: Awaited<ReturnType<typeof openStoreFactory>>;
before(async () => {
  factory = await openStoreFactory();
});
after(() => factory.close());

runSpendStoreContract('redis', async () => {
  const { redis, prefix, deleteKeys, close } = await openTestRedis();
  return {
    store: factory.store(redis, prefix),
    // As a first start of the deployment: no epoch was recorded for the prefix (a loss would wait for in-flight
    // commits first: redis-scripts.test.ts and engine/outages.test.ts).
    async wipe() {
      await deleteKeys();
      await factory.forget(prefix);
    },
    cleanup: close,
  };
});
