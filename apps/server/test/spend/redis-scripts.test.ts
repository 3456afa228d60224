// Redis-only properties of the spend store: script shebangs, key layout (hash tags, small claims), NOSCRIPT
// recovery and refusal under OOM. The last two run against a private redis-server so flushing scripts and
// filling memory never disturb the shared test Redis.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { Redis } from 'ioredis';
import { customerKeys } from '../../src/spend/redis-keys.js';
import { RedisSpendStore } from '../../src/spend/redis-store.js';
import type { CounterLoad, SpendRequest } from '../../src/spend/store.js';
import { freePort, uniqueSuffix } from '../harness.js';
import { activeAgent, connectTestRedis, openTestRedis, type TestRedis } from './fixtures.js';

const LUA_DIR = new URL('../../src/spend/lua/', import.meta.url);
const NOW = Date.parse('2026-11-25T10:00:00.000Z');

function load(customerId: string, agentId: string): CounterLoad {
  return {
    customerId,
    agentId,
    now: NOW,
    customer: { customerId, monthLimitMicros: 1_000_000 },
    agent: activeAgent(customerId, agentId, {
      monthMicros: null,
      dayMicros: null,
      runMicros: 500,
      velocity: { windowSeconds: 60, maxMicros: 900 },
    }),
    customerMonthMicros: 0,
    agentMonthMicros: 0,
    agentDayMicros: 0,
    velocityBuckets: [],
    run: { runId: 'run-1', micros: 0 },
    holds: [],
  };
}

function request(
  customerId: string,
  agentId: string,
  key: string,
  over: Partial<SpendRequest> = {},
): SpendRequest {
  return {
    customerId,
    agentId,
    runId: 'run-1',
    amountMicros: 10,
    idempotencyKey: key,
    requestHash: `a-long-canonical-request-hash-${'x'.repeat(64)}`,
    now: NOW,
    ...over,
  };
}

