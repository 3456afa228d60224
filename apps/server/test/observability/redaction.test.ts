// Logs never carry credentials (docs/api.md §11): a server logging at `trace` into memory is driven with API keys,
// session cookies, CSRF tokens and passwords in headers and bodies — on success paths and error paths — and the
// captured log text must contain none of them, while still containing the per-request lines operators need.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import type { FastifyBaseLogger } from 'fastify';
import { pino } from 'pino';
import { loggerOptions } from '../../src/observability/logger.js';
import { api, signupAndAdminKey, startTestServer, type Tenant, type TestServer } from '../harness.js';

class MemoryStream extends Writable {
  text = '';
  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    this.text += chunk.toString();
    callback();
  }
}

describe('log redaction', () => {
  const sink = new MemoryStream();
  let server: TestServer;
  let tenant: Tenant;
  const secrets: string[] = [];
  before(async () => {
    const logger = pino(loggerOptions('trace') as pino.LoggerOptions, sink) as unknown as FastifyBaseLogger;
    server = await startTestServer({ logger });
    tenant = await signupAndAdminKey(server.url);
    const cookieValue = tenant.cookie.slice(tenant.cookie.indexOf('=') + 1);
    secrets.push(tenant.password, tenant.adminKey, cookieValue, decodeURIComponent(cookieValue), tenant.csrf);
  });
  after(async () => {
    await server.close();
  });

  it('keeps API keys, cookies, CSRF tokens and passwords out of every log line', async () => {
    const fakeKey = 'sg_admin_SECRETsecretSECRETsecret0123456789';
    secrets.push(fakeKey, 'hunter2-wrong-password-xyz', 'sg_session=forged-cookie-value-123');
    // Success paths with each credential kind.
    assert.equal((await api(server.url, '/v1/api-keys', { key: tenant.adminKey })).status, 200);
    assert.equal((await api(server.url, '/v1/auth/me', { cookie: tenant.cookie })).status, 200);
    const created = await api(server.url, '/v1/api-keys', {
      body: { name: 'redaction', kind: 'ingest' },
      cookie: tenant.cookie,
      csrf: tenant.csrf,
    });
    assert.equal(created.status, 201);
    secrets.push(created.body.key);
    // Error paths: wrong key, forged cookie, wrong password, a password in a body that fails validation.
    assert.equal((await api(server.url, '/v1/api-keys', { key: fakeKey })).status, 401);
    assert.equal(
      (await api(server.url, '/v1/auth/me', { cookie: 'sg_session=forged-cookie-value-123' })).status,
      401,
    );
    const wrong = await api(server.url, '/v1/auth/login', {
      body: { email: tenant.email, password: 'hunter2-wrong-password-xyz' },
    });
    assert.equal(wrong.status, 401);
    const right = await api(server.url, '/v1/auth/login', {
      body: { email: tenant.email, password: tenant.password },
    });
    assert.equal(right.status, 200);
    const invalid = await api(server.url, '/v1/auth/signup', {
      body: { email: 'not-an-email', password: tenant.password, company: 'x', extra: tenant.adminKey },
    });
    assert.equal(invalid.status, 400);
    const malformed = await api(server.url, '/v1/auth/login', {
      body: `{"email": "${tenant.email}", "password": "${tenant.password}"`,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${tenant.adminKey}` },
    });
    assert.equal(malformed.status, 400);
    await new Promise((resolve) => setImmediate(resolve));

    const text = sink.text;
    // The logger really ran at trace and saw these requests (otherwise the checks below prove nothing).
    const requestLines = text.split('\n').filter((line) => line.includes('"msg":"request"'));
    assert.ok(requestLines.length >= 9, `only ${requestLines.length} request lines logged`);
    assert.match(text, /"route":"\/v1\/auth\/login"/);
    assert.match(text, /"status":401/);
    for (const secret of secrets) {
      assert.ok(secret.length >= 8);
      assert.equal(text.includes(secret), false, `log contains a secret (${secret.slice(0, 6)}…)`);
    }
    assert.doesNotMatch(text, /sg_(admin|ingest)_[A-Za-z0-9]{20,}/);
    assert.doesNotMatch(text, /"authorization"|"cookie"|"x-csrf-token"/i);
  });
});
