// Test harness: real PostgreSQL and Redis, a fresh database and Redis key prefix per call, never shared.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyBaseLogger } from 'fastify';
import pg from 'pg';
import { buildApp, type SpendguardApp } from '../src/app.js';
import { parseConfig } from '../src/config.js';
import { migrate } from '../src/db/migrate.js';
import { createPgliteDb } from '../src/db/pglite.js';
import { createPostgresDb } from '../src/db/postgres.js';
import type { Db } from '../src/db/types.js';
import { connectRedis } from '../src/redis.js';

export const PG_ADMIN_URL = process.env.TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
/** The ports of the two servers, for a TCP proxy (tcp-proxy.ts) placed in front of either. */
export const PG_PORT = Number(new URL(PG_ADMIN_URL).port || 5432);
export const REDIS_PORT = Number(new URL(REDIS_URL).port || 6379);

/** A TCP port nothing listens on right now (for servers a test starts as child processes). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

export function uniqueSuffix(): string {
  return `${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
}

export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

/** Creates an empty database `sg_test_<unique>` on the local PostgreSQL server. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `sg_test_${uniqueSuffix()}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = PG_ADMIN_URL.replace(/\/[^/]*$/, `/${name}`);
  return {
    url,
    async drop() {
      const c = new pg.Client({ connectionString: PG_ADMIN_URL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

export type Backend = 'postgres' | 'pglite';

/** A migrated database of either backend, for storage-layer tests that run against both. */
export async function openTestDb(backend: Backend): Promise<{ db: Db; close(): Promise<void> }> {
  if (backend === 'pglite') {
    const db = await createPgliteDb({ dataDir: undefined });
    await migrate(db);
    return { db, close: () => db.close() };
  }
  const database = await createTestDatabase();
  const db = createPostgresDb({ url: database.url });
  await migrate(db);
  return {
    db,
    async close() {
      await db.close();
      await database.drop();
    },
  };
}

/** A Redis key prefix no other test run uses. */
export function newRedisPrefix(): string {
  return `sgtest:${uniqueSuffix()}`;
}

/**
 * Test servers start new customers without the 10 USD default agent limit (docs/api.md §8): suites spend freely on
 * agents their events create. The default itself is tested where it is the subject (test/routes/safe-defaults.test.ts),
 * which starts its server with `productDefaults: true`.
 */
export const NO_DEFAULT_AGENT_LIMIT = { SPENDGUARD_DEFAULT_AGENT_MONTH_USD: '' };

export interface TestServerOptions {
  /** Use Redis for counters/bus (default true). false = in-process counters (the embedded default's store). */
  redis?: boolean;
  /** Embedded PGlite (in memory) instead of a PostgreSQL server database. Implies redis: false unless set. */
  embedded?: boolean;
  /** Share an existing database/prefix (two instances behind the same stores). */
  databaseUrl?: string;
  redisPrefix?: string;
  /** Reach Redis here instead of REDIS_URL (a tcp-proxy's URL, to simulate outages). */
  redisUrl?: string;
  sessionSecret?: string;
  env?: Record<string, string>;
  /** Start new customers as the product does, with the 10 USD default agent limit (see NO_DEFAULT_AGENT_LIMIT). */
  productDefaults?: boolean;
  logger?: FastifyBaseLogger;
}

export interface TestServer {
  url: string;
  app: SpendguardApp;
  databaseUrl: string | undefined;
  redisPrefix: string;
  close(): Promise<void>;
}

/** How many running test servers of this process use each Redis prefix. */
const prefixUsers = new Map<string, number>();

