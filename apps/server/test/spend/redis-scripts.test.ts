// Redis-only properties of the spend store: script shebangs, key layout (hash tags, small claims), every script
// safe to run twice, the epoch (a flush or a restart is detected and waited out), NOSCRIPT recovery and refusal
// under OOM. Restarts, script flushes and filled memory run against a private redis-server, never the shared one.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { Redis } from 'ioredis';
import { LATE_COMMIT_MS } from '../../src/spend/bounds.js';
import { customerKeys, epochKey } from '../../src/spend/redis-keys.js';
import type { CounterLoad, SpendRequest, SpendStore } from '../../src/spend/store.js';
import { freePort, uniqueSuffix } from '../harness.js';
import {
  activeAgent,
  connectTestRedis,
  openStoreFactory,
  openTestRedis,
  type TestRedis,
} from './fixtures.js';

const LUA_DIR = new URL('../../src/spend/lua/', import.meta.url);
const NOW = Date.parse('2026-11-25T10:00:00.000Z');

function load(customerId: string, agentId: string): CounterLoad {
  return {
    customerId,
    agentId,
    now: NOW,
    customer: { customerId, version: 1, monthLimitMicros: 1_000_000 },
    agent: activeAgent(customerId, agentId, {
      monthMicros: null,
      dayMicros: null,
      runMicros: 500,
      velocity: { windowSeconds: 60, maxMicros: 900 },
      repeats: null,
    }),
    customerMonthMicros: 0,
    agentMonthMicros: 0,
    agentDayMicros: 0,
    velocityBuckets: [],
    run: { runId: 'run-1', micros: 0 },
    holds: [],
    repeats: [],
    revokedKeyIds: [],
  };
}

let factory: Awaited<ReturnType<typeof openStoreFactory>>;
before(async () => {
  factory = await openStoreFactory();
});
after(() => factory.close());

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
    token: `evt_${key}`,
    idempotencyKey: key,
    requestHash: `a-long-canonical-request-hash-${'x'.repeat(64)}`,
    now: NOW,
    ...over,
  };
}

