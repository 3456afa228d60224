// Redis client with bounded waits: no offline queue (a command while disconnected fails at once instead of
// queueing), a per-command timeout, and reconnection in the background so service resumes when Redis returns.
// Commands whose reply was lost when a connection broke are NOT re-sent after reconnecting (ioredis would by
// default): the spend store's callers run an operation again themselves, with the same token, when they need to
// (spend/store.ts) — a blind re-send of a non-idempotent command is how an undo ran twice.
import { Redis } from 'ioredis';

export function createRedis(url: string): Redis {
  return new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    autoResendUnfulfilledCommands: false,
    connectTimeout: 2_000,
    commandTimeout: 1_500,
    retryStrategy: (attempt) => Math.min(attempt * 100, 1_000),
  });
}

export async function connectRedis(url: string): Promise<Redis> {
  const redis = createRedis(url);
  // Without a listener an 'error' event (e.g. Redis restarting) would crash the process.
  redis.on('error', () => {});
  try {
    await redis.connect();
  } catch (error) {
    // No reconnecting in the background for a client nobody holds.
    redis.disconnect();
    throw error;
  }
  return redis;
}
