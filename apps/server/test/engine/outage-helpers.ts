// Shared by the outage tests of events and reservations: a Spendguard server whose PostgreSQL and Redis are reached
// through TCP proxies (cut / stall / resume them to make an outage; other tests keep using the shared servers).
import {
  type ApiResponse,
  createTestDatabase,
  newRedisPrefix,
  PG_PORT,
  REDIS_PORT,
  startTestServer,
  type TestDatabase,
  type TestServer,
} from '../harness.js';
import { startTcpProxy, type TcpProxy } from '../tcp-proxy.js';
import type { Json } from './helpers.js';

export interface ProxiedServer {
  server: TestServer;
  pgProxy: TcpProxy;
  redisProxy: TcpProxy;
  /** The test database, reached directly (not through the proxy): what PostgreSQL really holds. */
  databaseUrl: string;
  /** Resumes both proxies, then closes the server, the proxies and the test database. */
  close(): Promise<void>;
}

export async function startBehindProxies(env: Record<string, string> = {}): Promise<ProxiedServer> {
  const database: TestDatabase = await createTestDatabase();
  const pgProxy = await startTcpProxy(PG_PORT);
  const redisProxy = await startTcpProxy(REDIS_PORT);
  const server = await startTestServer({
    databaseUrl: pgProxy.url('postgres', new URL(database.url).pathname),
    redisUrl: redisProxy.url('redis'),
    redisPrefix: newRedisPrefix(),
    env,
  });
  return {
    server,
    pgProxy,
    redisProxy,
    databaseUrl: database.url,
    async close() {
      pgProxy.resume();
      redisProxy.resume();
      await server.close();
      await pgProxy.close();
      await redisProxy.close();
      await database.drop();
    },
  };
}

export async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = Date.now();
  const value = await fn();
  return { value, ms: Date.now() - started };
}

/** The client's retry loop: the same request (same key) until it is no longer 409 in flight / 503. */
export async function retryUntilSettled<R extends { status: number } = ApiResponse<Json>>(
  send: () => Promise<R>,
  maxMs = 20_000,
): Promise<R> {
  const started = Date.now();
  for (;;) {
    const r = await send();
    if ((r.status !== 409 && r.status !== 503) || Date.now() - started > maxMs) return r;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
