// Redis commands per accepted event: parsing INFO commandstats, the per-event delta (the bench's own INFO left out),
// parsing the servers' spendguard_redis_commands_total and summing its deltas over instances, the scripts
// cross-check, a phase window from its readings, and the run's own redis-server as the bench starts it.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:http';
import { describe, it } from 'node:test';
import { Redis } from 'ioredis';
import {
  BENCH_ONLY_COMMANDS,
  commandDeltas,
  crossCheckScripts,
  formatBreakdown,
  parseCommandStats,
  parseSentCommands,
  perEvent,
  readSentCommands,
  redisCommandsPerEvent,
  redisCommandsWindow,
  SENT_COUNTER,
  sumInstanceDeltas,
} from '../src/redis-commands.js';
import { METRICS_TOKEN } from '../src/server-metrics.js';
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

// What prom-client serves for the counter (other metrics around it).
const METRICS = [
  '# HELP spendguard_store_errors_total Failures',
  '# TYPE spendguard_store_errors_total counter',
  'spendguard_store_errors_total{store="redis",operation="decide"} 2',
  `# HELP ${SENT_COUNTER} Commands this instance sent to Redis, by command`,
  `# TYPE ${SENT_COUNTER} counter`,
  `${SENT_COUNTER}{command="evalsha"} 1000`,
  `${SENT_COUNTER}{command="get"} 980`,
  `${SENT_COUNTER}{command="publish"} 10`,
  `${SENT_COUNTER}{command="info"} 1`,
  'spendguard_redis_commands_total_other{command="get"} 5',
  '',
].join('\n');

const map = (o: Record<string, number>) => new Map(Object.entries(o));

describe('parseSentCommands', () => {
  it('reads the counter by command, nothing of other metrics', () => {
    assert.deepEqual(parseSentCommands(METRICS), map({ evalsha: 1000, get: 980, publish: 10, info: 1 }));
  });

  it('sums the samples of one command (other labels), lower-casing the command', () => {
    const text = [
      `${SENT_COUNTER}{command="EVALSHA",connection="main"} 3`,
      `${SENT_COUNTER}{connection="sub",command="evalsha"} 4`,
    ].join('\n');
    assert.deepEqual(parseSentCommands(text), map({ evalsha: 7 }));
  });

  it('is an empty reading when the counter is declared but nothing was sent yet, null when it is not there', () => {
    assert.deepEqual(
      parseSentCommands(`# HELP ${SENT_COUNTER} x\n# TYPE ${SENT_COUNTER} counter\n`),
      new Map(),
    );
    assert.equal(parseSentCommands('# TYPE spendguard_store_errors_total counter\n'), null);
    assert.equal(parseSentCommands(''), null);
  });
});

describe('commandDeltas and sumInstanceDeltas', () => {
  it("takes each instance's delta, then sums them by command", () => {
    const before = [map({ evalsha: 100, get: 50 }), map({ evalsha: 10 })];
    const after = [map({ evalsha: 300, get: 50, publish: 2 }), map({ evalsha: 110, get: 7 })];
    assert.deepEqual(sumInstanceDeltas(before, after), map({ evalsha: 300, publish: 2, get: 7 }));
  });

  it('never lets a restarted instance (its counter back near zero) subtract from the others', () => {
    const before = [map({ evalsha: 5000 }), map({ evalsha: 100 })];
    const after = [map({ evalsha: 20 }), map({ evalsha: 150 })];
    assert.deepEqual(sumInstanceDeltas(before, after), map({ evalsha: 50 }));
  });

  it('refuses readings of a different number of instances', () => {
    assert.throws(() => sumInstanceDeltas([new Map()], []), /1 readings before the window, 0 after/);
  });

  it('leaves out what it is told to', () => {
    assert.deepEqual(
      commandDeltas(map({ info: 1 }), map({ info: 9, get: 1 }), BENCH_ONLY_COMMANDS),
      map({ get: 1 }),
    );
  });

  it('per event: largest first, null without events', () => {
    assert.deepEqual(perEvent(map({ get: 1, evalsha: 3 }), 2), {
      events: 2,
      commands: 4,
      perEvent: 2,
      byCommand: { evalsha: 1.5, get: 0.5 },
    });
    assert.equal(perEvent(map({ get: 1 }), 0), null);
  });
});

