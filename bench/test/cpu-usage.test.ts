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
