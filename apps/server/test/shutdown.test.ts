// Graceful shutdown (DESIGN §2: an event is acknowledged only after it is committed): the real server as a child
// process takes a burst of events, gets SIGTERM in the middle of it, must exit within 10 s, and every event it
// acknowledged with 201 must be in PostgreSQL with the acknowledged cost.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import pg from 'pg';
import {
  createTestDatabase,
  freePort,
  REDIS_URL,
  signupAndAdminKey,
  type TestDatabase,
  uniqueSuffix,
} from './harness.js';

const ROOT = join(import.meta.dirname, '..', '..', '..');

describe('graceful shutdown', () => {
  let database: TestDatabase;
  const redisPrefix = `sgtest:${uniqueSuffix()}`;
  before(async () => {
    database = await createTestDatabase();
  });
  after(async () => {
    const redis = new Redis(REDIS_URL);
    const keys = await redis.keys(`${redisPrefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
    await database.drop();
  });

  it('SIGTERM mid-burst: exits within 10 s and loses no acknowledged event', async (t) => {
    const port = await freePort();
    const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'apps/server/src/main.ts'], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        NODE_ENV: 'test',
        SPENDGUARD_DATABASE_URL: database.url,
        SPENDGUARD_REDIS_URL: REDIS_URL,
        SPENDGUARD_REDIS_PREFIX: redisPrefix,
        SPENDGUARD_DATA_DIR: mkdtempSync(join(tmpdir(), 'sg-shutdown-')),
        SPENDGUARD_SESSION_SECRET: randomBytes(32).toString('hex'),
        SPENDGUARD_HOST: '127.0.0.1',
        SPENDGUARD_PORT: String(port),
        SPENDGUARD_LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout?.on('data', (c: Buffer) => {
      output += c.toString();
    });
    child.stderr?.on('data', (c: Buffer) => {
      output += c.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const url = `http://127.0.0.1:${port}`;
    try {
      const deadline = Date.now() + 30_000;
      while (!output.includes('listening on')) {
        assert.equal(child.exitCode, null, `server exited at start: ${output}`);
        assert.ok(Date.now() < deadline, `server did not start: ${output}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      const tenant = await signupAndAdminKey(url);

      // 16 concurrent senders post events back to back until the server stops answering.
      const acknowledged = new Map<string, number>();
      const otherStatuses = new Map<string, number>();
      let stop = false;
      let sent = 0;
      const sender = async (worker: number) => {
        for (let i = 0; !stop; i++) {
          const key = `shutdown-${worker}-${i}`;
          const cost = 1 + ((worker * 1000 + i) % 977);
          sent++;
          try {
            const res = await fetch(`${url}/v1/events`, {
              method: 'POST',
              headers: {
                'content-type': 'application/json',
                authorization: `Bearer ${tenant.adminKey}`,
                'idempotency-key': key,
              },
              body: JSON.stringify({ agent: `agent-${worker % 4}`, cost_micros: cost }),
            });
            await res.arrayBuffer();
            if (res.status === 201) acknowledged.set(key, cost);
            else otherStatuses.set(String(res.status), (otherStatuses.get(String(res.status)) ?? 0) + 1);
          } catch (error) {
            const code = (error as { cause?: { code?: string } }).cause?.code ?? 'fetch error';
            otherStatuses.set(code, (otherStatuses.get(code) ?? 0) + 1);
            if (child.exitCode !== null) return;
            await new Promise((r) => setTimeout(r, 5));
          }
        }
      };
      const senders = Array.from({ length: 16 }, (_, w) => sender(w));
      // SIGTERM once the server is warm and busy (first events of new agents are slower), mid-burst.
      const warmBy = Date.now() + 20_000;
      while (acknowledged.size < 100 && Date.now() < warmBy) await new Promise((r) => setTimeout(r, 20));
      const ackedBeforeSignal = acknowledged.size;
      const signalledAt = Date.now();
      child.kill('SIGTERM');
      const code = await Promise.race([
        exited,
        new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 10_000)),
      ]);
      const exitMs = Date.now() - signalledAt;
      stop = true;
      await Promise.all(senders);

      assert.notEqual(code, 'timeout', `did not exit within 10 s: ${output.slice(-2000)}`);
      assert.equal(code, 0, `exit code ${code}: ${output.slice(-2000)}`);
      assert.ok(exitMs < 10_000);
      assert.ok(ackedBeforeSignal >= 100, `only ${ackedBeforeSignal} events acknowledged before SIGTERM`);
      // Nothing may come back 500: the requests caught by the shutdown are refused cleanly or not answered.
      assert.equal(otherStatuses.get('500'), undefined, JSON.stringify([...otherStatuses]));

      const client = new pg.Client({ connectionString: database.url });
      await client.connect();
      const { rows } = await client.query<{ idempotency_key: string; cost_micros: string; status: string }>(
        'SELECT idempotency_key, cost_micros::text, status FROM events',
      );
      await client.end();
      const stored = new Map(rows.map((r) => [r.idempotency_key, r]));
      const lost = [...acknowledged].filter(([key, cost]) => {
        const row = stored.get(key);
        return row?.status !== 'accepted' || Number(row.cost_micros) !== cost;
      });
      assert.deepEqual(
        lost,
        [],
        `${lost.length} of ${acknowledged.size} acknowledged events missing or wrong`,
      );
      assert.ok(rows.length >= acknowledged.size);
      t.diagnostic(
        `shutdown: ${sent} sent, ${acknowledged.size} acknowledged (${ackedBeforeSignal} before SIGTERM), ` +
          `${rows.length} rows, exit in ${exitMs} ms, other outcomes ${JSON.stringify([...otherStatuses])}`,
      );
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
