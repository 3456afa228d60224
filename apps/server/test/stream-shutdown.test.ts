// Stopping with a dashboard open: an open /v1/stream must not hold the shutdown until its 10 s deadline (and exit 1).
// The real server as a child process, an SSE stream open on it, SIGTERM: exit 0 within 2 s, the stream ended.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { api, freePort } from './harness.js';

const ROOT = join(import.meta.dirname, '..', '..', '..');

describe('shutdown with open streams', () => {
  it('SIGTERM ends every open stream and exits 0 within 2 s', async () => {
    const port = await freePort();
    const child = spawn(process.execPath, ['--import', 'tsx', 'apps/server/src/main.ts'], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH,
        SPENDGUARD_DATA_DIR: mkdtempSync(join(tmpdir(), 'sg-sse-stop-')),
        SPENDGUARD_PORT: String(port),
        SPENDGUARD_LOG_LEVEL: 'warn',
      },
    });
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += String(chunk);
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const until = Date.now() + 60_000;
    while (!/listening on/.test(out)) {
      assert.ok(Date.now() < until, `the server did not start: ${out}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const url = `http://127.0.0.1:${port}`;
    const signup = await api(url, '/v1/auth/signup', {
      method: 'POST',
      body: { email: 'stream@example.com', password: 'a long enough password', company: 'Acme' },
    });
    assert.equal(signup.status, 201);
    const cookie = (signup.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    let signalled = 0;
    const streamEnded = new Promise<void>((resolve, reject) => {
      const req = request(`${url}/v1/stream`, { headers: { cookie } }, (res) => {
        assert.equal(res.statusCode, 200);
        res.once('data', () => {
          signalled = Date.now();
          child.kill('SIGTERM');
        });
        res.on('end', resolve);
        res.on('error', resolve);
        res.resume();
      });
      req.on('error', reject);
      req.end();
    });
    await streamEnded;
    const code = await exited;
    const took = Date.now() - signalled;
    assert.equal(code, 0, out);
    assert.ok(took < 2_000, `shutdown took ${took} ms with a stream open`);
  });
});
