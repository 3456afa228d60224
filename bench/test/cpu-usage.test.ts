// The CPU-per-request figures of the bench report: the arithmetic, and that /proc sampling sees real work.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cpuPerRequest, sampleCpu } from '../src/cpu-usage.js';

describe('cpu usage', () => {
  it('turns two samples into microseconds per request, per process and in total', () => {
    const before = { server: 1, postgres: 2, redis: 0.5, loadGenerator: 3 };
    const after = { server: 1.25, postgres: 2.1, redis: 0.52, loadGenerator: 3.05 };
    assert.deepEqual(cpuPerRequest(before, after, 1000), {
      server: 250,
      postgres: 100,
      redis: 20,
      loadGenerator: 50,
      total: 420,
    });
    assert.equal(cpuPerRequest(before, after, 0), null, 'no requests, no figure');
    assert.equal(cpuPerRequest(null, after, 10), null, 'no /proc, no figure');
  });

  it('counts process by process: one that ended is left out, one that started counts from its start', () => {
    const sample = (entries: [string, 'server' | 'postgres' | 'redis' | 'loadGenerator', number][]) => {
      const s = { server: 0, postgres: 0, redis: 0, loadGenerator: 0, processes: new Map() };
      for (const [pid, kind, seconds] of entries) {
        s[kind] += seconds;
        s.processes.set(pid, { kind, seconds });
      }
      return s;
    };
    // Backend 11 exits (its 5 s would make the machine-wide PostgreSQL sum shrink); backend 13 starts.
    const before = sample([
      ['1', 'server', 1],
      ['11', 'postgres', 5],
      ['12', 'postgres', 1],
    ]);
    const after = sample([
      ['1', 'server', 1.5],
      ['12', 'postgres', 1.2],
      ['13', 'postgres', 0.1],
    ]);
    assert.deepEqual(cpuPerRequest(before, after, 1000), {
      server: 500,
      postgres: 300,
      redis: 0,
      loadGenerator: 0,
      total: 800,
    });
  });

  it('counts this process as the load generator and the given pids as the server', {
    skip: process.platform !== 'linux',
  }, () => {
    const before = sampleCpu([process.pid]);
    const started = Date.now();
    let spin = 0;
    while (Date.now() - started < 300) spin += Math.sqrt(spin + 1);
    const after = sampleCpu([process.pid]);
    assert.ok(before && after && spin > 0);
    // The pid listed as a server is counted there, not as the load generator.
    assert.ok(after.server - before.server >= 0.1, `server CPU grew by ${after.server - before.server} s`);
    assert.equal(after.loadGenerator, 0);
  });
});
