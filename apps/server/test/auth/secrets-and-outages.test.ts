// Secrets never reach a log line, even at trace level with no redaction configured; and auth under outages:
// Redis down → keys resolve from PostgreSQL and the limiter fails open; PostgreSQL down too → 503 unavailable.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { createApiKeyResolver, generateApiKey } from '../../src/auth/api-keys.js';
import { admit, createRedisAttemptCounter } from '../../src/auth/rate-limit.js';
import { isUnavailableError } from '../../src/db/errors.js';
import { createPostgresDb } from '../../src/db/postgres.js';
import { newId } from '../../src/ids.js';
import { createRedis } from '../../src/redis.js';
import { createMemorySpendStore } from '../../src/spend/memory-store.js';
import {
  api,
  openTestDb,
  sessionCookie,
  startTestServer,
  type TestServer,
  uniqueSuffix,
} from '../harness.js';

describe('secrets never in logs', () => {
  let server: TestServer;
  let captured = '';
  before(async () => {
    const stream = new Writable({
      write(chunk, _encoding, done) {
        captured += chunk.toString();
        done();
      },
    });
    server = await startTestServer({ logger: pino({ level: 'trace' }, stream) });
  });
  after(async () => {
    await server.close();
  });

  it('signup, login, key creation, key use, failures: no password, key, cookie token or CSRF token logged', async () => {
    const email = `logs-${uniqueSuffix()}@example.test`;
    const password = `secret-pw-${uniqueSuffix()}`;
    const signup = await api(server.url, '/v1/auth/signup', { body: { email, password, company: 'Logs' } });
    assert.equal(signup.status, 201);
    const wrong = await api(server.url, '/v1/auth/login', { body: { email, password: `${password}-nope` } });
    assert.equal(wrong.status, 401);
    const login = await api(server.url, '/v1/auth/login', { body: { email, password } });
    assert.equal(login.status, 200);
    const cookie = sessionCookie(login);
    const csrf = login.body.csrf_token as string;
    const created = await api(server.url, '/v1/api-keys', {
      body: { name: 'k', kind: 'admin' },
      cookie,
      csrf,
    });
    assert.equal(created.status, 201);
    const key = created.body.key as string;
    assert.equal((await api(server.url, '/v1/api-keys', { key })).status, 200);
    assert.equal(
      (await api(server.url, '/v1/api-keys', { body: { name: 'k' }, cookie, csrf: 'bad' })).status,
      403,
    );
    assert.equal((await api(server.url, '/v1/api-keys', { key: `${key.slice(0, -1)}X` })).status, 401);
    await api(server.url, '/v1/auth/logout', { method: 'POST', cookie, csrf });

    assert.ok(captured.includes('"msg":"request"'), 'the logger did capture the requests');
    const cookieToken = decodeURIComponent(cookie.slice('sg_session='.length));
    const rawToken = cookieToken.split('.')[0] ?? cookieToken;
    for (const [what, secret] of [
      ['password', password],
      ['API key', key],
      ['API key random part', key.slice('sg_admin_'.length)],
      ['session cookie', cookieToken],
      ['session token', rawToken],
      ['CSRF token', csrf],
      ['signup CSRF token', signup.body.csrf_token as string],
    ] as const) {
      assert.equal(captured.includes(secret), false, `${what} appears in the logs`);
    }
  });
});

describe('auth with Redis down', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ env: { SPENDGUARD_TRUST_PROXY: '1' } });
  });
  after(async () => {
    // Reconnect so the harness can clean this test's Redis keys up.
    await server.app.ctx.redis?.connect().catch(() => {});
    await server.close();
  });

  it('API keys resolve from PostgreSQL and login still works (the limiter fails open)', async () => {
    const email = `down-${uniqueSuffix()}@example.test`;
    const password = `pw-${uniqueSuffix()}`;
    const signup = await api(server.url, '/v1/auth/signup', { body: { email, password, company: 'Down' } });
    const key = await api(server.url, '/v1/api-keys', {
      body: { name: 'k', kind: 'admin' },
      cookie: sessionCookie(signup),
      csrf: signup.body.csrf_token,
    });
    const unused = await api(server.url, '/v1/api-keys', {
      body: { name: 'never cached', kind: 'admin' },
      cookie: sessionCookie(signup),
      csrf: signup.body.csrf_token,
    });
    assert.equal((await api(server.url, '/v1/api-keys', { key: key.body.key })).status, 200);

    server.app.ctx.redis?.disconnect();
    assert.equal((await api(server.url, '/v1/api-keys', { key: key.body.key })).status, 200);
    assert.equal((await api(server.url, '/v1/api-keys', { key: unused.body.key })).status, 200);
    const login = await api(server.url, '/v1/auth/login', {
      body: { email, password },
      headers: { 'x-forwarded-for': '10.9.9.9' },
    });
    assert.equal(login.status, 200, JSON.stringify(login.body));
    // Revoking needs the shared cache told: with Redis down that is 503 (retry), never a silent 204.
    const revoke = await api(server.url, `/v1/api-keys/${unused.body.id}`, {
      method: 'DELETE',
      key: key.body.key,
    });
    assert.equal(revoke.status, 503);
    assert.equal(revoke.body.error.code, 'unavailable');
    assert.ok(revoke.headers.get('retry-after'));
    // The revocation itself committed: the source of truth refuses the key even while Redis is down.
    assert.equal((await api(server.url, '/v1/api-keys', { key: unused.body.key })).status, 401);
  });
});

describe('key resolver and limiter against dead stores', () => {
  it('falls back to PostgreSQL when Redis is down, and reports PostgreSQL down as unavailable', async () => {
    const { db, close } = await openTestDb('postgres');
    // A real client that cannot reach Redis: lazyConnect and no offline queue make every command fail at once.
    const deadRedis = createRedis('redis://127.0.0.1:1');
    deadRedis.on('error', () => {});
    try {
      const customerId = newId('cus');
      await db.query('INSERT INTO customers (id, name) VALUES ($1, $2)', [customerId, 'c']);
      const key = generateApiKey('ingest');
      const keyId = newId('key');
      await db.query(
        `INSERT INTO api_keys (id, customer_id, name, kind, prefix, key_hash) VALUES ($1, $2, 'k', 'ingest', $3, $4)`,
        [keyId, customerId, key.prefix, key.hash],
      );
      const log = pino({ level: 'silent' });
      const markers = createMemorySpendStore();
      const resolver = createApiKeyResolver({
        db,
        redis: deadRedis,
        redisPrefix: 'sgtest:dead',
        markers,
        log,
      });
      assert.deepEqual(await resolver.resolve(key.key), {
        type: 'api_key',
        customerId,
        keyId,
        kind: 'ingest',
        agentId: null,
      });
      assert.equal(await resolver.resolve(`${key.key.slice(0, -1)}#`), null);

      const deadPg = createPostgresDb({ url: 'postgres://postgres@127.0.0.1:1/none', connectTimeoutMs: 500 });
      const stranded = createApiKeyResolver({
        db: deadPg,
        redis: deadRedis,
        redisPrefix: 'sgtest:dead',
        markers,
        log,
      });
      await assert.rejects(stranded.resolve(key.key), (error) => isUnavailableError(error));
      await deadPg.close();

      const counter = createRedisAttemptCounter(deadRedis, 'sgtest:dead', log);
      const admission = await admit(counter, [{ key: 'x', max: 0, windowMs: 1000 }]);
      assert.equal(admission.allowed, true, 'the limiter fails open');
    } finally {
      deadRedis.disconnect();
      await close();
    }
  });
});
