// Adversarial: what any route must survive before a handler runs — oversized, malformed, mistyped and poisoned
// bodies, and header injection. Every case asserts the exact docs/api.md §4 status and code, and that nothing was stored.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { api, startTestServer, type TestServer, uniqueSuffix } from '../harness.js';
import { headersOf, rawHttp, tableCounts } from './helpers.js';

const signupBody = () => ({
  email: `hard-${uniqueSuffix()}@example.test`,
  password: 'correct horse battery staple',
  company: 'Hardening Inc',
});

describe('HTTP hardening (adversarial)', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(async () => {
    await server.close();
  });

  it('refuses a body over 64 KiB with 413 payload_too_large and stores nothing', async () => {
    const before = await tableCounts(server.databaseUrl, ['users', 'customers']);
    const res = await api(server.url, '/v1/auth/signup', {
      body: { ...signupBody(), company: 'x'.repeat(65 * 1024) },
    });
    assert.equal(res.status, 413);
    assert.equal(res.body.error.code, 'payload_too_large');
    // Just under the limit is parsed (and then refused by the schema: company is at most 200 chars).
    const under = await api(server.url, '/v1/auth/signup', {
      body: { ...signupBody(), company: 'x'.repeat(60 * 1024) },
    });
    assert.equal(under.status, 400);
    assert.deepEqual(await tableCounts(server.databaseUrl, ['users', 'customers']), before);
  });

  it('refuses malformed JSON with 400 invalid_request (never 500)', async () => {
    for (const body of ['{"email": ', '{email: "a"}', '[1,2', '{"a":1}}', 'null x', '\u0000']) {
      const res = await api(server.url, '/v1/auth/login', {
        body,
        headers: { 'content-type': 'application/json' },
      });
      assert.equal(res.status, 400, `body ${JSON.stringify(body)}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.error.code, 'invalid_request');
      assert.doesNotMatch(JSON.stringify(res.body), /SyntaxError|at .*\.js|node_modules/);
    }
  });

  it('refuses a non-JSON content type with 415 unsupported_media_type', async () => {
    for (const type of [
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'text/plain',
    ]) {
      const res = await api(server.url, '/v1/auth/signup', {
        body: 'email=a@b.test&password=correct+horse+battery&company=x',
        headers: { 'content-type': type },
      });
      assert.equal(res.status, 415, `${type}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.error.code, 'unsupported_media_type');
    }
  });

  it('refuses __proto__ and constructor.prototype payloads with 400 and pollutes nothing', async () => {
    const payloads = [
      `{"__proto__": {"polluted": "yes"}, "email": "a@b.test", "password": "x"}`,
      `{"email": "a@b.test", "password": "x", "nested": {"__proto__": {"polluted": "yes"}}}`,
      `{"constructor": {"prototype": {"polluted": "yes"}}, "email": "a@b.test", "password": "x"}`,
    ];
    for (const body of payloads) {
      for (const path of ['/v1/auth/login', '/v1/auth/signup']) {
        const res = await api(server.url, path, { body, headers: { 'content-type': 'application/json' } });
        assert.equal(res.status, 400, `${path} ${body}: ${res.status} ${JSON.stringify(res.body)}`);
        assert.equal(res.body.error.code, 'invalid_request');
      }
    }
    // The server runs in this process: a polluted Object.prototype would show up right here.
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.equal(Object.hasOwn(Object.prototype, 'polluted'), false);
  });

  it('never reflects CR/LF from X-Request-Id into response headers', async () => {
    const port = new URL(server.url).port;
    for (const value of [
      'abc\rSet-Cookie: injected=1',
      'abc\nSet-Cookie: injected=1',
      'abc%0d%0aSet-Cookie: injected=1',
    ]) {
      const res = await rawHttp(
        server.url,
        `GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nX-Request-Id: ${value}\r\nConnection: close\r\n\r\n`,
      );
      // Node's parser refuses bare CR/LF in a header value (400); an encoded value is answered but not echoed.
      assert.ok(res.status === 400 || res.status === 200, `status ${res.status}`);
      const headers = headersOf(res.head);
      assert.equal(headers.get('set-cookie'), undefined, res.head);
      assert.doesNotMatch(res.head, /injected/);
      for (const id of headers.get('x-request-id') ?? []) assert.match(id, /^[A-Za-z0-9._:-]{1,64}$/);
    }
  });

  it('answers an unknown method with a 4xx that carries no internals (no stack, no SQL)', async () => {
    const res = await rawHttp(
      server.url,
      `BREW /v1/auth/login HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
    );
    assert.ok(res.status >= 400 && res.status < 500, `status ${res.status}`);
    assert.doesNotMatch(res.body, /at .*\(|SELECT|node_modules|stack/i);
  });
});
