// Everything a route or service needs, built once per app by buildApp(). Subsystems own their part:
// auth/services.ts builds `auth`, spend/services.ts builds `spend`. Order matters: auth first, spend second.
import type { FastifyBaseLogger } from 'fastify';
import type { Redis } from 'ioredis';
import { type AuthServices, createAuthServices } from './auth/services.js';
import type { Config } from './config.js';
import type { Db } from './db/types.js';
import type { Bus } from './live/bus.js';
import type { Metrics } from './observability/metrics.js';
import { createSpendServices, type SpendServices } from './spend/services.js';

export interface BaseContext {
  config: Config;
  db: Db;
  redis: Redis | undefined;
  bus: Bus;
  log: FastifyBaseLogger;
  metrics: Metrics;
  /** Registers cleanup run when the app closes (after the HTTP server stopped accepting requests), in reverse order. */
  onClose(fn: () => Promise<void>): void;
}

export interface AppContext extends BaseContext {
  auth: AuthServices;
  spend: SpendServices;
}

export async function createContext(base: BaseContext): Promise<AppContext> {
  const auth = await createAuthServices(base);
  const spend = await createSpendServices({ ...base, auth });
  return { ...base, auth, spend };
}
