// Shared by the fault tests: two instances of one deployment (one behind proxies, one direct), a real server process
// (for kill -9 and for a skewed clock), the client's retry loop, filling a budget to its limit, PostgreSQL's truth.
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  type ApiResponse,
  api,
  createTestDatabase,
  newRedisPrefix,
  PG_PORT,
  REDIS_URL,
  type ServerProcess,
  startServerProcess,
  startTestServer,
  type TestDatabase,
  type TestServer,
} from '../../harness.js';
import { startTcpProxy, type TcpProxy } from '../../tcp-proxy.js';
import { type Json, postEvent, sql } from '../helpers.js';
import { type ProxiedServer, startBehindProxies } from '../outage-helpers.js';

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
export const USD = 1_000_000;
export const newKey = (tag = 'k') => `${tag}-${randomBytes(8).toString('hex')}`;

/** Resolves with `promise`, or rejects after `ms` naming `what` (a fault that never fired must not hang a test). */
export async function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Instance A behind PostgreSQL and Redis proxies, and instance B of the same deployment reaching both directly. */
export interface Deployment extends ProxiedServer {
  a: TestServer;
  b: TestServer;
}

export async function startDeployment(): Promise<Deployment> {
  const proxied = await startBehindProxies();
  const b = await startTestServer({
    databaseUrl: proxied.databaseUrl,
    redisPrefix: proxied.server.redisPrefix,
  });
  return {
    ...proxied,
    a: proxied.server,
    b,
    async close() {
      await b.close();
      await proxied.close();
    },
  };
}

/**
 * Two instances of one deployment (one database, one Redis prefix): `child`, a real server process reaching
 * PostgreSQL through `pgProxy` (a test cuts or stalls that link, or kills the process), and `server`, an in-process
 * instance reaching PostgreSQL directly — the one that survives.
 */
export interface ProcessAndSurvivor {
  database: TestDatabase;
  pgProxy: TcpProxy;
  child: ServerProcess;
  server: TestServer;
  close(): Promise<void>;
}

export async function startProcessAndSurvivor(): Promise<ProcessAndSurvivor> {
  const database = await createTestDatabase();
  const pgProxy = await startTcpProxy(PG_PORT);
  const prefix = newRedisPrefix();
  let child: ServerProcess | undefined;
  let server: TestServer | undefined;
  const close = async () => {
    pgProxy.resume();
    await child?.kill();
    await server?.close();
    await pgProxy.close();
    await database.drop();
  };
  try {
    child = await startServerProcess({
      SPENDGUARD_DATABASE_URL: pgProxy.url('postgres', new URL(database.url).pathname),
      SPENDGUARD_REDIS_URL: REDIS_URL,
      SPENDGUARD_REDIS_PREFIX: prefix,
    });
    server = await startTestServer({ databaseUrl: database.url, redisPrefix: prefix });
    return { database, pgProxy, child, server, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/** The client's retry loop (docs/api.md §4: 503 and 409 in flight are safe to retry with the same key), bounded in time. */
export async function retrying(
  send: () => Promise<ApiResponse<Json>>,
  maxMs = 10_000,
  pauseMs = 200,
): Promise<ApiResponse<Json>> {
  const started = Date.now();
  for (;;) {
    let r: ApiResponse<Json>;
    try {
      r = await send();
    } catch (error) {
      // The connection to the server died (a killed process): the outcome is unknown, retry.
      if (Date.now() - started > maxMs) throw error;
      await sleep(pauseMs);
      continue;
    }
    if ((r.status !== 409 && r.status !== 503) || Date.now() - started > maxMs) return r;
    await sleep(pauseMs);
  }
}

/**
 * Posts events of `costMicros` (new keys, each retried on 503/409) until one is declined or `max` were sent, as a
 * client spending up to its limit does. Returns the statuses.
 */
export async function fillToLimit(
  url: string,
  key: string,
  agent: string,
  costMicros: number,
  max = 20,
): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < max; i++) {
    const k = newKey('fill');
    const r = await retrying(() => postEvent(url, key, { agent, cost_micros: costMicros }, k));
    statuses.push(r.status);
    if (r.status !== 201) break;
  }
  return statuses;
}

export async function agentIdOf(databaseUrl: string, customerId: string, name: string): Promise<string> {
  const [row] = await sql<{ id: string }>(
    databaseUrl,
    'SELECT id FROM agents WHERE customer_id = $1 AND name = $2',
    [customerId, name],
  );
  if (!row) throw new Error(`no agent ${name}`);
  return row.id;
}

/** The agent's kill switch as PostgreSQL holds it. */
export async function dbAgentStatus(databaseUrl: string, customerId: string, name: string) {
  const [row] = await sql<{ status: string; suspended_reason: string | null }>(
    databaseUrl,
    'SELECT status, suspended_reason FROM agents WHERE customer_id = $1 AND name = $2',
    [customerId, name],
  );
  if (!row) throw new Error(`no agent ${name}`);
  return row;
}

/**
 * The most accepted spend of one agent inside any window of `windowSeconds` (by recorded_at), from PostgreSQL: what
 * a velocity limit promises never to exceed.
 */
export async function maxWindowSpend(
  databaseUrl: string,
  customerId: string,
  name: string,
  windowSeconds: number,
): Promise<number> {
  const [row] = await sql<{ worst: string | null }>(
    databaseUrl,
    `SELECT max(w.spent) AS worst FROM (
       SELECT (SELECT sum(e2.cost_micros) FROM events e2
                WHERE e2.agent_id = e.agent_id AND e2.status = 'accepted'
                  AND e2.recorded_at >= e.recorded_at
                  AND e2.recorded_at < e.recorded_at + make_interval(secs => $3)) AS spent
       FROM events e JOIN agents a ON a.id = e.agent_id
       WHERE e.customer_id = $1 AND a.name = $2 AND e.status = 'accepted') w`,
    [customerId, name, windowSeconds],
  );
  return Number(row?.worst ?? 0);
}

/** GET /v1/agents/{name}: what the API shows. */
export async function getAgent(url: string, key: string, name: string): Promise<Json> {
  const r = await api(url, `/v1/agents/${name}`, { key });
  if (r.status !== 200) throw new Error(`GET agent ${name}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

// --- a real server process (harness.ts startServerProcess starts it) -------------------------------------------

/** Preload that moves one process's clock (Date.now) by SG_TEST_CLOCK_OFFSET_MS: a machine whose clock is off. */
export const CLOCK_OFFSET_PRELOAD = pathToFileURL(
  join(dirname(fileURLToPath(import.meta.url)), 'clock-offset.mjs'),
).href;
