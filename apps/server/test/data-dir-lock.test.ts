// One server per embedded data dir: a second one on the same dir used to start silently and each saw only its own
// writes. Real processes: the second stops at start naming the first's pid; a lock left by a dead process is taken.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { lockDataDir } from '../src/db/data-dir-lock.js';
import { StartupError } from '../src/startup-error.js';
import { freePort } from './harness.js';

const MAIN = join(import.meta.dirname, '..', 'src', 'main.ts');

function startServer(dataDir: string, port: number): { child: ChildProcess; output: () => string } {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN], {
    env: {
      PATH: process.env.PATH,
      SPENDGUARD_DATA_DIR: dataDir,
      SPENDGUARD_PORT: String(port),
      SPENDGUARD_LOG_LEVEL: 'warn',
    },
  });
  let out = '';
  child.stdout?.on('data', (chunk) => {
    out += String(chunk);
  });
  child.stderr?.on('data', (chunk) => {
    out += String(chunk);
  });
  return { child, output: () => out };
}

async function until(done: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

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
    const first = startServer(dir, await freePort());
    try {
      await until(() => /listening on/.test(first.output()), 'the first server');
      const second = spawnSync(process.execPath, ['--import', 'tsx', MAIN], {
        env: { PATH: process.env.PATH, SPENDGUARD_DATA_DIR: dir, SPENDGUARD_PORT: String(await freePort()) },
        encoding: 'utf8',
        timeout: 30_000,
      });
      assert.equal(second.status, 1);
      assert.match(
        second.stderr,
        new RegExp(`in use by another Spendguard server \\(pid ${first.child.pid}\\)`),
      );
      assert.doesNotMatch(second.stderr, /\n\s+at /, 'no stack trace');
      assert.equal(first.child.exitCode, null, 'the first server still runs');
    } finally {
      const exited = new Promise((resolve) => first.child.once('exit', resolve));
      first.child.kill('SIGTERM');
      await exited;
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
