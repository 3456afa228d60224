// Accounts and dashboard sessions (docs/api.md §3, §8): signup, login, logout, me — one embedded server, app.inject.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Static } from 'typebox';
import type { CustomerSchema } from '../../src/schemas/agents.js';
import { startTestServer, type TestServer } from '../harness.js';
import {
  type Customer,
  type CustomerWithKeys,
  customerWithKeys,
  type ErrorBody,
  expectError,
  expectInvalid,
  expectStatus,
  freshAddress,
  header,
  type Injected,
  injectJson,
  newEmail,
  newPassword,
  type Session,
  type SessionJson,
  sessionCookieOf,
  signup,
} from './inject.js';

type CustomerJson = Static<typeof CustomerSchema>;

let server: TestServer;
let errorsCustomer: Customer;
let securityCustomer: CustomerWithKeys;
before(async () => {
  server = await startTestServer({ embedded: true });
  [errorsCustomer, securityCustomer] = await Promise.all([signup(server.app), customerWithKeys(server.app)]);
});
after(async () => {
  await server.close();
});

const postSignup = (body: unknown, remoteAddress = freshAddress()) =>
  injectJson<SessionJson>(server.app, '/v1/auth/signup', { body, remoteAddress });
const postLogin = <T = SessionJson>(body: unknown, remoteAddress = freshAddress()) =>
  injectJson<T>(server.app, '/v1/auth/login', { body, remoteAddress });
const me = (auth: { session?: Session; key?: string; headers?: Record<string, string> }) =>
  injectJson<SessionJson>(server.app, '/v1/auth/me', auth);
const logout = (auth: { session?: Session; key?: string; csrf?: string | false }) =>
  injectJson<null>(server.app, '/v1/auth/logout', { ...auth, method: 'POST' });

function setCookieOf(res: Injected<unknown>): string {
  const value = res.headers['set-cookie'];
  const all = Array.isArray(value) ? value : value === undefined ? [] : [String(value)];
  const cookie = all.find((c) => c.startsWith('sg_session='));
  assert.ok(cookie, `no sg_session Set-Cookie: ${JSON.stringify(value)}`);
  return cookie;
}

