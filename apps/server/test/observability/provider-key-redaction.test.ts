// A provider's API key goes into Spendguard once and never comes back out (docs/api.md §12): a server logging at
// `trace` into memory is given a key through PUT /v1/providers — accepted, refused for its base_url, replaced, read
// back, listed, audited, deleted — and the key's text must be in no response body, no log line, no column of its
// provider_credentials row and no audit_log row, read straight from PostgreSQL.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import type { FastifyBaseLogger } from 'fastify';
import pg from 'pg';
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

const SECRET = 'sk-test-SECRETVALUE-4f9c2b7e1d8a6053QWER';
const SECOND = 'sk-ant-SECRETVALUE2-77aa11bb22cc33ddZXCV';
// What must not show anywhere: the keys, and their middles (the hint shows only the first 3 and last 4 characters).
const NEEDLES = [SECRET, SECOND, 'SECRETVALUE', '4f9c2b7e1d8a6053', '77aa11bb22cc33dd'];

describe('provider key redaction', () => {
  const sink = new MemoryStream();
  let server: TestServer;
  let tenant: Tenant;
  const bodies: string[] = [];
  before(async () => {
    const logger = pino(loggerOptions('trace') as pino.LoggerOptions, sink) as unknown as FastifyBaseLogger;
    server = await startTestServer({ logger });
    tenant = await signupAndAdminKey(server.url);
  });
  after(() => server.close());

  /** A request whose answer's text is kept for the check. */
  async function call(path: string, options: Parameters<typeof api>[2]) {
    const res = await api(server.url, path, options);
    bodies.push(typeof res.body === 'string' ? res.body : JSON.stringify(res.body));
    bodies.push(JSON.stringify(Object.fromEntries(res.headers)));
    return res;
  }

  it('keeps the key out of responses, logs, the credential row and the audit log', async () => {
    const key = tenant.adminKey;
    // Accepted, by admin key and by session.
    const putKey = await call('/v1/providers/openai', { method: 'PUT', key, body: { api_key: SECRET } });
    assert.equal(putKey.status, 200);
    assert.equal(putKey.body.key_hint, 'sk-…QWER');
    const putSession = await call('/v1/providers/anthropic', {
      method: 'PUT',
      cookie: tenant.cookie,
      csrf: tenant.csrf,
      body: { api_key: SECOND, base_url: 'https://anthropic-proxy.example.com' },
    });
    assert.equal(putSession.status, 200);
    // Refused: the key in a body that fails (bad base_url, unknown field, malformed JSON, unknown provider, no CSRF).
    for (const [path, body, status] of [
      ['/v1/providers/openai', { api_key: SECRET, base_url: 'http://10.0.0.1/v1' }, 400],
      ['/v1/providers/openai', { api_key: SECRET, extra: SECRET }, 400],
      ['/v1/providers/openai', `{"api_key": "${SECRET}"`, 400],
      ['/v1/providers/openai', { api_key: `${SECRET} ${SECRET}` }, 400],
      ['/v1/providers/mistral', { api_key: SECRET }, 404],
    ] as const) {
      const res = await call(path, {
        method: 'PUT',
        key,
        body,
        ...(typeof body === 'string' ? { headers: { 'content-type': 'application/json' } } : {}),
      });
      assert.equal(res.status, status, `${path} ${JSON.stringify(body)}`);
    }
    const noCsrf = await call('/v1/providers/openai', {
      method: 'PUT',
      cookie: tenant.cookie,
      body: { api_key: SECRET },
    });
    assert.equal(noCsrf.status, 403);
    // Replaced with the same key, read back, listed by session and key, audited.
    assert.equal(
      (await call('/v1/providers/openai', { method: 'PUT', key, body: { api_key: SECRET } })).status,
      200,
    );
    assert.equal((await call('/v1/providers', { key })).status, 200);
    const listed = await call('/v1/providers', { cookie: tenant.cookie });
    assert.equal(listed.status, 200);
    assert.equal(listed.body.data.length, 2);
    const audit = await call('/v1/audit-log?limit=100', { key });
    assert.equal(audit.status, 200);
    assert.ok(audit.body.data.some((e: { action: string }) => e.action === 'provider.put'));
    // The gateway's read decrypts it (the one place the plain text exists), and says so nowhere.
    const credential = await server.app.ctx.providers.credentialFor(tenant.customerId, 'openai');
    assert.equal(credential?.apiKey, SECRET);
    server.app.ctx.providers.markUsed(tenant.customerId, 'openai');
    // Removed (the audit entry keeps what it was: the hint).
    assert.equal((await call('/v1/providers/anthropic', { method: 'DELETE', key })).status, 204);

    // Read PostgreSQL itself, every column as text, before the row of openai is gone.
    const client = new pg.Client({ connectionString: server.databaseUrl });
    await client.connect();
    let rowText: string;
    let auditText: string;
    try {
      const rows = await client.query('SELECT * FROM provider_credentials');
      assert.equal(rows.rows.length, 1, 'the openai credential is stored');
      rowText = JSON.stringify(rows.rows);
      assert.match(rowText, /"key_ciphertext":"v1\.[0-9a-f]{8}\./, 'stored as a v1 ciphertext');
      const audited = await client.query("SELECT * FROM audit_log WHERE action LIKE 'provider.%'");
      assert.equal(audited.rows.length, 4, 'put openai, put anthropic, put openai again, delete anthropic');
      auditText = JSON.stringify(audited.rows);
      assert.match(auditText, /sk-…QWER/, 'the audit log shows the hint');
    } finally {
      await client.end();
    }

    await new Promise((resolve) => setImmediate(resolve));
    const logText = sink.text;
    // The logger really ran at trace and saw these requests (otherwise the checks below prove nothing).
    const requestLines = logText.split('\n').filter((line) => line.includes('"msg":"request"'));
    assert.ok(requestLines.length >= 12, `only ${requestLines.length} request lines logged`);
    assert.match(logText, /"route":"\/v1\/providers\/:provider"/);
    for (const [where, text] of [
      ['a response', bodies.join('\n')],
      ['the log', logText],
      ['provider_credentials', rowText],
      ['audit_log', auditText],
    ] as const) {
      for (const needle of NEEDLES) {
        assert.ok(!text.includes(needle), `${where} contains ${needle}`);
      }
    }
  });
});
