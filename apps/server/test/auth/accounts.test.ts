// Accounts and sessions against real PostgreSQL + Redis (and once embedded): signup, login, logout, me,
// duplicate emails (also 20 at once), CSRF on cookie writes, error envelopes.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import {
  type ApiResponse,
  api,
  sessionCookie,
  signupAndAdminKey,
  startTestServer,
  type TestServer,
  uniqueSuffix,
} from '../harness.js';

const newEmail = () => `Person-${uniqueSuffix()}@Example.test`;
const newPassword = () => `pw-${randomBytes(12).toString('hex')}`;

/** Every error body is exactly {error: {code, message, ...extra}} with nothing internal in it. */
function assertErrorEnvelope(res: ApiResponse, status: number, code: string): void {
  assert.equal(res.status, status, JSON.stringify(res.body));
  assert.deepEqual(Object.keys(res.body), ['error']);
  const error = res.body.error as Record<string, unknown>;
  assert.equal(error.code, code);
  assert.equal(typeof error.message, 'string');
  const text = JSON.stringify(res.body);
  assert.doesNotMatch(text, /stack|SELECT|INSERT|at \w+ \(|\.ts:\d+/);
}

function sessionFlowTests(label: string, start: () => Promise<TestServer>) {
  describe(`accounts and sessions (${label})`, () => {
    let server: TestServer;
    before(async () => {
      server = await start();
    });
    after(async () => {
      await server.close();
    });

    it('signs up, reads /me, logs out, logs in again', async () => {
      const email = newEmail();
      const password = newPassword();
      const signup = await api(server.url, '/v1/auth/signup', {
        body: { email, password, company: 'Acme Research' },
      });
      assert.equal(signup.status, 201, JSON.stringify(signup.body));
      assert.deepEqual(Object.keys(signup.body).sort(), ['csrf_token', 'customer', 'user']);
      assert.equal(signup.body.user.email, email.toLowerCase());
      assert.match(signup.body.user.id, /^usr_/);
      assert.match(signup.body.customer.id, /^cus_/);
      assert.equal(signup.body.customer.name, 'Acme Research');
      assert.ok(!Number.isNaN(Date.parse(signup.body.user.created_at)));
      assert.equal(JSON.stringify(signup.body).includes(password), false);

      const setCookie = signup.headers.getSetCookie().find((c) => c.startsWith('sg_session=')) ?? '';
      assert.match(setCookie, /HttpOnly/i);
      assert.match(setCookie, /SameSite=Strict/i);
      assert.match(setCookie, /Path=\//);
      assert.doesNotMatch(setCookie, /Secure/i, 'plain HTTP: no Secure flag');
      const cookie = sessionCookie(signup);

      const me = await api(server.url, '/v1/auth/me', { cookie });
      assert.equal(me.status, 200);
      assert.equal(me.body.user.id, signup.body.user.id);
      assert.equal(me.body.customer.id, signup.body.customer.id);
      assert.equal(me.body.csrf_token, signup.body.csrf_token);

      assertErrorEnvelope(
        await api(server.url, '/v1/auth/logout', { method: 'POST', cookie }),
        403,
        'csrf_failed',
      );
      const logout = await api(server.url, '/v1/auth/logout', {
        method: 'POST',
        cookie,
        csrf: signup.body.csrf_token,
      });
      assert.equal(logout.status, 204);
      assert.match(logout.headers.getSetCookie().join('\n'), /sg_session=;/);
      assertErrorEnvelope(await api(server.url, '/v1/auth/me', { cookie }), 401, 'unauthenticated');

      // Login is case-insensitive on the email and starts a new session with a new CSRF token.
      const login = await api(server.url, '/v1/auth/login', {
        body: { email: email.toUpperCase(), password },
      });
      assert.equal(login.status, 200, JSON.stringify(login.body));
      assert.equal(login.body.user.id, signup.body.user.id);
      assert.notEqual(login.body.csrf_token, signup.body.csrf_token);
      const me2 = await api(server.url, '/v1/auth/me', { cookie: sessionCookie(login) });
      assert.equal(me2.status, 200);
      assert.equal(me2.body.csrf_token, login.body.csrf_token);
    });

    it('refuses a duplicate email case-insensitively with 409 conflict field email', async () => {
      const email = newEmail();
      const first = await api(server.url, '/v1/auth/signup', {
        body: { email, password: newPassword(), company: 'A' },
      });
      assert.equal(first.status, 201);
      const second = await api(server.url, '/v1/auth/signup', {
        body: { email: email.toUpperCase(), password: newPassword(), company: 'B' },
      });
      assertErrorEnvelope(second, 409, 'conflict');
      assert.equal(second.body.error.field, 'email');
    });

    it('validates signup input: password length, email format, unknown fields', async () => {
      const short = await api(server.url, '/v1/auth/signup', {
        body: { email: newEmail(), password: 'short', company: 'A' },
      });
      assertErrorEnvelope(short, 400, 'invalid_request');
      const longPw = await api(server.url, '/v1/auth/signup', {
        body: { email: newEmail(), password: 'x'.repeat(257), company: 'A' },
      });
      assertErrorEnvelope(longPw, 400, 'invalid_request');
      const badEmail = await api(server.url, '/v1/auth/signup', {
        body: { email: 'not-an-email', password: newPassword(), company: 'A' },
      });
      assertErrorEnvelope(badEmail, 400, 'invalid_request');
      const longEmail = await api(server.url, '/v1/auth/signup', {
        body: { email: `${'a'.repeat(250)}@x.io`, password: newPassword(), company: 'A' },
      });
      assertErrorEnvelope(longEmail, 400, 'invalid_request');
      const extra = await api(server.url, '/v1/auth/signup', {
        body: { email: newEmail(), password: newPassword(), company: 'A', admin: true },
      });
      assertErrorEnvelope(extra, 400, 'invalid_request');
    });

    it('needs a matching X-CSRF-Token on cookie writes; GETs and API keys need none', async () => {
      const tenant = await signupAndAdminKey(server.url);
      const body = { name: 'k', kind: 'ingest' };
      assertErrorEnvelope(
        await api(server.url, '/v1/api-keys', { body, cookie: tenant.cookie }),
        403,
        'csrf_failed',
      );
      assertErrorEnvelope(
        await api(server.url, '/v1/api-keys', { body, cookie: tenant.cookie, csrf: `${tenant.csrf}x` }),
        403,
        'csrf_failed',
      );
      assertErrorEnvelope(
        await api(server.url, '/v1/api-keys', { body, cookie: tenant.cookie, csrf: 'short' }),
        403,
        'csrf_failed',
      );
      assert.equal((await api(server.url, '/v1/api-keys', { cookie: tenant.cookie })).status, 200);
      assert.equal(
        (await api(server.url, '/v1/api-keys', { body, cookie: tenant.cookie, csrf: tenant.csrf })).status,
        201,
      );
      assert.equal((await api(server.url, '/v1/api-keys', { body, key: tenant.adminKey })).status, 201);
    });

    it('answers 401 for no credentials, a forged cookie and a malformed bearer token', async () => {
      assertErrorEnvelope(await api(server.url, '/v1/api-keys'), 401, 'unauthenticated');
      assertErrorEnvelope(
        await api(server.url, '/v1/api-keys', {
          cookie: `sg_session=${randomBytes(32).toString('base64url')}`,
        }),
        401,
        'unauthenticated',
      );
      assertErrorEnvelope(
        await api(server.url, '/v1/api-keys', { headers: { authorization: 'Bearer nonsense' } }),
        401,
        'unauthenticated',
      );
      assertErrorEnvelope(
        await api(server.url, '/v1/api-keys', { key: `sg_admin_${'a'.repeat(40)}` }),
        401,
        'unauthenticated',
      );
      // A /v1 route without credentials still gets the same envelope; public routes need none.
      assert.equal((await api(server.url, '/healthz')).status, 200);
      assert.equal((await api(server.url, '/openapi.json')).status, 200);
    });
  });
}

sessionFlowTests('PostgreSQL + Redis', () => startTestServer());
sessionFlowTests('embedded', () => startTestServer({ embedded: true }));

describe('concurrent signups', () => {
  let server: TestServer;
  before(async () => {
    // Each request comes from its own address (X-Forwarded-For, trusted here) so the per-address signup limit
    // does not hide the race under test.
    server = await startTestServer({ env: { SPENDGUARD_TRUST_PROXY: '1' } });
  });
  after(async () => {
    await server.close();
  });

  it('marks the session cookie Secure when the request came over TLS', async () => {
    const res = await api(server.url, '/v1/auth/signup', {
      body: { email: newEmail(), password: newPassword(), company: 'TLS' },
      headers: { 'x-forwarded-for': '10.1.1.1', 'x-forwarded-proto': 'https' },
    });
    assert.equal(res.status, 201);
    const setCookie = res.headers.getSetCookie().find((c) => c.startsWith('sg_session=')) ?? '';
    assert.match(setCookie, /;\s*Secure/i);
  });

  it('20 concurrent signups with one email → exactly one 201, the rest 409', async () => {
    const email = newEmail();
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        api(server.url, '/v1/auth/signup', {
          body: {
            email: i % 2 ? email.toLowerCase() : email.toUpperCase(),
            password: newPassword(),
            company: `C${i}`,
          },
          headers: { 'x-forwarded-for': `10.0.0.${i + 1}` },
        }),
      ),
    );
    const statuses = results.map((r) => r.status).sort();
    assert.equal(statuses.filter((s) => s === 201).length, 1, JSON.stringify(statuses));
    assert.equal(statuses.filter((s) => s === 409).length, 19, JSON.stringify(statuses));
    for (const r of results.filter((x) => x.status === 409)) assert.equal(r.body.error.field, 'email');
    // The losers' customers were rolled back with their user rows.
    const { rows } = await server.app.ctx.db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM customers WHERE name LIKE 'C%'",
    );
    assert.equal(rows[0]?.n, 1);
  });
});