describe('crossCheckScripts', () => {
  it('compares evalsha + eval on both sides, nothing else', () => {
    // The server sent 1000 scripts (2 of them as EVAL after NOSCRIPT); Redis ran them and the GETs they call.
    const sent = map({ evalsha: 1000, eval: 2, get: 5 });
    const executed = map({ evalsha: 1000, eval: 2, get: 38_005, hget: 9000 });
    assert.deepEqual(crossCheckScripts(sent, executed), {
      sent: 1002,
      executed: 1002,
      differencePercent: 0,
      ok: true,
    });
  });

  it('passes within 1 % of the scripts sent, fails beyond', () => {
    assert.deepEqual(crossCheckScripts(map({ evalsha: 1000 }), map({ evalsha: 990 })), {
      sent: 1000,
      executed: 990,
      differencePercent: 1,
      ok: true,
    });
    assert.deepEqual(crossCheckScripts(map({ evalsha: 1000 }), map({ evalsha: 1011 })), {
      sent: 1000,
      executed: 1011,
      differencePercent: 1.1,
      ok: false,
    });
    // A counter that misses the EVAL fallback shows.
    assert.equal(crossCheckScripts(map({ evalsha: 500 }), map({ evalsha: 500, eval: 500 })).ok, false);
  });

  it('fails on scripts Redis ran that no server sent; agrees on none at all', () => {
    assert.deepEqual(crossCheckScripts(new Map(), map({ evalsha: 3 })), {
      sent: 0,
      executed: 3,
      differencePercent: null,
      ok: false,
    });
    assert.deepEqual(crossCheckScripts(map({ get: 1 }), map({ get: 1 })), {
      sent: 0,
      executed: 0,
      differencePercent: 0,
      ok: true,
    });
  });
});

describe('redisCommandsWindow', () => {
  const executedBefore = map({ evalsha: 10, info: 2 });
  const executedAfter = map({ evalsha: 2010, get: 70_000, info: 3 });

  it('judges what the servers sent, keeps what Redis executed, and cross-checks the scripts', () => {
    const w = redisCommandsWindow({
      events: 1000,
      sentBefore: { counts: [map({ evalsha: 5 }), map({ evalsha: 5, get: 1 })] },
      sentAfter: { counts: [map({ evalsha: 1005, get: 1 }), map({ evalsha: 1005, get: 10 })] },
      executedBefore,
      executedAfter,
    });
    assert.deepEqual(w, {
      sent: { events: 1000, commands: 2010, perEvent: 2.01, byCommand: { evalsha: 2, get: 0.01 } },
      executed: { events: 1000, commands: 72_000, perEvent: 72, byCommand: { get: 70, evalsha: 2 } },
      scripts: { sent: 2000, executed: 2000, differencePercent: 0, ok: true },
    });
  });

  it('says why the sent count is missing, keeping the executed one', () => {
    const base = { events: 1000, executedBefore, executedAfter };
    const ok = { counts: [map({ evalsha: 1 })] };
    const before = redisCommandsWindow({
      ...base,
      sentBefore: { error: 'http://x/metrics answered 401' },
      sentAfter: ok,
    });
    assert.equal(before.sent, null);
    assert.equal(before.scripts, null);
    assert.equal(before.sentNotMeasured, 'before the phase: http://x/metrics answered 401');
    assert.equal(before.executed?.perEvent, 72);
    const after = redisCommandsWindow({ ...base, sentBefore: ok, sentAfter: { error: 'boom' } });
    assert.equal(after.sentNotMeasured, 'after the phase: boom');
    const none = redisCommandsWindow({ ...base, events: 0, sentBefore: ok, sentAfter: ok });
    assert.deepEqual(none, {
      sent: null,
      sentNotMeasured: 'no 201 in the phase',
      executed: null,
      scripts: null,
    });
  });
});

describe('readSentCommands', () => {
  it('reads every instance with the metrics token, and names each one it cannot read', async () => {
    const seen: string[] = [];
    const server = createServer((req, res) => {
      seen.push(`${req.url} ${req.headers.authorization}`);
      if (req.url?.startsWith('/a/')) res.end(METRICS);
      else if (req.url?.startsWith('/b/')) res.end('# TYPE spendguard_store_errors_total counter\n');
      else res.writeHead(401).end('{}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      assert.deepEqual(await readSentCommands([`${base}/a`, `${base}/a`]), {
        counts: [parseSentCommands(METRICS), parseSentCommands(METRICS)],
      });
      assert.equal(seen[0], `/a/metrics Bearer ${METRICS_TOKEN}`);
      assert.deepEqual(await readSentCommands([`${base}/a`, `${base}/b`, `${base}/c`]), {
        error: `${base}/b/metrics has no ${SENT_COUNTER}; ${base}/c/metrics answered 401`,
      });
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
    const down = await readSentCommands([base]);
    assert.ok(
      'error' in down && down.error.startsWith(`${base}/metrics could not be read (`),
      JSON.stringify(down),
    );
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
      // The one EVAL this client sent is the one script Redis ran: the cross-check holds.
      const sent = new Map([
        ['set', 1],
        ['get', 1],
        ['eval', 1],
        ['info', 1],
      ]);
      assert.equal(crossCheckScripts(sent, commandDeltas(before, after, BENCH_ONLY_COMMANDS)).ok, true);
    } finally {
      await redis.stop();
    }
    assert.equal(existsSync(`/proc/${redis.pid}`), false, 'redis-server stopped');
  });
});