export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const embedded = options.embedded ?? false;
  const useRedis = options.redis ?? !embedded;
  const ownDatabase = !embedded && !options.databaseUrl ? await createTestDatabase() : undefined;
  const databaseUrl = embedded ? undefined : (options.databaseUrl ?? ownDatabase?.url);
  const redisPrefix = options.redisPrefix ?? newRedisPrefix();
  const redisUrl = options.redisUrl ?? REDIS_URL;
  if (useRedis) prefixUsers.set(redisPrefix, (prefixUsers.get(redisPrefix) ?? 0) + 1);
  const config = parseConfig({
    SPENDGUARD_DATA_DIR: mkdtempSync(join(tmpdir(), 'sg-test-')),
    // Instances behind the same stores share the secret, as a real deployment does (a cookie from A works on B).
    // Derived from the database so a second instance on it gets the same secret without being told.
    SPENDGUARD_SESSION_SECRET:
      options.sessionSecret ??
      (databaseUrl
        ? createHash('sha256').update(`session:${databaseUrl}`).digest('hex')
        : randomBytes(32).toString('hex')),
    // Likewise the key of provider credentials: instance B decrypts what instance A stored.
    ...(databaseUrl
      ? { SPENDGUARD_ENCRYPTION_KEY: createHash('sha256').update(`credentials:${databaseUrl}`).digest('hex') }
      : {}),
    SPENDGUARD_LOG_LEVEL: 'silent',
    // Every answer of every suite is checked against the route's declared response schema.
    SPENDGUARD_CHECK_RESPONSES: '1',
    ...(options.productDefaults ? {} : NO_DEFAULT_AGENT_LIMIT),
    ...(databaseUrl ? { SPENDGUARD_DATABASE_URL: databaseUrl } : {}),
    ...(useRedis ? { SPENDGUARD_REDIS_URL: redisUrl, SPENDGUARD_REDIS_PREFIX: redisPrefix } : {}),
    ...options.env,
  });
  const db = databaseUrl
    ? createPostgresDb({ url: databaseUrl })
    : await createPgliteDb({ dataDir: undefined });
  await migrate(db);
  const redis = useRedis ? await connectRedis(redisUrl) : undefined;
  const app = await buildApp({ config, db, redis, ...(options.logger ? { logger: options.logger } : {}) });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    app,
    databaseUrl,
    redisPrefix,
    async close() {
      await app.close();
      if (redis) {
        // The last instance on a prefix cleans it: closing a second instance must not wipe the first one's keys.
        const users = (prefixUsers.get(redisPrefix) ?? 1) - 1;
        prefixUsers.set(redisPrefix, users);
        if (users === 0) {
          prefixUsers.delete(redisPrefix);
          const keys = await redis.keys(`${redisPrefix}:*`);
          if (keys.length > 0) await redis.del(...keys);
        }
        redis.disconnect();
      }
      await db.close();
      await ownDatabase?.drop();
    },
  };
}

/**
 * Another instance of `first`'s deployment: the same PostgreSQL database and Redis prefix (and so, derived from the
 * database, the same session secret). The first instance owns the database: close it last.
 */
export function startSecondInstance(first: TestServer, options: TestServerOptions = {}): Promise<TestServer> {
  if (first.databaseUrl === undefined)
    throw new Error('a second instance needs a PostgreSQL server database');
  return startTestServer({ ...options, databaseUrl: first.databaseUrl, redisPrefix: first.redisPrefix });
}

export interface ApiResponse<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  body: T;
}

export interface ApiOptions {
  method?: string;
  body?: unknown;
  /** An API key (sent as Bearer) */
  key?: string;
  /** Cookie header value, e.g. 'sg_session=...' */
  cookie?: string;
  csrf?: string;
  headers?: Record<string, string>;
}

/** fetch() with JSON in and out; never throws on HTTP errors. */
// biome-ignore lint/suspicious/noExplicitAny: test convenience — bodies are inspected ad hoc in assertions
export async function api<T = any>(
  baseUrl: string,
  path: string,
  options: ApiOptions = {},
): Promise<ApiResponse<T>> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.body !== undefined && !headers['content-type']) headers['content-type'] = 'application/json';
  if (options.key) headers.authorization = `Bearer ${options.key}`;
  if (options.cookie) headers.cookie = options.cookie;
  if (options.csrf) headers['x-csrf-token'] = options.csrf;
  const response = await fetch(`${baseUrl}${path}`, {
    method: options.method ?? (options.body === undefined ? 'GET' : 'POST'),
    headers,
    body:
      options.body === undefined
        ? undefined
        : typeof options.body === 'string'
          ? options.body
          : JSON.stringify(options.body),
  });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    // not JSON: keep the text
  }
  return { status: response.status, headers: response.headers, body: body as T };
}

