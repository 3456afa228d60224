// Opens the configured stores: PostgreSQL server or embedded PGlite, and Redis when configured; applies migrations.
import type { Redis } from 'ioredis';
import type { Config } from './config.js';
import { migrate } from './db/migrate.js';
import { createPgliteDb } from './db/pglite.js';
import { createPostgresDb } from './db/postgres.js';
import type { Db } from './db/types.js';
import { connectRedis } from './redis.js';

export interface Storage {
  db: Db;
  redis: Redis | undefined;
  close(): Promise<void>;
}

export async function openStorage(config: Config, say: (line: string) => void = () => {}): Promise<Storage> {
  const db = config.databaseUrl
    ? createPostgresDb({ url: config.databaseUrl })
    : await createPgliteDb({
        dataDir: config.dataDir,
        onFirstStart: () =>
          say(`first start: creating the embedded database in ${config.dataDir} (takes a few seconds)...`),
      });
  const redis = config.redisUrl ? await connectRedis(config.redisUrl) : undefined;
  try {
    const applied = await migrate(db);
    if (applied.length > 0) say(`applied migrations: ${applied.join(', ')}`);
  } catch (error) {
    await db.close().catch(() => {});
    redis?.disconnect();
    throw error;
  }
  return {
    db,
    redis,
    async close() {
      redis?.disconnect();
      await db.close();
    },
  };
}
