// Wake-ups per event: the context-switch counters of /proc/<pid>/task/*/status, and their per-event delta.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseCtxtSwitches, sampleWakeups, type WakeupSample, wakeupsPerEvent } from '../src/wakeups.js';

const STATUS = [
  'Name:\tnode',
  'State:\tS (sleeping)',
  'Pid:\t4242',
  'Threads:\t11',
  'voluntary_ctxt_switches:\t1234',
  'nonvoluntary_ctxt_switches:\t56',
  '',
].join('\n');

describe('parseCtxtSwitches', () => {
  it('reads both counters', () => {
    assert.deepEqual(parseCtxtSwitches(STATUS), { voluntary: 1234, nonvoluntary: 56 });
  });

  it('is null when a counter is missing', () => {
    assert.equal(parseCtxtSwitches('Name:\tnode\nvoluntary_ctxt_switches:\t3\n'), null);
    assert.equal(parseCtxtSwitches(''), null);
  });

  it('reads this process from /proc', { skip: process.platform !== 'linux' }, async () => {
    const { readFileSync } = await import('node:fs');
    const switches = parseCtxtSwitches(readFileSync('/proc/self/status', 'utf8'));
    assert.ok(switches && switches.voluntary >= 0 && switches.nonvoluntary >= 0);
  });
});

describe('wakeupsPerEvent', () => {
  const sample = (entries: [string, 'server' | 'postgres' | 'redis', number, number][]): WakeupSample => ({
    tasks: new Map(
      entries.map(([key, kind, voluntary, nonvoluntary]) => [key, { kind, voluntary, nonvoluntary }]),
    ),
  });

  it('sums threads by kind, per event: an ended thread left out, a new one counted from its start', () => {
    const before = sample([
      ['1/1', 'server', 100, 10],
      ['1/2', 'server', 50, 0],
      ['11/11', 'postgres', 900, 90], // exits in between
      ['12/12', 'postgres', 10, 0],
      ['20/20', 'redis', 5, 5],
    ]);
    const after = sample([
      ['1/1', 'server', 300, 30],
      ['1/2', 'server', 130, 0],
      ['1/3', 'server', 20, 0], // a thread started in between
      ['12/12', 'postgres', 110, 20],
      ['20/20', 'redis', 105, 5],
    ]);
    // server 200+20 + 80 + 20 = 320, postgres 100+20 = 120, redis 100; involuntary 20 + 20 = 40.
    assert.deepEqual(wakeupsPerEvent(before, after, 100), {
      server: 3.2,
      postgres: 1.2,
      redis: 1,
      total: 5.4,
      involuntary: 0.4,
    });
  });

  it('has no figure without events or without /proc', () => {
    const s = sample([['1/1', 'server', 1, 1]]);
    assert.equal(wakeupsPerEvent(s, s, 0), null);
    assert.equal(wakeupsPerEvent(null, s, 10), null);
  });

  it('counts every thread of the given server pid, and only the given Redis', {
    skip: process.platform !== 'linux',
  }, async () => {
    const before = sampleWakeups([process.pid], []);
    for (let i = 0; i < 20; i++) await new Promise((r) => setTimeout(r, 2)); // sleeping = voluntary switches
    const after = sampleWakeups([process.pid], []);
    assert.ok(before && after);
    const mine = [...after.tasks.keys()].filter((k) => k.startsWith(`${process.pid}/`));
    assert.ok(mine.length >= 1, 'this process’s threads are listed');
    assert.ok(
      [...after.tasks.values()].every((t) => t.kind !== 'redis'),
      'redisPids [] counts no Redis',
    );
    const w = wakeupsPerEvent(before, after, 1);
    assert.ok(w && w.server >= 20, `server context switches grew by ${w?.server}`);
  });
});
