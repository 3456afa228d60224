// The system under test: a fresh PostgreSQL database, a Redis of the run's own (redis-server started as a child
// process on a free port: nothing else sends it commands, so its INFO commandstats are the servers' alone, and its
// pid is known), a unique Redis prefix, and the real server started as child processes, so its memory can be read from /proc. By default the server is the compiled build run by plain node, as
// in production (`npm run build:server`, `npm run start:built`); `--source` runs it from source under tsx as
// `npm start` does (about 80 MB more RSS: tsx's loader thread and esbuild). Also starts the bare ceiling server and the
// LLM provider simulator of the gateway phase.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import pg from 'pg';
import { parseCommandStats } from './redis-commands.js';
import { METRICS_TOKEN } from './server-metrics.js';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const PG_ADMIN_URL = process.env.TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
/** Debian's redis-server (scripts/ci/ensure-system.sh installs it); found on PATH. */
const REDIS_SERVER = 'redis-server';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

export interface PrivateRedis {
  url: string;
  pid: number;
  /** INFO commandstats, parsed: calls so far by command (this call's INFO is not in it; the previous ones are). */
  commandStats(): Promise<Map<string, number>>;
  /** Stops the server (nothing is saved) and removes its directory. */
  stop(): Promise<void>;
}

/**
 * The run's own Redis: redis-server on a free port of 127.0.0.1, no persistence (`--save '' --appendonly no`), a temp
 * directory of its own. Keeps one connection open for the INFO snapshots, opened now so that its handshake falls in
 * no measured window.
 */
export async function startRedis(): Promise<PrivateRedis> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'sg-bench-redis-'));
  const child: ChildProcess = spawn(
    REDIS_SERVER,
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
    { cwd: dir, env: { PATH: process.env.PATH ?? '' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const removeDir = () => rmSync(dir, { recursive: true, force: true });
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`redis-server did not start in 20 s: ${output}`)),
        20_000,
      );
      const done = (error?: Error) => {
        clearTimeout(timer);
        child.stdout?.off('data', ready);
        if (error) reject(error);
        else resolve();
      };
      const ready = () => {
        if (/Ready to accept connections/.test(output)) done();
      };
      child.stdout?.on('data', ready);
      child.once('error', (error: NodeJS.ErrnoException) =>
        done(
          error.code === 'ENOENT'
            ? new Error(`${REDIS_SERVER} not found on PATH: install Debian's redis-server package`)
            : error,
        ),
      );
      child.once('exit', (code) => done(new Error(`redis-server exited at start (${code}): ${output}`)));
    });
  } catch (error) {
    child.kill('SIGKILL');
    removeDir();
    throw error;
  }
  const url = `redis://127.0.0.1:${port}`;
  const stats = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  const stop = async () => {
    stats.disconnect();
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    }
    removeDir();
  };
  try {
    await stats.connect();
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    url,
    pid: child.pid ?? 0,
    commandStats: async () => parseCommandStats(await stats.info('commandstats')),
    stop,
  };
}

export interface Stores {
  databaseUrl: string;
  redisUrl: string;
  redisPrefix: string;
  query<T extends Record<string, unknown>>(sql: string): Promise<T[]>;
  versions(): Promise<{ postgres: string; redis: string }>;
  drop(): Promise<void>;
}