describe('Lua scripts', () => {
  it('every operation script starts with a #!lua shebang that does not allow writes under OOM', () => {
    const library = ['rules.lua', 'store.lua'];
    const files = readdirSync(LUA_DIR).filter((f) => f.endsWith('.lua') && !library.includes(f));
    assert.ok(files.length >= 12);
    for (const file of files) {
      const text = readFileSync(new URL(file, LUA_DIR), 'utf8');
      const first = text.split('\n', 1)[0]!;
      assert.match(first, /^#!lua( flags=[a-z-,]*)?$/, file);
      assert.doesNotMatch(first, /no-writes|allow-oom|allow-cross-slot-keys/, file);
    }
    for (const file of library) assert.doesNotMatch(readFileSync(new URL(file, LUA_DIR), 'utf8'), /^#!/);
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

  it('every key of a customer carries its hash tag and the epoch; claims hold digests, not the key or body', async () => {
    const { redis, prefix } = testRedis!;
    const store = factory.store(redis, prefix);
    const customerId = `cus_${uniqueSuffix()}`;
    await store.loadCounters(load(customerId, 'agt_1'));
    const epoch = (await store.currentEpoch()).id;
    const idempotencyKey = `client-key-${'k'.repeat(200)}`;
    const held = request(customerId, 'agt_1', idempotencyKey, {
      token: 'rsv_1',
      hold: { expiresAt: NOW + 60_000 },
    });
    assert.equal((await store.decide(held)).outcome, 'accepted');
    const second = request(customerId, 'agt_1', 'second');
    assert.equal((await store.decide(second)).outcome, 'accepted');
    await store.complete({
      customerId,
      agentId: 'agt_1',
      runId: 'run-1',
      token: held.token,
      claim: { idempotencyKey, requestHash: held.requestHash },
      agentState: null,
    });
    const keys = await redis.keys(`${prefix}:*`);
    assert.ok(keys.length >= 10, `keys: ${keys.join(' ')}`);
    // Outside the customer's slot: the epoch, and the reconciler's index of customers with open entries.
    const global = [epochKey(prefix), `${prefix}:e${epoch}:open`];
    for (const key of keys.filter((k) => !global.includes(k))) {
      assert.ok(key.startsWith(`${prefix}:{c:${customerId}}:e${epoch}:`), key);
    }
    const claims = keys.filter((k) => k.includes(':k:'));
    assert.equal(claims.length, 2);
    for (const claim of claims) {
      assert.ok(claim.length < prefix.length + customerId.length + 50, claim);
      assert.ok(!claim.includes('client-key'));
      const value = (await redis.get(claim))!;
      assert.match(value, /^(c[A-Za-z0-9_-]{22}|f[A-Za-z0-9_-]{22}\|evt_second)$/);
      const ttl = await redis.ttl(claim);
      assert.ok(ttl > 0, 'claims always expire');
    }
    const keysOf = customerKeys(prefix, epoch, customerId);
    assert.match((await redis.get(keysOf.claim(idempotencyKey)))!, /^c/, 'completed');
    assert.match((await redis.get(keysOf.claim('second')))!, /^f/, 'in flight');
    await store.close();
  });
});

/** Every key under `prefix` with its value (type by type), without TTLs: what a second run must leave unchanged. */
async function snapshotKeys(redis: Redis, prefix: string): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const key of (await redis.keys(`${prefix}:*`)).sort()) {
    const type = await redis.type(key);
    if (type === 'string') out[key] = await redis.get(key);
    else if (type === 'hash') out[key] = await redis.hgetall(key);
    else if (type === 'zset') out[key] = await redis.zrange(key, 0, -1, 'WITHSCORES');
    else if (type === 'set') out[key] = (await redis.smembers(key)).sort();
    else out[key] = type;
  }
  return out;
}

describe('every script is safe to run twice (a lost reply is answered by running it again)', () => {
  let testRedis: TestRedis | undefined;
  before(async () => {
    testRedis = await openTestRedis();
  });
  after(async () => {
    await testRedis?.close();
  });

  it('the second run of each operation changes nothing', async () => {
    const { redis, prefix } = testRedis!;
    const store: SpendStore = factory.store(redis, prefix);
    const customerId = `cus_${uniqueSuffix()}`;
    const agentId = 'agt_twice';
    const twice = async (label: string, operation: () => Promise<unknown>) => {
      const answer = await operation();
      const first = await snapshotKeys(redis, prefix);
      const again = await operation();
      assert.deepEqual(
        await snapshotKeys(redis, prefix),
        first,
        `${label}: the second run changed something`,
      );
      return [answer, again];
    };
    const ref = (req: SpendRequest) => ({
      customerId,
      agentId,
      runId: req.runId,
      token: req.token,
      claim: { idempotencyKey: req.idempotencyKey, requestHash: req.requestHash },
    });
    await twice('load', () => store.loadCounters(load(customerId, agentId)));
    const event = request(customerId, agentId, 'e1');
    // A caller whose reply was lost runs it again: it must get the same decision, not a 409 against itself.
    const [decided, redecided] = await twice('decide', () => store.decide(event));
    assert.equal((decided as { outcome: string }).outcome, 'accepted');
    assert.deepEqual(redecided, decided);
    await twice('complete', () => store.complete({ ...ref(event), agentState: null }));
    const failed = request(customerId, agentId, 'e2', { amountMicros: 30 });
    await store.decide(failed);
    await twice('undo', () => store.undo(ref(failed)));
    const over = request(customerId, agentId, 'e3', { amountMicros: 1_000 }); // breaks velocity 900: a flip
    await twice('decide (a flip)', () => store.decide(over));
    await twice('complete (flip not confirmed)', () => store.complete({ ...ref(over), agentState: null }));
    const held = request(customerId, agentId, 'h1', { token: 'rsv_h1', hold: { expiresAt: NOW + 60_000 } });
    await twice('decide (hold)', () => store.decide(held));
    const commit = {
      customerId,
      agentId,
      runId: 'run-1',
      holdId: 'rsv_h1',
      token: 'evt_commit_h1',
      actualMicros: 40,
      now: NOW + 1,
    };
    const [counted, recounted] = await twice('commitHold', () => store.commitHold(commit));
    assert.deepEqual(recounted, counted);
    const released = request(customerId, agentId, 'h2', {
      token: 'rsv_h2',
      hold: { expiresAt: NOW + 60_000 },
    });
    await store.decide(released);
    await twice('releaseHold', () => store.releaseHold(customerId, 'rsv_h2', NOW + 2));
    const row = activeAgent(customerId, agentId, {
      monthMicros: 5_000,
      dayMicros: null,
      runMicros: 500,
      velocity: { windowSeconds: 60, maxMicros: 900 },
      repeats: null,
    });
    await twice('putAgentState', () => store.putAgentState({ ...row, limitsVersion: 2 }));
    await twice('putCustomerState', () =>
      store.putCustomerState({ customerId, version: 2, monthLimitMicros: 10_000 }),
    );
    await twice('provisionalSuspend', () => store.provisionalSuspend(customerId, agentId, 'sus_1', NOW + 3));
    await twice('confirm the suspend', () =>
      store.putAgentState({ ...row, limitsVersion: 2, statusVersion: 2, status: 'suspended' }, 'sus_1'),
    );
    await twice('readSpend', () => store.readSpend(customerId, [agentId], NOW + 4));
    await store.close();
  });
});

describe('the epoch: a Redis that lost data is detected and waited out before anything is rebuilt', () => {
  let testRedis: TestRedis | undefined;
  before(async () => {
    testRedis = await openTestRedis();
  });
  after(async () => {
    await testRedis?.close();
  });

  it('a first start needs no waiting; a flush of a known deployment waits until in-flight requests are settled', async () => {
    const { redis, prefix } = testRedis!;
    const store = factory.store(redis, prefix);
    const customerId = `cus_${uniqueSuffix()}`;
    const first = await store.currentEpoch();
    assert.equal(first.since, 0, 'a prefix this deployment never used: nothing can be in flight');
    await store.loadCounters(load(customerId, 'agt_1'));
    assert.equal((await store.decide(request(customerId, 'agt_1', 'k1'))).outcome, 'accepted');

    await testRedis!.deleteKeys(); // FLUSH
    const before = Date.now();
    const recovering = await store.decide(request(customerId, 'agt_1', 'k2'));
    assert.equal(recovering.outcome, 'recovering');
    if (recovering.outcome === 'recovering') {
      assert.ok(
        recovering.retryAfterMs > LATE_COMMIT_MS - 2_000 && recovering.retryAfterMs <= LATE_COMMIT_MS,
      );
    }
    const second = await store.currentEpoch();
    assert.notEqual(second.id, first.id, 'a new epoch: old keys are never read again');
    assert.ok(second.since >= before, 'it began at the loss');
    // Nothing was counted or claimed meanwhile: a load is refused, so the same key is decided afresh later.
    assert.equal((await store.decide(request(customerId, 'agt_1', 'k2'))).outcome, 'recovering');
    await store.close();
  });

  it('an instance that missed an epoch change refreshes it before its script touches anything', async () => {
    const { redis, prefix } = testRedis!;
    const a = factory.store(redis, prefix);
    const b = factory.store(redis, prefix);
    const customerId = `cus_${uniqueSuffix()}`;
    await a.loadCounters(load(customerId, 'agt_1'));
    const old = (await b.currentEpoch()).id;
    // Another instance began a new epoch (as after a restart it noticed first).
    await redis.hset(epochKey(prefix), 'id', String(Number(old) + 1), 'since', String(Date.now()));
    const decided = await b.decide(request(customerId, 'agt_1', 'k1'));
    assert.equal(decided.outcome, 'recovering', 'b decided nothing on the old epoch’s keys');
    assert.equal((await b.currentEpoch()).id, String(Number(old) + 1));
    await a.close();
    await b.close();
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
    const store = factory.store(redis, 'sg');
    await store.loadCounters(load('cus_ns', 'agt_1'));
    assert.equal((await store.decide(request('cus_ns', 'agt_1', 'k1'))).outcome, 'accepted');
    await redis.script('FLUSH');
    assert.equal((await store.decide(request('cus_ns', 'agt_1', 'k2'))).outcome, 'accepted');
    const spend = (await store.readSpend('cus_ns', ['agt_1'], NOW)).get('agt_1');
    assert.equal(spend?.monthMicros, 20);
  });

  it('is refused up front under OOM and writes nothing', { timeout: 20_000 }, async () => {
    const redis = privateRedis!;
    const store = factory.store(redis, 'sg');
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
