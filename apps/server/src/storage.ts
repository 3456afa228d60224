// Opens the configured stores: PostgreSQL server or embedded PGlite, and Redis when configured; applies migrations.
import type { Redis } from 'ioredis';
import type { Config } from './config.js';
import { lockDataDir } from './db/data-dir-lock.js';
import { migrate } from './db/migrate.js';
import { createPgliteDb } from './db/pglite.js';
import { createPostgresDb } from './db/postgres.js';
import { type Db, int8Of } from './db/types.js';
import { connectRedis } from './redis.js';
import { CLOCK_SKEW_MS } from './spend/bounds.js';
import { StartupError } from './startup-error.js';

export interface Storage {
  db: Db;
  redis: Redis | undefined;
  close(): Promise<void>;
}

/** This machine's clock minus PostgreSQL's, in ms (PostgreSQL refuses rows decided too long ago by its clock). */
async function clockSkewMs(db: Db): Promise<number> {
  const before = Date.now();
  const { rows } = await db.query<{ ms: unknown }>(
    'SELECT (extract(epoch FROM clock_timestamp()) * 1000)::bigint AS ms',
  );
  return (before + Date.now()) / 2 - int8Of(rows[0]?.ms);
}

/** A store URL as it may be shown: the password replaced by `***`. */
export function maskedUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(an unparsable URL)';
  }
}

function unreachable(store: string, variable: string, url: string, error: unknown): StartupError {
  // pg reports a refused dual-stack connect as an AggregateError whose own message is empty.
  const e = error as { code?: string; message?: string; errors?: Array<{ code?: string }> };
  const reason = e.code || e.errors?.[0]?.code || e.message || 'no answer';
  return new StartupError(`${store} at ${maskedUrl(url)} (${variable}) is unreachable: ${reason}`, {
    cause: error,
  });
}

export async function openStorage(config: Config, say: (line: string) => void = () => {}): Promise<Storage> {
  // One server per embedded data dir: two would each see only their own writes (PGlite is a single-process engine).
  const lock = config.databaseUrl ? undefined : lockDataDir(config.dataDir);
  try {
    const storage = await openStores(config, say);
    return {
      ...storage,
      async close() {
        await storage.close();
        lock?.release();
      },
    };
  } catch (error) {
    lock?.release();
    throw error;
  }
}

async function openStores(config: Config, say: (line: string) => void): Promise<Storage> {
  const db = config.databaseUrl
    ? createPostgresDb({ url: config.databaseUrl })
    : await createPgliteDb({
        dataDir: config.dataDir,
        onFirstStart: () =>
          say(`first start: creating the embedded database in ${config.dataDir} (takes a few seconds)...`),
      });
  if (config.databaseUrl) {
    const url = config.databaseUrl;
    await db.query('SELECT 1').catch(async (error: unknown) => {
      await db.close().catch(() => {});
      throw unreachable('PostgreSQL', 'SPENDGUARD_DATABASE_URL', url, error);
    });
  }
  let redis: Redis | undefined;
  if (config.redisUrl) {
    const url = config.redisUrl;
    redis = await connectRedis(url).catch(async (error: unknown) => {
      await db.close().catch(() => {});
      throw unreachable('Redis', 'SPENDGUARD_REDIS_URL', url, error);
    });
  }
  try {
    const applied = await migrate(db);
    if (applied.length > 0) say(`applied migrations: ${applied.join(', ')}`);
    const skew = await clockSkewMs(db);
    if (Math.abs(skew) > CLOCK_SKEW_MS) {
      say(
        `warning: this machine's clock is ${(Math.abs(skew) / 1000).toFixed(1)} s ${skew > 0 ? 'ahead of' : 'behind'} ` +
          `PostgreSQL's; events decided here may be refused as too old (keep both on NTP; ${CLOCK_SKEW_MS / 1000} s are allowed for)`,
      );
    }
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