describe('Lua scripts', () => {
  it('every operation script starts with a #!lua shebang that does not allow writes under OOM', () => {
    const files = readdirSync(LUA_DIR).filter((f) => f.endsWith('.lua') && f !== 'common.lua');
    assert.ok(files.length >= 6);
    for (const file of files) {
      const text = readFileSync(new URL(file, LUA_DIR), 'utf8');
      const first = text.split('\n', 1)[0]!;
      assert.match(first, /^#!lua( flags=[a-z-,]*)?$/, file);
      assert.doesNotMatch(first, /no-writes|allow-oom|allow-cross-slot-keys/, file);
    }
    assert.doesNotMatch(readFileSync(new URL('common.lua', LUA_DIR), 'utf8'), /^#!/);
  });
});

describe('key layout', () => {
  let testRedis: TestRedis | undefined;
  before(async () => {
    testRedis = await openTestRedis();
  });
  after(async () => {
    await testRedis?.close();
  });

  it('every key of a customer carries its hash tag; claims hold digests, not the key or body', async () => {
    const { redis, prefix } = testRedis!;
    const store = new RedisSpendStore(redis, prefix);
    const customerId = `cus_${uniqueSuffix()}`;
    await store.loadCounters(load(customerId, 'agt_1'));
    const idempotencyKey = `client-key-${'k'.repeat(200)}`;
    const decision = await store.decide(
      request(customerId, 'agt_1', idempotencyKey, { hold: { holdId: 'rsv_1', expiresAt: NOW + 60_000 } }),
    );
    assert.equal(decision.outcome, 'accepted');
    assert.equal((await store.decide(request(customerId, 'agt_1', 'second'))).outcome, 'accepted');
    await store.completeKey(
      customerId,
      idempotencyKey,
      request(customerId, 'agt_1', idempotencyKey).requestHash,
    );
    const keys = await redis.keys(`${prefix}:*`);
    assert.ok(keys.length >= 10, `keys: ${keys.join(' ')}`);
    for (const key of keys) assert.ok(key.startsWith(`${prefix}:{c:${customerId}}:`), key);
    const claims = keys.filter((k) => k.includes(':k:'));
    assert.equal(claims.length, 2);
    for (const claim of claims) {
      assert.ok(claim.length < prefix.length + customerId.length + 40, claim);
      assert.ok(!claim.includes('client-key'));
      const value = (await redis.get(claim))!;
      assert.match(value, /^[fc][A-Za-z0-9_-]{22}$/);
      const ttl = await redis.ttl(claim);
      assert.ok(ttl > 0, 'claims always expire');
    }
    const keysOf = customerKeys(prefix, customerId);
    assert.match((await redis.get(keysOf.claim(idempotencyKey)))!, /^c/, 'completed');
    assert.match((await redis.get(keysOf.claim('second')))!, /^f/, 'in flight');
  });
});

/** Whether something accepts a TCP connection on `port` within half a second. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const done = (result: boolean) => {
      socket.destroy();
      resolve(result);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves true when `promise` settles within `ms`, false otherwise (the timer never outlives it). */
async function within(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([promise.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

interface PrivateRedisServer {
  port: number;
  /** Ends the server: SIGTERM, then SIGKILL if it has not exited 2 s later. Safe to call more than once. */
  stop(): Promise<void>;
}

/**
 * A redis-server of this test's own on a free port, ready to accept connections, or an error within ~5 s
 * (the child killed). A running child would keep the test process alive, so every path ends it: stop(),
 * a failed start, and, as a last resort, this process exiting.
 */
async function startRedisServer(): Promise<PrivateRedisServer> {
  const port = await freePort();
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  );
  let failure: Error | undefined;
  const ended = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', (error) => {
      failure = error; // e.g. redis-server not installed: there may be no 'exit' after this
      resolve();
    });
  });
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const stop = async () => {
    process.off('exit', killOnExit);
    if (failure || child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    if (await within(ended, 2_000)) return;
    child.kill('SIGKILL');
    await within(ended, 2_000);
  };
  try {
    const deadline = Date.now() + 5_000;
    while (!(await accepts(port))) {
      if (failure) throw failure;
      if (child.exitCode !== null) throw new Error(`redis-server exited with code ${child.exitCode}`);
      if (Date.now() > deadline) throw new Error('redis-server did not accept connections within 5 s');
      await sleep(50);
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { port, stop };
}

describe('private redis-server: NOSCRIPT and OOM', () => {
  let server: PrivateRedisServer | undefined;
  let privateRedis: Redis | undefined;
  before(
    async () => {
      server = await startRedisServer();
      privateRedis = await connectTestRedis(`redis://127.0.0.1:${server.port}`);
    },
    { timeout: 15_000 },
  );
  after(
    async () => {
      // Either may be missing when before() failed; the server is stopped whatever happened.
      privateRedis?.disconnect();
      await server?.stop();
    },
    { timeout: 10_000 },
  );

  it('recovers from SCRIPT FLUSH (EVALSHA → NOSCRIPT → EVAL)', { timeout: 20_000 }, async () => {
    const redis = privateRedis!;
    const store = new RedisSpendStore(redis, 'sg');
    await store.loadCounters(load('cus_ns', 'agt_1'));
    assert.equal((await store.decide(request('cus_ns', 'agt_1', 'k1'))).outcome, 'accepted');
    await redis.script('FLUSH');
    assert.equal((await store.decide(request('cus_ns', 'agt_1', 'k2'))).outcome, 'accepted');
    const spend = (await store.readSpend('cus_ns', ['agt_1'], NOW)).get('agt_1');
    assert.equal(spend?.monthMicros, 20);
  });

  it('is refused up front under OOM and writes nothing', { timeout: 20_000 }, async () => {
    const redis = privateRedis!;
    const store = new RedisSpendStore(redis, 'sg');
    await store.loadCounters(load('cus_oom', 'agt_1'));
    // Put Redis over its memory limit: some data, then a limit below what is used.
    await redis.set('filler', 'x'.repeat(512 * 1024));
    const info = await redis.info('memory');
    const used = Number(/used_memory:(\d+)/.exec(info)?.[1]);
    await redis.config('SET', 'maxmemory', String(used - 100_000));
    await assert.rejects(redis.set('probe', '1'), /OOM/);
    // Refused before the script runs (a script without the shebang would fail at its first write instead,
    // with "script: <sha>" in the message, after any writes before it).
    await assert.rejects(store.decide(request('cus_oom', 'agt_1', 'k-oom')), (error: Error) => {
      assert.match(error.message, /^OOM command not allowed/);
      assert.doesNotMatch(error.message, /script/);
      return true;
    });
    await redis.config('SET', 'maxmemory', '0');
    await redis.del('filler');
    // Nothing of the refused decision exists: the same key is decided afresh and counted once.
    const decision = await store.decide(request('cus_oom', 'agt_1', 'k-oom'));
    assert.equal(decision.outcome, 'accepted');
    if (decision.outcome === 'accepted') assert.equal(decision.spend.agent.monthMicros, 10);
  });
});
