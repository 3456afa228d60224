// Fan-out of live changes (spend, agent status/limits, declines, cache invalidations) to every instance:
// Redis pub/sub when Redis is configured, an in-process emitter otherwise (embedded default, one instance).
import { EventEmitter } from 'node:events';
import type { Redis } from 'ioredis';

export type BusHandler = (message: unknown) => void;

export interface Bus {
  publish(channel: string, message: unknown): Promise<void>;
  /** Returns an unsubscribe function. */
  subscribe(channel: string, handler: BusHandler): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

export function createMemoryBus(): Bus {
  const emitter = new EventEmitter();
  emitter.setMaxListeners(0);
  return {
    async publish(channel, message) {
      emitter.emit(channel, message);
    },
    async subscribe(channel, handler) {
      emitter.on(channel, handler);
      return async () => {
        emitter.off(channel, handler);
      };
    },
    async close() {
      emitter.removeAllListeners();
    },
  };
}

/** Channels are prefixed so deployments/test runs sharing one Redis never hear each other. */
export function createRedisBus(redis: Redis, prefix: string): Bus {
  // A subscribed connection can do nothing else, hence the dedicated duplicate.
  const subscriber = redis.duplicate({ enableOfflineQueue: true, lazyConnect: false });
  subscriber.on('error', () => {});
  const local = createMemoryBus();
  const counts = new Map<string, number>();
  subscriber.on('message', (fullChannel: string, payload: string) => {
    const channel = fullChannel.slice(prefix.length + 1);
    let message: unknown;
    try {
      message = JSON.parse(payload);
    } catch {
      return;
    }
    void local.publish(channel, message);
  });
  return {
    async publish(channel, message) {
      await redis.publish(`${prefix}:${channel}`, JSON.stringify(message));
    },
    async subscribe(channel, handler) {
      const n = counts.get(channel) ?? 0;
      counts.set(channel, n + 1);
      if (n === 0) await subscriber.subscribe(`${prefix}:${channel}`);
      const off = await local.subscribe(channel, handler);
      return async () => {
        await off();
        const left = (counts.get(channel) ?? 1) - 1;
        counts.set(channel, left);
        if (left === 0) {
          counts.delete(channel);
          await subscriber.unsubscribe(`${prefix}:${channel}`).catch(() => {});
        }
      };
    },
    async close() {
      await local.close();
      subscriber.disconnect();
    },
  };
}
