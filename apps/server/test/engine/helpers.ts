// Helpers for the budget engine tests: a server built on given store URLs (e.g. through a tcp-proxy), event
// posting, and direct reads of PostgreSQL's truth to compare against.
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { buildApp, type SpendguardApp } from '../../src/app.js';
import { parseConfig } from '../../src/config.js';
import { migrate } from '../../src/db/migrate.js';
import { createPostgresDb } from '../../src/db/postgres.js';
import { connectRedis } from '../../src/redis.js';
import { type ApiResponse, api, REDIS_URL, uniqueSuffix } from '../harness.js';

// biome-ignore lint/suspicious/noExplicitAny: test convenience — response bodies are inspected ad hoc in assertions
export type Json = any;

export interface BuiltServer {
  url: string;
  app: SpendguardApp;
  close(): Promise<void>;
}

/** A server whose PostgreSQL and Redis URLs are given (a tcp-proxy's, to simulate outages). */
export async function startServerOn(options: {
  databaseUrl: string;
  redisUrl?: string;
  redisPrefix: string;
}): Promise<BuiltServer> {
  const config = parseConfig({
    SPENDGUARD_DATA_DIR: mkdtempSync(join(tmpdir(), 'sg-engine-')),
    SPENDGUARD_SESSION_SECRET: randomBytes(32).toString('hex'),
    SPENDGUARD_LOG_LEVEL: 'silent',
    SPENDGUARD_DATABASE_URL: options.databaseUrl,
    SPENDGUARD_REDIS_URL: options.redisUrl ?? REDIS_URL,
    SPENDGUARD_REDIS_PREFIX: options.redisPrefix,
  });
  const db = createPostgresDb({ url: options.databaseUrl });
  await migrate(db);
  const redis = await connectRedis(options.redisUrl ?? REDIS_URL);
  const app = await buildApp({ config, db, redis });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    app,
    async close() {
      await app.close();
      redis.disconnect();
      await db.close();
    },
  };
}

export function newPrefix(): string {
  return `sgtest:${uniqueSuffix()}`;
}

export async function createAgent(
  url: string,
  key: string,
  name: string,
  limits: Record<string, unknown> = {},
): Promise<ApiResponse<Json>> {
  const res = await api(url, '/v1/agents', { key, body: { name, limits } });
  if (res.status !== 201) throw new Error(`agent creation failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res;
}

export function postEvent(
  url: string,
  key: string,
  body: Record<string, unknown>,
  idempotencyKey: string = `k-${randomBytes(8).toString('hex')}`,
): Promise<ApiResponse<Json>> {
  return api(url, '/v1/events', { key, body, headers: { 'idempotency-key': idempotencyKey } });
}

/** One query against a database by URL (the test's view of PostgreSQL's truth). */
export async function sql<R = Record<string, unknown>>(
  databaseUrl: string,
  text: string,
  params: unknown[] = [],
) {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return (await client.query(text, params)).rows as R[];
  } finally {
    await client.end();
  }
}

/** Accepted spend and event count of one agent (by name) in PostgreSQL, from events and from spend_daily. */
export async function dbSpend(databaseUrl: string, customerId: string, agent: string) {
  const [events] = await sql<{ spent: string; n: string }>(
    databaseUrl,
    `SELECT coalesce(sum(e.cost_micros), 0) AS spent, count(*) AS n FROM events e JOIN agents a ON a.id = e.agent_id
     WHERE e.customer_id = $1 AND a.name = $2 AND e.status = 'accepted'`,
    [customerId, agent],
  );
  const [daily] = await sql<{ spent: string }>(
    databaseUrl,
    `SELECT coalesce(sum(d.spent_micros), 0) AS spent FROM spend_daily d JOIN agents a ON a.id = d.agent_id
     WHERE d.customer_id = $1 AND a.name = $2`,
    [customerId, agent],
  );
  return { events: Number(events?.spent), count: Number(events?.n), daily: Number(daily?.spent) };
}

export function countStatuses(responses: ApiResponse<Json>[]): Record<number, number> {
  const out: Record<number, number> = {};
  for (const r of responses) out[r.status] = (out[r.status] ?? 0) + 1;
  return out;
}
