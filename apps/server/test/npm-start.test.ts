// `npm start` as a process manager runs it: signalling npm's own pid must stop the server too. The start script
// execs the server in place of its shell, so npm's forwarded SIGTERM reaches it and nothing keeps the port.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { freePort } from './harness.js';

const ROOT = join(import.meta.dirname, '..', '..', '..');

function portAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

describe('npm start', () => {
  it('SIGTERM to the npm process stops the server: it drains, exits and frees the port', async () => {
    const port = await freePort();
    const npm = spawn('npm', ['start'], {
      cwd: ROOT,
      env: {
        ...process.env,
        SPENDGUARD_DATA_DIR: mkdtempSync(join(tmpdir(), 'sg-npm-start-')),
        SPENDGUARD_PORT: String(port),
        SPENDGUARD_LOG_LEVEL: 'warn',
      },
    });
    let out = '';
    npm.stdout.on('data', (chunk) => {
      out += String(chunk);
    });
    const exited = new Promise<number | null>((resolve) => npm.once('exit', (code) => resolve(code)));
    const until = Date.now() + 120_000;
    while (!/listening on/.test(out)) {
      assert.ok(Date.now() < until, `the server did not start: ${out}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.equal(await portAnswers(port), true);
    npm.kill('SIGTERM');
    await exited;
    const freeBy = Date.now() + 10_000;
    while (await portAnswers(port)) {
      assert.ok(Date.now() < freeBy, 'a server still holds the port after npm was stopped');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.match(out, /SIGTERM: draining and shutting down/);
  });
});
