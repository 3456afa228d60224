// Adversarial: sessions, CSRF, brute force, API-key tenant isolation, and SQL-injection strings in every string
// field of the account and key routes. Each case would fail if its protection were removed.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  api,
  signupAndAdminKey,
  startTestServer,
  type Tenant,
  type TestServer,
  uniqueSuffix,
} from '../harness.js';
import { SQL_INJECTIONS, tableCounts } from './helpers.js';

describe('auth and API keys (adversarial)', () => {
  let server: TestServer;
  let alice: Tenant;
  let bob: Tenant;
  before(async () => {
    server = await startTestServer({ env: { SPENDGUARD_TRUST_PROXY: '1' } });
    alice = await signupAndAdminKey(server.url);
    bob = await signupAndAdminKey(server.url);
  });
  after(async () => {
    await server.close();
  });

  it('refuses cookie-authenticated writes without, or with a wrong, X-CSRF-Token: 403 csrf_failed, nothing written', async () => {
    const keysBefore = await tableCounts(server.databaseUrl, ['api_keys']);
    const attempts: Array<{ method: string; path: string; body?: unknown }> = [
      { method: 'POST', path: '/v1/api-keys', body: { name: 'csrf', kind: 'admin' } },
      { method: 'DELETE', path: `/v1/api-keys/${alice.adminKeyId}` },
      { method: 'POST', path: '/v1/auth/logout' },
    ];
    for (const attempt of attempts) {
      for (const csrf of [undefined, 'wrong-token', bob.csrf, `${alice.csrf}x`, '']) {
        const res = await api(server.url, attempt.path, {
          method: attempt.method,
          ...(attempt.body ? { body: attempt.body } : {}),
          cookie: alice.cookie,
          ...(csrf !== undefined ? { headers: { 'x-csrf-token': csrf } } : {}),
        });
        assert.equal(
          res.status,
          403,
          `${attempt.method} ${attempt.path} csrf=${csrf}: ${JSON.stringify(res.body)}`,
        );
        assert.equal(res.body.error.code, 'csrf_failed');
      }
    }
    assert.deepEqual(await tableCounts(server.databaseUrl, ['api_keys']), keysBefore);
    // The key is still alive and the session still works: nothing above took effect.
    assert.equal((await api(server.url, '/v1/api-keys', { key: alice.adminKey })).status, 200);
    assert.equal((await api(server.url, '/v1/auth/me', { cookie: alice.cookie })).status, 200);
    // With the right token the same write goes through (the test above is not refusing everything).
    const ok = await api(server.url, '/v1/api-keys', {
      body: { name: 'with csrf', kind: 'ingest' },
      cookie: alice.cookie,
      csrf: alice.csrf,
    });
    assert.equal(ok.status, 201);
  });

  it('rate limits password guessing: 429 rate_limited with Retry-After after at most 10 failures', async () => {
    const ip = '203.0.113.77';
    let firstLimited = 0;
    for (let i = 1; i <= 13; i++) {
      const res = await api(server.url, '/v1/auth/login', {
        body: { email: alice.email, password: `guess-${i}-wrong-password` },
        headers: { 'x-forwarded-for': ip },
      });
      if (res.status === 429) {
        firstLimited ||= i;
        assert.equal(res.body.error.code, 'rate_limited');
        assert.ok(Number(res.headers.get('retry-after')) >= 1);
      } else {
        assert.equal(res.status, 401);
      }
    }
    assert.ok(firstLimited >= 2 && firstLimited <= 11, `first 429 at attempt ${firstLimited}`);
    // Even the right password is refused while limited: the limiter is not bypassed by guessing right.
    const right = await api(server.url, '/v1/auth/login', {
      body: { email: alice.email, password: alice.password },
      headers: { 'x-forwarded-for': ip },
    });
    assert.equal(right.status, 429);
  });

  it("never shows or revokes another customer's API key (404, key keeps working)", async () => {
    const del = await api(server.url, `/v1/api-keys/${bob.adminKeyId}`, {
      method: 'DELETE',
      key: alice.adminKey,
    });
    assert.equal(del.status, 404);
    assert.equal(del.body.error.code, 'not_found');
    const viaCookie = await api(server.url, `/v1/api-keys/${bob.adminKeyId}`, {
      method: 'DELETE',
      cookie: alice.cookie,
      csrf: alice.csrf,
    });
    assert.equal(viaCookie.status, 404);
    assert.equal((await api(server.url, '/v1/api-keys', { key: bob.adminKey })).status, 200);
    const list = await api(server.url, '/v1/api-keys?limit=100', { key: alice.adminKey });
    assert.equal(list.status, 200);
    assert.ok(list.body.data.every((k: { id: string }) => k.id !== bob.adminKeyId));
    // Another customer's key id as a pagination cursor reveals nothing either.
    const cursor = await api(server.url, `/v1/api-keys?cursor=${bob.adminKeyId}`, { key: alice.adminKey });
    assert.ok(
      cursor.status === 400 || (cursor.status === 200 && cursor.body.data.length === 0),
      `${cursor.status}`,
    );
    assert.doesNotMatch(JSON.stringify(cursor.body), new RegExp(bob.adminKeyId));
    // Session cookies are bound to their customer too.
    const me = await api(server.url, '/v1/auth/me', { cookie: bob.cookie });
    assert.equal(me.body.customer.id, bob.customerId);
  });

  it('treats SQL-injection strings in every account and key field as data or 400, never 500; tables intact', async () => {
    const tables = ['customers', 'users', 'api_keys', 'events', 'agents'];
    const before = await tableCounts(server.databaseUrl, tables);
    let createdKeys = 0;
    for (const evil of SQL_INJECTIONS) {
      const login = await api(server.url, '/v1/auth/login', {
        body: { email: evil, password: evil },
        headers: { 'x-forwarded-for': `198.51.100.${createdKeys + 1}` },
      });
      assert.ok([400, 401].includes(login.status), `login ${evil}: ${login.status}`);
      const loginEmail = await api(server.url, '/v1/auth/login', {
        body: { email: `${evil}@example.test`, password: 'whatever-password' },
        headers: { 'x-forwarded-for': `198.51.100.${createdKeys + 101}` },
      });
      assert.ok([400, 401].includes(loginEmail.status), `login email ${evil}: ${loginEmail.status}`);
      const key = await api(server.url, '/v1/api-keys', {
        body: { name: evil, kind: 'ingest' },
        key: alice.adminKey,
      });
      assert.equal(key.status, 201, JSON.stringify(key.body));
      assert.equal(key.body.name, evil);
      createdKeys++;
      const bound = await api(server.url, '/v1/api-keys', {
        body: { name: 'bound', kind: 'ingest', agent: evil },
        key: alice.adminKey,
      });
      assert.ok([400, 404].includes(bound.status), `bound agent ${evil}: ${bound.status}`);
      const del = await api(server.url, `/v1/api-keys/${encodeURIComponent(evil)}`, {
        method: 'DELETE',
        key: alice.adminKey,
      });
      assert.ok([400, 404].includes(del.status), `delete ${evil}: ${del.status}`);
      const page = await api(server.url, `/v1/api-keys?cursor=${encodeURIComponent(evil)}`, {
        key: alice.adminKey,
      });
      assert.equal(page.status, 400);
    }
    const signup = await api(server.url, '/v1/auth/signup', {
      body: {
        email: `sqli-${uniqueSuffix()}@example.test`,
        password: "' OR 1=1 -- long enough",
        company: '"; DROP TABLE events; --',
      },
      headers: { 'x-forwarded-for': '192.0.2.200' },
    });
    assert.equal(signup.status, 201);
    assert.equal(signup.body.customer.name, '"; DROP TABLE events; --');
    const afterCounts = await tableCounts(server.databaseUrl, tables);
    assert.equal(afterCounts.customers, (before.customers ?? 0) + 1);
    assert.equal(afterCounts.users, (before.users ?? 0) + 1);
    assert.equal(afterCounts.api_keys, (before.api_keys ?? 0) + createdKeys);
    assert.equal(afterCounts.events, before.events);
    // The names came back verbatim from the list: stored as data.
    const list = await api(server.url, '/v1/api-keys?limit=100', { key: alice.adminKey });
    const names = new Set(list.body.data.map((k: { name: string }) => k.name));
    for (const evil of SQL_INJECTIONS) assert.ok(names.has(evil), `missing key named ${evil}`);
  });
});
