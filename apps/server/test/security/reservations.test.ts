// Adversarial: reservations are objects with ids — another customer's reservation id must behave exactly like an
// id that does not exist (404 on read, commit and release; never listed), and must stay untouched.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { api, signupAndAdminKey, startTestServer, type Tenant, type TestServer } from '../harness.js';
import { SQL_INJECTIONS, tableCounts } from './helpers.js';

let sequence = 0;
const key = () => `rsv-sec-${Date.now()}-${++sequence}`;

describe('reservations (adversarial)', () => {
  let server: TestServer;
  let alice: Tenant;
  let bob: Tenant;
  let aliceReservation: string;
  before(async () => {
    server = await startTestServer();
    alice = await signupAndAdminKey(server.url);
    bob = await signupAndAdminKey(server.url);
    const held = await api(server.url, '/v1/reservations', {
      body: { agent: 'alice-rsv-agent', amount_micros: 250_000, ttl_seconds: 600 },
      key: alice.adminKey,
      headers: { 'idempotency-key': key() },
    });
    assert.equal(held.status, 201, JSON.stringify(held.body));
    aliceReservation = held.body.reservation.id;
    assert.match(aliceReservation, /^rsv_/);
  });
  after(async () => {
    await server.close();
  });

  it("answers 404 for another customer's reservation id on read, commit and release; it stays held", async () => {
    const eventsBefore = await tableCounts(server.databaseUrl, ['events']);
    const attempts: Array<{ method: string; path: string; body?: unknown }> = [
      { method: 'GET', path: `/v1/reservations/${aliceReservation}` },
      { method: 'POST', path: `/v1/reservations/${aliceReservation}/commit`, body: { cost_micros: 1 } },
      { method: 'POST', path: `/v1/reservations/${aliceReservation}/release`, body: {} },
    ];
    for (const attempt of attempts) {
      const res = await api(server.url, attempt.path, {
        method: attempt.method,
        ...(attempt.body ? { body: attempt.body } : {}),
        key: bob.adminKey,
        headers: { 'idempotency-key': key() },
      });
      assert.equal(
        res.status,
        404,
        `${attempt.method} ${attempt.path}: ${res.status} ${JSON.stringify(res.body)}`,
      );
      assert.equal(res.body.error.code, 'not_found');
      assert.doesNotMatch(JSON.stringify(res.body), /alice|250000/);
    }
    const unknown = await api(server.url, '/v1/reservations/rsv_doesnotexist000000000000', {
      key: bob.adminKey,
    });
    assert.equal(unknown.status, 404);
    const list = await api(server.url, '/v1/reservations?limit=100', { key: bob.adminKey });
    assert.equal(list.status, 200);
    assert.doesNotMatch(JSON.stringify(list.body), new RegExp(aliceReservation));
    assert.deepEqual(await tableCounts(server.databaseUrl, ['events']), eventsBefore);
    const mine = await api(server.url, `/v1/reservations/${aliceReservation}`, { key: alice.adminKey });
    assert.equal(mine.status, 200, JSON.stringify(mine.body));
    assert.equal((mine.body.reservation ?? mine.body).status, 'held');
  });

  it('refuses SQL-injection strings as ids and filters with 400/404, never 500', async () => {
    for (const evil of SQL_INJECTIONS) {
      const id = encodeURIComponent(evil);
      for (const [method, path] of [
        ['GET', `/v1/reservations/${id}`],
        ['POST', `/v1/reservations/${id}/commit`],
        ['POST', `/v1/reservations/${id}/release`],
        ['GET', `/v1/reservations?agent=${id}`],
        ['GET', `/v1/reservations?cursor=${id}`],
      ] as const) {
        const res = await api(server.url, path, {
          method,
          ...(method === 'POST' ? { body: path.endsWith('commit') ? { cost_micros: 1 } : {} } : {}),
          key: alice.adminKey,
          headers: { 'idempotency-key': key() },
        });
        assert.ok(
          [400, 404].includes(res.status),
          `${method} ${path}: ${res.status} ${JSON.stringify(res.body)}`,
        );
      }
    }
    const mine = await api(server.url, `/v1/reservations/${aliceReservation}`, { key: alice.adminKey });
    assert.equal((mine.body.reservation ?? mine.body).status, 'held');
  });

  it('a bound ingest key cannot reserve for, or commit, another agent (403 forbidden)', async () => {
    const bound = await api(server.url, '/v1/api-keys', {
      body: { name: 'bound', kind: 'ingest', agent: 'alice-rsv-agent' },
      key: alice.adminKey,
    });
    assert.equal(bound.status, 201, JSON.stringify(bound.body));
    const other = await api(server.url, '/v1/reservations', {
      body: { agent: 'another-agent', amount_micros: 1 },
      key: bound.body.key,
      headers: { 'idempotency-key': key() },
    });
    assert.equal(other.status, 403);
    assert.equal(other.body.error.code, 'forbidden');
  });
});