describe('happy', () => {
  const email = newEmail();
  const password = newPassword();
  let signedUp: SessionJson;
  let signupSession: Session;
  let loginSession: Session;

  it('signup is 201 with the user, the customer and a csrf_token, and sets an HttpOnly SameSite=Strict cookie for 7 days', async () => {
    const res = expectStatus(await postSignup({ email, password, company: 'Acme Research' }), 201);
    signedUp = res.body;
    assert.match(signedUp.user.id, /^usr_[A-Za-z0-9]+$/);
    assert.equal(signedUp.user.email.toLowerCase(), email.toLowerCase());
    assert.ok(Math.abs(Date.parse(signedUp.user.created_at) - Date.now()) < 5_000);
    assert.match(signedUp.customer.id, /^cus_[A-Za-z0-9]+$/);
    assert.equal(signedUp.customer.name, 'Acme Research');
    assert.equal(typeof signedUp.csrf_token, 'string');
    assert.ok(signedUp.csrf_token.length >= 16);

    const cookie = setCookieOf(res);
    assert.match(cookie, /; HttpOnly/);
    assert.match(cookie, /; SameSite=Strict/);
    assert.match(cookie, /; Path=\//);
    assert.match(cookie, /; Max-Age=604800/);
    assert.doesNotMatch(cookie, /; Secure/, 'plain HTTP: no Secure flag');
    assert.ok(!res.text.includes(password));
    assert.doesNotMatch(res.text, /scrypt|password/i);
    signupSession = { cookie: sessionCookieOf(res), csrf: signedUp.csrf_token };
  });

  it('GET /v1/auth/me with the cookie is 200 with the same user, customer and csrf_token', async () => {
    const res = expectStatus(await me({ session: signupSession }), 200);
    assert.deepEqual(res.body, signedUp);
  });

  it("the session acts as the customer's admin: reads need no token, writes need X-CSRF-Token", async () => {
    const customer = expectStatus(
      await injectJson<CustomerJson>(server.app, '/v1/customer', { session: signupSession }),
      200,
    ).body;
    assert.equal(customer.id, signedUp.customer.id);
    assert.equal(customer.name, 'Acme Research');
    expectStatus(
      await injectJson(server.app, '/v1/agents', { session: signupSession, body: { name: 'first-bot' } }),
      201,
    );
  });

  it('login is 200 with the same user and customer and a new csrf_token, for the email in any case', async () => {
    const res = expectStatus(await postLogin({ email: email.toUpperCase(), password }), 200);
    assert.deepEqual(res.body.user, signedUp.user);
    assert.deepEqual(res.body.customer, signedUp.customer);
    assert.notEqual(res.body.csrf_token, signedUp.csrf_token);
    const cookie = setCookieOf(res);
    assert.match(cookie, /; HttpOnly/);
    assert.match(cookie, /; SameSite=Strict/);
    loginSession = { cookie: sessionCookieOf(res), csrf: res.body.csrf_token };
    assert.ok(!res.text.includes(password));
    assert.doesNotMatch(res.text, /scrypt|password/i);
    assert.notEqual(loginSession.cookie, signupSession.cookie);
    assert.equal(expectStatus(await me({ session: loginSession }), 200).body.csrf_token, res.body.csrf_token);
  });

  it('logout is 204, clears the cookie and ends that session at once; the other session goes on', async () => {
    const res = expectStatus(await logout({ session: loginSession }), 204);
    assert.equal(res.text, '');
    const cleared = setCookieOf(res);
    assert.match(cleared, /^sg_session=;/);
    assert.match(cleared, /Max-Age=0|Expires=Thu, 01 Jan 1970/);
    expectError(await me({ session: loginSession }), 401, 'unauthenticated');
    expectError(
      await injectJson(server.app, '/v1/customer', { session: loginSession }),
      401,
      'unauthenticated',
    );
    expectError(await logout({ session: loginSession }), 401, 'unauthenticated');
    assert.equal(expectStatus(await me({ session: signupSession }), 200).body.user.id, signedUp.user.id);
  });
});

describe('errors', () => {
  // Signed up by the first test once its refused variants have shown that they created nothing; no failed login yet.
  const ok = { email: newEmail(), password: newPassword(), company: 'Valid Co' };
  let okSession: Session;

  it('a bad signup is 400 naming the field: password length, email, company, unknown field', async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ ...ok, password: 'p'.repeat(11) }, 'password'],
      [{ ...ok, password: 'p'.repeat(257) }, 'password'],
      [{ ...ok, password: 123456789012 }, 'password'],
      [{ ...ok, email: 'not-an-email' }, 'email'],
      [{ ...ok, email: `${'a'.repeat(250)}@x.test` }, 'email'],
      [{ ...ok, company: '' }, 'company'],
      [{ ...ok, company: 'c'.repeat(201) }, 'company'],
      [{ email: ok.email, password: ok.password }, 'company'],
      [{ company: 'x', password: ok.password }, 'email'],
      [{ ...ok, plan: 'enterprise' }, 'plan'],
    ];
    for (const [body, field] of cases) {
      expectInvalid(await postSignup(body), field, undefined, JSON.stringify(body).slice(0, 80));
    }
    // None of them created the account: the email is still free.
    const res = expectStatus(await postSignup(ok), 201, 'the email of refused signups is still free');
    assert.equal(res.body.customer.name, 'Valid Co');
    okSession = { cookie: sessionCookieOf(res), csrf: res.body.csrf_token };
  });

  it('a signup with a taken email, in any case, is 409 conflict with field email', async () => {
    const email = errorsCustomer.email.toUpperCase();
    const error = expectError(
      await postSignup({ email, password: newPassword(), company: 'Copycat' }),
      409,
      'conflict',
      email,
    );
    assert.equal(error.field, 'email');
    // The first account is untouched: its session still reads its own customer.
    const mine = expectStatus(await me({ session: errorsCustomer.session }), 200).body;
    assert.equal(mine.customer.id, errorsCustomer.customerId);
    assert.equal(mine.customer.name, errorsCustomer.company);
  });

  it('a wrong password and an unknown email get the same 401 with the same body, and no cookie', async () => {
    const wrong = await postLogin<ErrorBody>({ email: errorsCustomer.email, password: 'not-the-password' });
    const unknown = await postLogin<ErrorBody>({ email: newEmail(), password: 'not-the-password' });
    expectError(wrong, 401, 'unauthenticated');
    expectError(unknown, 401, 'unauthenticated');
    assert.deepEqual(wrong.body, unknown.body);
    assert.equal(wrong.headers['set-cookie'], undefined);
    assert.equal(unknown.headers['set-cookie'], undefined);
  });

  it('a malformed login is 400 naming the field', async () => {
    expectInvalid(await postLogin({ email: errorsCustomer.email }), 'password', /required/);
    expectInvalid(await postLogin({ password: 'x' }), 'email', /required/);
    expectInvalid(await postLogin({ email: 'e'.repeat(255), password: 'x' }), 'email');
    expectInvalid(
      await postLogin({ email: errorsCustomer.email, password: 'x', remember: true }),
      'remember',
    );
    expectInvalid(
      await injectJson(server.app, '/v1/auth/login', { raw: '{"email":', contentType: 'application/json' }),
      'body',
    );
  });

  it('signup and login with a text/plain body are 415; a signup over 64 KiB is 413', async () => {
    for (const path of ['/v1/auth/signup', '/v1/auth/login']) {
      expectError(
        await injectJson(server.app, path, {
          raw: JSON.stringify({ email: newEmail(), password: newPassword(), company: 'x' }),
          contentType: 'text/plain',
          remoteAddress: freshAddress(),
        }),
        415,
        'unsupported_media_type',
        path,
      );
    }
    expectError(
      await postSignup({ email: newEmail(), password: newPassword(), company: 'x'.repeat(65 * 1024) }),
      413,
      'payload_too_large',
    );
  });

  it('after 10 failed logins for one email, from any addresses, the next one is 429 with Retry-After, even with the right password', async () => {
    const failures = await Promise.all(
      Array.from({ length: 10 }, () => postLogin({ email: ok.email, password: 'guess-guess-guess' })),
    );
    for (const res of failures) expectError(res, 401, 'unauthenticated');
    const limited = await postLogin({ email: ok.email, password: ok.password });
    expectError(limited, 429, 'rate_limited');
    assert.ok(Number(header(limited, 'retry-after')) > 0, `Retry-After: ${header(limited, 'retry-after')}`);
    assert.equal(limited.headers['set-cookie'], undefined);
    // The existing session is not affected.
    expectStatus(await me({ session: okSession }), 200);
  });

  it('a logout with a text/plain body is 415 and one over 64 KiB is 413, as on every route', async () => {
    const session = errorsCustomer.session;
    expectError(
      await injectJson(server.app, '/v1/auth/logout', {
        method: 'POST',
        session,
        raw: 'bye',
        contentType: 'text/plain',
      }),
      415,
      'unsupported_media_type',
    );
    expectError(
      await injectJson(server.app, '/v1/auth/logout', {
        method: 'POST',
        session,
        raw: JSON.stringify({ pad: 'x'.repeat(65 * 1024) }),
        contentType: 'application/json',
      }),
      413,
      'payload_too_large',
    );
    expectStatus(await me({ session }), 200);
  });

  it('GET /v1/auth/me with a NUL in the query is 400 naming it', async () => {
    expectInvalid(
      await injectJson(server.app, '/v1/auth/me?x=%00', { session: errorsCustomer.session }),
      'query.x',
    );
  });
});

