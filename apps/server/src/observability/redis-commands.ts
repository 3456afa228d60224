// Counts every command this instance sends to Redis (spendguard_redis_commands_total): the hot path's budget is
// about one per accepted event (docs/architecture.md "Hot path"), and Redis's own INFO commandstats cannot show it —
// it also counts every command a Lua script runs inside. The bench divides this counter by the events answered.
import type { Redis } from 'ioredis';
import type { Metrics } from './metrics.js';

/** Connections already counted (two apps in one process may share one, as tests do): counted once, by the first. */
const counted = new WeakSet<Redis>();

export function countRedisCommands(redis: Redis, metrics: Pick<Metrics, 'redisCommands'>): void {
  if (counted.has(redis)) return;
  counted.add(redis);
  // Every command goes through sendCommand, a defined script's EVALSHA (and its EVAL fallback on NOSCRIPT) included.
  const send = redis.sendCommand.bind(redis);
  redis.sendCommand = ((...args: Parameters<Redis['sendCommand']>) => {
    metrics.redisCommands.inc({ command: args[0].name.toLowerCase() });
    return send(...args);
  }) as Redis['sendCommand'];
}
