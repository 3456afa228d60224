// Acceptance: with no database configured the real entry point starts on embedded PGlite, prints its URL,
// serves /healthz and signup, and keeps the data across a restart.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { api, freePort, uniqueSuffix } from './harness.js';

const MAIN = join(import.meta.dirname, '..', 'src', 'main.ts');

async function startMain(
  dataDir: string,
  port: number,
): Promise<{ child: ChildProcess; url: string; output: string[] }> {
  const output: string[] = [];
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN], {
    env: {
      PATH: process.env.PATH,
      SPENDGUARD_DATA_DIR: dataDir,
      SPENDGUARD_PORT: String(port),
      SPENDGUARD_LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stderr?.on('data', (d: Buffer) => output.push(d.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no URL printed in 60 s: ${output.join('')}`)), 60_000);
    child.stdout?.on('data', (d: Buffer) => {
      output.push(d.toString());
      const match = /listening on (http:\/\/\S+)/.exec(output.join(''));
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.on('exit', (code) => reject(new Error(`exited ${code}: ${output.join('')}`)));
  });
  return { child, url, output };
}

async function stop(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    child.once('exit', (code) => resolve(code));
    child.kill('SIGTERM');
  });
}

describe('embedded default (no SPENDGUARD_DATABASE_URL)', () => {
  it('starts on PGlite, prints its URL, signs up, and keeps data across a restart', {
    timeout: 180_000,
  }, async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'sg-embedded-'));
    const port = await freePort();
    const first = await startMain(dataDir, port);
    assert.equal(first.url, `http://127.0.0.1:${port}`);
    assert.match(first.output.join(''), /first start: creating the embedded database/);
    assert.equal((await api(first.url, '/healthz')).status, 200);
    const email = `embedded-${uniqueSuffix()}@example.test`;
    const signup = await api(first.url, '/v1/auth/signup', {
      body: { email, password: 'correct horse battery staple', company: 'Embedded Inc' },
    });
    assert.equal(signup.status, 201, JSON.stringify(signup.body));
    assert.equal(await stop(first.child), 0, 'graceful shutdown exits 0');

    const second = await startMain(dataDir, port);
    assert.doesNotMatch(second.output.join(''), /first start/);
    const login = await api(second.url, '/v1/auth/login', {
      body: { email, password: 'correct horse battery staple' },
    });
    assert.equal(login.status, 200, 'the user created before the restart can log in');
    await stop(second.child);
  });
});