describe('security', () => {
  let s: CustomerWithKeys;
  before(() => {
    s = securityCustomer;
  });

  it('me and logout are 401 without a credential, with a forged or tampered cookie', async () => {
    const forged = { cookie: 'sg_session=forged-token-value', csrf: s.session.csrf };
    const tampered = { cookie: `${s.session.cookie.slice(0, -2)}xx`, csrf: s.session.csrf };
    const unsigned = {
      cookie: `sg_session=${s.session.cookie.split('=')[1]?.split('.')[0]}`,
      csrf: s.session.csrf,
    };
    for (const session of [undefined, forged, tampered, unsigned]) {
      expectError(await me(session ? { session } : {}), 401, 'unauthenticated');
      expectError(await logout(session ? { session } : {}), 401, 'unauthenticated');
    }
    expectStatus(await me({ session: s.session }), 200);
  });

  it('a malformed Authorization header is 401 even with a valid cookie (no fallback)', async () => {
    for (const authorization of ['Bearer', 'Basic Zm9vOmJhcg==', 'Bearer a b']) {
      expectError(
        await me({ session: s.session, headers: { authorization } }),
        401,
        'unauthenticated',
        authorization,
      );
    }
  });

  it('me and logout are for sessions only: an API key (admin or ingest) is 403 forbidden', async () => {
    for (const key of [s.admin.key, s.ingest.key]) {
      expectError(await me({ key }), 403, 'forbidden');
      expectError(await logout({ key }), 403, 'forbidden');
    }
  });

  it("logout without X-CSRF-Token, or with another session's token, is 403 csrf_failed and the session stays", async () => {
    expectError(await logout({ session: s.session, csrf: false }), 403, 'csrf_failed');
    expectError(await logout({ session: s.session, csrf: errorsCustomer.session.csrf }), 403, 'csrf_failed');
    expectStatus(await me({ session: s.session }), 200);
  });

  it("a session only ever sees its own customer, and another customer's CSRF token does not unlock it", async () => {
    const mine = expectStatus(await me({ session: s.session }), 200).body;
    assert.equal(mine.customer.id, s.customerId);
    assert.equal(mine.user.id, s.userId);
    const theirs = expectStatus(await me({ session: errorsCustomer.session }), 200).body;
    assert.equal(theirs.customer.id, errorsCustomer.customerId);
    expectError(
      await injectJson(server.app, '/v1/agents', {
        session: s.session,
        csrf: errorsCustomer.session.csrf,
        body: { name: 'crossed-bot' },
      }),
      403,
      'csrf_failed',
    );
  });

  it('no answer of me carries the password or its hash', async () => {
    const res = expectStatus(await me({ session: s.session }), 200);
    assert.ok(!res.text.includes(s.password));
    assert.doesNotMatch(res.text, /scrypt|password/i);
  });
});