export async function createStores(redisUrl: string): Promise<Stores> {
  const suffix = `${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  const name = `sg_bench_${suffix}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const databaseUrl = PG_ADMIN_URL.replace(/\/[^/]*$/, `/${name}`);
  const redisPrefix = `sgbench:${suffix}`;
  return {
    databaseUrl,
    redisUrl,
    redisPrefix,
    async query<T extends Record<string, unknown>>(sql: string) {
      const client = new pg.Client({ connectionString: databaseUrl });
      await client.connect();
      try {
        return (await client.query(sql)).rows as T[];
      } finally {
        await client.end();
      }
    },
    async versions() {
      const client = new pg.Client({ connectionString: databaseUrl });
      await client.connect();
      const row = (await client.query('SHOW server_version')).rows[0] as { server_version: string };
      await client.end();
      const redis = new Redis(redisUrl, { lazyConnect: true });
      await redis.connect();
      const info = await redis.info('server');
      redis.disconnect();
      return { postgres: row.server_version, redis: /redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown' };
    },
    async drop() {
      const redis = new Redis(redisUrl, { lazyConnect: true });
      await redis.connect();
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${redisPrefix}:*`, 'COUNT', 1000);
        cursor = next;
        if (keys.length > 0) await redis.del(...keys);
      } while (cursor !== '0');
      redis.disconnect();
      const c = new pg.Client({ connectionString: PG_ADMIN_URL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

export interface Child {
  url: string;
  pid: number;
  /** Highest VmRSS seen since the last reset, in bytes. */
  peakRss(): number;
  resetPeakRss(): void;
  stop(): Promise<number | null>;
}

function readRss(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = /VmRSS:\s+(\d+) kB/.exec(status)?.[1];
    return kb ? Number(kb) * 1024 : 0;
  } catch {
    return 0;
  }
}

async function startChild(args: string[], env: NodeJS.ProcessEnv, port: number): Promise<Child> {
  const child: ChildProcess = spawn(process.execPath, args, {
    cwd: ROOT,
    env,
    // The server writes one info line per request; discarding it keeps the pipe from throttling the server.
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`child exited at start: ${stderr.slice(-2000)}`);
    try {
      if ((await fetch(`${url}/healthz`)).status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`child did not start in 60 s: ${stderr.slice(-2000)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const pid = child.pid ?? 0;
  let peak = readRss(pid);
  const sampler = setInterval(() => {
    peak = Math.max(peak, readRss(pid));
  }, 200);
  sampler.unref();
  return {
    url,
    pid,
    peakRss: () => Math.max(peak, readRss(pid)),
    resetPeakRss: () => {
      peak = readRss(pid);
    },
    async stop() {
      clearInterval(sampler);
      if (child.exitCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

/** Compiles the server (tsc + Lua scripts into apps/server/dist); throws with the compiler's output on failure. */
export function buildServer(): void {
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const result = spawnSync(npm, ['run', 'build:server', '--silent'], { cwd: ROOT, encoding: 'utf8' });
  if (result.status !== 0)
    throw new Error(`npm run build:server failed:\n${result.stdout ?? ''}${result.stderr ?? ''}`.trim());
}

export async function startSpendguard(
  stores: Stores,
  options: { logLevel: string; fromSource: boolean; profileDir?: string | undefined },
): Promise<Child> {
  const port = await freePort();
  // --cpu-prof writes a V8 CPU profile when the process exits (bench/src/profile-summary.ts reads it).
  const profile = options.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${options.profileDir}`] : [];
  const entry = options.fromSource
    ? ['--import', 'tsx', 'apps/server/src/main.ts']
    : ['apps/server/dist/main.js'];
  return startChild(
    [...profile, ...entry],
    {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      NODE_ENV: 'production',
      SPENDGUARD_DATABASE_URL: stores.databaseUrl,
      SPENDGUARD_REDIS_URL: stores.redisUrl,
      SPENDGUARD_REDIS_PREFIX: stores.redisPrefix,
      SPENDGUARD_DATA_DIR: mkdtempSync(join(tmpdir(), 'sg-bench-')),
      SPENDGUARD_SESSION_SECRET: randomBytes(32).toString('hex'),
      SPENDGUARD_HOST: '127.0.0.1',
      SPENDGUARD_PORT: String(port),
      SPENDGUARD_LOG_LEVEL: options.logLevel,
      SPENDGUARD_METRICS_TOKEN: METRICS_TOKEN,
      // The bench's tenants spend far more than the 10 USD default agent limit: it measures the hot path, not that.
      SPENDGUARD_DEFAULT_AGENT_MONTH_USD: '',
      // The gateway phase: provider keys are stored encrypted (production generates no key of its own), and the
      // upstream is the local simulator on 127.0.0.1, which only this setting lets the gateway connect to.
      SPENDGUARD_ENCRYPTION_KEY: randomBytes(32).toString('hex'),
      SPENDGUARD_ALLOW_PRIVATE_UPSTREAMS: '1',
    },
    port,
  );
}

export async function startCeiling(): Promise<Child> {
  const port = await freePort();
  return startChild(
    ['--import', 'tsx', 'bench/src/ceiling-server.ts', String(port)],
    { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', NODE_ENV: 'production' },
    port,
  );
}

export interface Simulator {
  /** The simulator's origin: OpenAI's base_url is `${url}/v1`. */
  url: string;
  pid: number;
  /** Answers the next `count` requests with `reply` (a Reply of llm-upstream.ts); afterwards the defaults again. */
  script(reply: Record<string, unknown>, count: number): Promise<void>;
  stop(): Promise<void>;
}

/** The OpenAI/Anthropic simulator (llm-upstream-server.ts) as a child process, scripted over its IPC channel. */
export async function startLLMSimulator(): Promise<Simulator> {
  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', 'tsx', 'bench/src/llm-upstream-server.ts'],
    {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', NODE_ENV: 'production' },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    let stdout = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the LLM simulator did not start in 60 s: ${stderr.slice(-2000)}`));
    }, 60_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const match = /listening (\S+)\n/.exec(stdout);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.once('exit', () => {
      clearTimeout(timer);
      reject(new Error(`the LLM simulator exited at start: ${stderr.slice(-2000)}`));
    });
  });
  return {
    url,
    pid: child.pid ?? 0,
    script: (reply, count) =>
      new Promise<void>((resolve) => {
        child.once('message', () => resolve());
        child.send({ type: 'script', reply, count });
      }),
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
