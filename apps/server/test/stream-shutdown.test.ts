// Stopping with a dashboard open: an open /v1/stream must not hold the shutdown until its 10 s deadline (and exit 1).
// The real server as a child process, an SSE stream open on it, SIGTERM: exit 0 within 2 s, the stream ended.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { describe, it } from 'node:test';
import { api, startServerProcess } from './harness.js';

describe('shutdown with open streams', () => {
  it('SIGTERM ends every open stream and exits 0 within 2 s', async () => {
    const server = await startServerProcess({});
    const url = server.url;
    const signup = await api(url, '/v1/auth/signup', {
      method: 'POST',
      body: { email: 'stream@example.com', password: 'a long enough password', company: 'Acme' },
    });
    assert.equal(signup.status, 201);
    const cookie = (signup.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    let signalled = 0;
    let exited: Promise<number | null> = Promise.resolve(null);
    const streamEnded = new Promise<void>((resolve, reject) => {
      const req = request(`${url}/v1/stream`, { headers: { cookie } }, (res) => {
        assert.equal(res.statusCode, 200);
        res.once('data', () => {
          signalled = Date.now();
          exited = server.stop();
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
    assert.equal(code, 0, server.output());
    assert.ok(took < 2_000, `shutdown took ${took} ms with a stream open`);
  });
});