/** The session cookie from a Set-Cookie header, as a Cookie header value. */
export function sessionCookie(response: ApiResponse): string {
  const setCookie = response.headers.getSetCookie();
  const session = setCookie.find((c) => c.startsWith('sg_session='));
  if (!session) throw new Error(`no session cookie in response (status ${response.status})`);
  return session.split(';')[0] ?? '';
}

export interface Tenant {
  email: string;
  password: string;
  cookie: string;
  csrf: string;
  customerId: string;
  userId: string;
  adminKey: string;
  adminKeyId: string;
}

/** Signs up a fresh customer and creates an admin API key for it; `who` names it (the screenshots' account). */
export async function signupAndAdminKey(
  baseUrl: string,
  who: { email?: string; company?: string } = {},
): Promise<Tenant> {
  const email = who.email ?? `user-${uniqueSuffix()}@example.test`;
  const password = `pw-${randomBytes(12).toString('hex')}`;
  const signup = await api(baseUrl, '/v1/auth/signup', {
    body: { email, password, company: who.company ?? `Company ${uniqueSuffix()}` },
  });
  if (signup.status !== 201)
    throw new Error(`signup failed: ${signup.status} ${JSON.stringify(signup.body)}`);
  const cookie = sessionCookie(signup);
  const csrf = signup.body.csrf_token as string;
  const key = await api(baseUrl, '/v1/api-keys', {
    body: { name: 'test admin', kind: 'admin' },
    cookie,
    csrf,
  });
  if (key.status !== 201)
    throw new Error(`api key creation failed: ${key.status} ${JSON.stringify(key.body)}`);
  return {
    email,
    password,
    cookie,
    csrf,
    customerId: signup.body.customer.id,
    userId: signup.body.user.id,
    adminKey: key.body.key,
    adminKeyId: key.body.id,
  };
}

const SERVER_MAIN = join(import.meta.dirname, '..', 'src', 'main.ts');

/**
 * Runs the entry point until it exits by itself (a start that must fail), with PATH and `env` only — none of this
 * process's settings leak in — and returns its exit status and stderr.
 */
export function runServerToExit(env: Record<string, string>): { status: number | null; stderr: string } {
  const result = spawnSync(process.execPath, ['--import', import.meta.resolve('tsx'), SERVER_MAIN], {
    env: { PATH: process.env.PATH ?? '', ...env },
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { status: result.status, stderr: result.stderr };
}

export interface ServerProcess {
  url: string;
  child: ChildProcess;
  /** SIGKILL (kill -9) and wait until it is gone. */
  kill(): Promise<void>;
  /** SIGTERM (a graceful stop) and its exit code. */
  stop(): Promise<number | null>;
  /** What it printed so far (stdout and stderr). */
  output(): string;
}

/**
 * Starts apps/server/src/main.ts as its own process and waits for "listening on". Every variable of this process's
 * environment passes through unless `env` overrides it; by default a fresh data dir, port 0, quiet logs. `cwd`: where
 * it runs (and reads a `.env` from).
 */
export function startServerProcess(
  env: Record<string, string>,
  nodeArgs: string[] = [],
  cwd: string = process.cwd(),
): Promise<ServerProcess> {
  // tsx and the entry point by path: the process may run in any directory.
  const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), ...nodeArgs, SERVER_MAIN], {
    cwd,
    env: {
      ...process.env,
      SPENDGUARD_DATA_DIR: mkdtempSync(join(tmpdir(), 'sg-process-')),
      SPENDGUARD_SESSION_SECRET: randomBytes(32).toString('hex'),
      SPENDGUARD_PORT: '0',
      SPENDGUARD_LOG_LEVEL: 'silent',
      ...NO_DEFAULT_AGENT_LIMIT,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`server did not start: ${out}`)), 30_000);
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      const match = /listening on (http:\/\/[^\s]+)/.exec(out);
      if (match) {
        clearTimeout(timer);
        const running = () => child.exitCode === null && child.signalCode === null;
        resolve({
          url: match[1] as string,
          child,
          async kill() {
            if (running()) child.kill('SIGKILL');
            await exited;
          },
          async stop() {
            if (running()) child.kill('SIGTERM');
            return exited;
          },
          output: () => out,
        });
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited (${code}): ${out}`));
    });
  });
}
