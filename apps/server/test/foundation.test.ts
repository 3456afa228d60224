import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { api, startTestServer, type TestServer } from './harness.js';

describe('HTTP foundation', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(async () => {
    await server.close();
  });

  it('answers /healthz and /readyz with both stores up', async () => {
    assert.equal((await api(server.url, '/healthz')).status, 200);
    const ready = await api(server.url, '/readyz');
    assert.equal(ready.status, 200);
    assert.deepEqual(ready.body.checks, { database: 'ok', redis: 'ok' });
  });

  it('puts X-Request-Id and Helmet headers on every response and no X-Powered-By', async () => {
    const res = await api(server.url, '/no-such-route');
    assert.equal(res.status, 404);
    assert.deepEqual(Object.keys(res.body.error).sort(), ['code', 'message']);
    assert.equal(res.body.error.code, 'not_found');
    assert.match(res.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/);
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    assert.match(res.headers.get('content-security-policy') ?? '', /script-src 'self'/);
    assert.equal(res.headers.get('x-powered-by'), null);
  });

  it('sends the same security headers on a 200, a 401 and a 404 (collected from helmet once)', async () => {
    const securityHeaders = (res: { headers: Headers }) =>
      Object.fromEntries(
        [...res.headers].filter(([name]) =>
          name.startsWith('x-') && name !== 'x-request-id'
            ? true
            : /^(content-security|strict-transport|cross-origin|origin-agent|referrer-policy)/.test(name),
        ),
      );
    const ok = securityHeaders(await api(server.url, '/healthz'));
    assert.ok(Object.keys(ok).length >= 8, JSON.stringify(ok));
    assert.equal(ok['x-frame-options'], 'SAMEORIGIN');
    assert.deepEqual(securityHeaders(await api(server.url, '/v1/agents')), ok, 'a 401');
    assert.deepEqual(securityHeaders(await api(server.url, '/no-such-route')), ok, 'a 404');
  });

  it('keeps a well-formed incoming X-Request-Id and replaces a malformed one', async () => {
    const kept = await api(server.url, '/healthz', { headers: { 'x-request-id': 'trace-123' } });
    assert.equal(kept.headers.get('x-request-id'), 'trace-123');
    const replaced = await api(server.url, '/healthz', {
      headers: { 'x-request-id': 'bad id\twith spaces' },
    });
    assert.notEqual(replaced.headers.get('x-request-id'), 'bad id\twith spaces');
  });

  it('serves the OpenAPI document and the interactive reference', async () => {
    const doc = await api(server.url, '/openapi.json');
    assert.equal(doc.status, 200);
    assert.equal(doc.body.openapi, '3.0.3');
    assert.ok(doc.body.paths['/healthz']);
    const ui = await fetch(`${server.url}/docs/`);
    assert.equal(ui.status, 200);
    assert.match(await ui.text(), /swagger/i);
  });
});
