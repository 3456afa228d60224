// Where a deployment remembers its spend store's epochs (redis-keys.ts): the table spend_store_epochs (migration 005).
// A Redis whose epoch key is gone is a first start when its prefix has no row here — nothing can be in flight, so the
// first epoch needs no waiting — and a loss when it has one.
import type { Db } from '../db/types.js';
import { isoOrNull } from '../time.js';
import type { EpochHistory } from './redis-store.js';

export function createEpochHistory(db: Db): EpochHistory {
  return {
    async isFresh(prefix) {
      const { rows } = await db.query('SELECT 1 FROM spend_store_epochs WHERE prefix = $1 LIMIT 1', [prefix]);
      return rows.length === 0;
    },
    async record(prefix, epoch, since) {
      await db.query(
        `INSERT INTO spend_store_epochs (prefix, epoch, started_at) VALUES ($1, $2, $3)
         ON CONFLICT (prefix, epoch) DO NOTHING`,
        [prefix, epoch, isoOrNull(since === 0 ? Date.now() : since)],
      );
    },
  };
}
