// Readiness (docs/api.md §10): PostgreSQL answers, and Redis when it is configured, each within a bound — a stalled
// dependency makes the instance unready rather than hanging the probe.
import type { Redis } from 'ioredis';
import type { Static } from 'typebox';
import type { Db } from '../db/types.js';
import type { ReadySchema } from '../schemas/operations.js';
import { withTimeout } from '../with-timeout.js';

const READY_TIMEOUT_MS = 1_500;

export type Readiness = Static<typeof ReadySchema>;

const probe = (check: Promise<unknown>) =>
  withTimeout(check, READY_TIMEOUT_MS).then(
    () => 'ok' as const,
    () => 'down' as const,
  );

export async function checkReadiness(db: Db, redis: Redis | undefined): Promise<Readiness> {
  const [database, cache] = await Promise.all([
    probe(db.query('SELECT 1')),
    redis ? probe(redis.ping()) : Promise.resolve('not_configured' as const),
  ]);
  const ready = database === 'ok' && cache !== 'down';
  return { status: ready ? 'ready' : 'unavailable', checks: { database, redis: cache } };
}
