// Redis commands per accepted event: parsing INFO commandstats, the per-event delta (the bench's own INFO left out),
// and the run's own redis-server as the bench starts it.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { describe, it } from 'node:test';
import { Redis } from 'ioredis';
import {
  BENCH_ONLY_COMMANDS,
  formatBreakdown,
  parseCommandStats,
  redisCommandsPerEvent,
} from '../src/redis-commands.js';
import { startRedis } from '../src/stack.js';

const INFO = [
  '# Commandstats',
  'cmdstat_evalsha:calls=1000,usec=50000,usec_per_call=50.00,rejected_calls=0,failed_calls=0',
  'cmdstat_get:calls=980,usec=980,usec_per_call=1.00,rejected_calls=0,failed_calls=0',
  'cmdstat_info:calls=7,usec=700,usec_per_call=100.00,rejected_calls=0,failed_calls=0',
  'cmdstat_client|setname:calls=2,usec=2,usec_per_call=1.00,rejected_calls=0,failed_calls=0',
  'cmdstat_publish:calls=10,usec=30,usec_per_call=3.00,rejected_calls=0,failed_calls=1',
  '',
].join('\r\n');

describe('parseCommandStats', () => {
  it('reads calls by command, subcommands included, from a CRLF reply', () => {
    assert.deepEqual(
      parseCommandStats(INFO),
      new Map([
        ['evalsha', 1000],
        ['get', 980],
        ['info', 7],
        ['client|setname', 2],
        ['publish', 10],
      ]),
    );
  });

  it('reads nothing from a reply without commandstats', () => {
    assert.equal(parseCommandStats('# Commandstats\r\n').size, 0);
    assert.equal(parseCommandStats('').size, 0);
  });
});

describe('redisCommandsPerEvent', () => {
  it('divides the delta of every command but INFO by the events, largest first', () => {
    const before = new Map([
      ['evalsha', 500],
      ['get', 20],
      ['info', 3],
      ['client|setname', 2],
    ]);
    const after = parseCommandStats(INFO);
    const r = redisCommandsPerEvent(before, after, 1000);
    // evalsha +500, get +960, publish +10 (new since before); info (+4) and the unchanged setname left out.
    assert.deepEqual(r, {
      events: 1000,
      commands: 1470,
      perEvent: 1.47,
      byCommand: { get: 0.96, evalsha: 0.5, publish: 0.01 },
    });
    assert.deepEqual(Object.keys(r?.byCommand ?? {}), ['get', 'evalsha', 'publish'], 'sorted, largest first');
    assert.ok(BENCH_ONLY_COMMANDS.has('info'));
    assert.equal(formatBreakdown(r as NonNullable<typeof r>), 'get 0.960, evalsha 0.500, publish 0.010');
    assert.equal(formatBreakdown(r as NonNullable<typeof r>, 1), 'get 0.960, … 2 more');
  });

  it('has no figure without events, and never counts a shrinking counter as negative', () => {
    assert.equal(redisCommandsPerEvent(new Map(), new Map([['get', 1]]), 0), null);
    const r = redisCommandsPerEvent(
      new Map([
        ['get', 50],
        ['set', 1],
      ]),
      new Map([
        ['get', 10],
        ['set', 4],
      ]),
      3,
    );
    assert.deepEqual(r, { events: 3, commands: 3, perEvent: 1, byCommand: { set: 1 } });
  });
});

describe('the private Redis', {
  skip: existsSync('/usr/bin/redis-server') ? false : 'no /usr/bin/redis-server',
}, () => {
  it('starts on a free port, counts what clients run (inside scripts too) and not its own INFO, and stops', async () => {
    const redis = await startRedis();
    try {
      assert.ok(redis.pid > 0);
      assert.ok(existsSync(`/proc/${redis.pid}`));
      const client = new Redis(redis.url, { lazyConnect: true });
      await client.connect(); // its handshake (INFO of the ready check) falls before the window
      const before = await redis.commandStats();
      await client.set('a', '1');
      await client.get('a');
      // One EVAL round trip whose script calls GET twice: Redis counts the EVAL and both GETs.
      await client.eval("redis.call('GET', KEYS[1]); return redis.call('GET', KEYS[1])", 1, 'a');
      await client.info('server'); // INFO is left out, whoever sends it
      const after = await redis.commandStats();
      client.disconnect();
      assert.deepEqual(redisCommandsPerEvent(before, after, 2), {
        events: 2,
        commands: 5,
        perEvent: 2.5,
        byCommand: { get: 1.5, eval: 0.5, set: 0.5 },
      });
    } finally {
      await redis.stop();
    }
    assert.equal(existsSync(`/proc/${redis.pid}`), false, 'redis-server stopped');
  });
});
