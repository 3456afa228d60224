// One server per embedded data dir: a second one on the same dir used to start silently and each saw only its own
// writes. Real processes: the second stops at start naming the first's pid; a lock left by a dead process is taken.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { lockDataDir } from '../src/db/data-dir-lock.js';
import { StartupError } from '../src/startup-error.js';
import { freePort, runServerToExit, startServerProcess } from './harness.js';

/** A pid no process has now: one that just exited. */
function deadPid(): number {
  const result = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {
    encoding: 'utf8',
  });
  return Number(result.stdout);
}

describe('embedded data dir lock', () => {
  it('a second server on the same data dir stops at start, naming the first one’s pid; the first runs on', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sg-lock-'));
    const first = await startServerProcess({ SPENDGUARD_DATA_DIR: dir });
    try {
      const second = runServerToExit({ SPENDGUARD_DATA_DIR: dir, SPENDGUARD_PORT: String(await freePort()) });
      assert.equal(second.status, 1);
      assert.match(
        second.stderr,
        new RegExp(`in use by another Spendguard server \\(pid ${first.child.pid}\\)`),
      );
      assert.doesNotMatch(second.stderr, /\n\s+at /, 'no stack trace');
      assert.equal(first.child.exitCode, null, 'the first server still runs');
    } finally {
      await first.stop();
    }
    assert.equal(existsSync(join(dir, 'server.pid')), false, 'a clean stop releases the lock');
  });

  it('a lock left by a process that no longer runs is taken over', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sg-lock-'));
    writeFileSync(join(dir, 'server.pid'), `${deadPid()}\n`);
    const lock = lockDataDir(dir);
    assert.equal(readFileSync(join(dir, 'server.pid'), 'utf8').trim(), String(process.pid));
    assert.throws(() => lockDataDir(dir), StartupError, 'the same dir twice in one process is refused too');
    lock.release();
    assert.equal(existsSync(join(dir, 'server.pid')), false);
  });
});
