// Auth services built once per app: the session store, the API key resolver (with its revocation-safe cache) and
// the brute-force limiter for login and signup.
import type { BaseContext } from '../context.js';
import { type ApiKeyResolver, createApiKeyResolver } from './api-keys.js';
import { type BruteForceGuard, createBruteForceGuard } from './brute-force.js';
import { createMemoryAttemptCounter, createRedisAttemptCounter } from './rate-limit.js';
import { createSessionStore, type SessionStore } from './sessions.js';

export interface AuthServices {
  sessions: SessionStore;
  apiKeys: ApiKeyResolver;
  bruteForce: BruteForceGuard;
}

export async function createAuthServices(base: BaseContext): Promise<AuthServices> {
  const counter = base.redis
    ? createRedisAttemptCounter(base.redis, `${base.config.redisPrefix}:rl`, base.log)
    : createMemoryAttemptCounter();
  return {
    sessions: createSessionStore(base.db),
    apiKeys: createApiKeyResolver({
      db: base.db,
      redis: base.redis,
      redisPrefix: base.config.redisPrefix,
      log: base.log,
    }),
    bruteForce: createBruteForceGuard(counter),
  };
}
