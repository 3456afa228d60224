import { MemorySpendStore } from '../../src/spend/memory-store.js';
import { runSpendStoreContract } from './contract.js';

runSpendStoreContract('memory', async () => {
  let store = new MemorySpendStore();
  // A wipe of the memory store is a restart: a fresh instance behind the same object the suite holds.
  const facade = new Proxy({} as MemorySpendStore, {
    get: (_target, property) => {
      const value = Reflect.get(store, property);
      return typeof value === 'function' ? value.bind(store) : value;
    },
  });
  return {
    store: facade,
    async wipe() {
      await store.close();
      store = new MemorySpendStore();
    },
    cleanup: () => store.close(),
  };
});
