// Reservations fail closed and end exact (DESIGN §2): with Redis or PostgreSQL unreachable, reserve, commit and
// release answer 503 fast and a retry completes them counting exactly once. Outages are made with a TCP proxy in
// front of the shared servers (PostgreSQL + Redis backend only: the embedded one has no network dependency).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  type ProxiedServer,
  retryUntilSettled,
  startBehindProxies,
  timed,
} from '../engine/outage-helpers.js';
import type { TestServer } from '../harness.js';
import { api, signupAndAdminKey } from '../harness.js';
import type { TcpProxy } from '../tcp-proxy.js';
import { commit, newKey, release, reserve } from './helpers.js';

describe('reservations during dependency outages (PostgreSQL + Redis)', () => {
  let proxied: ProxiedServer;
  let pgProxy: TcpProxy;
  let redisProxy: TcpProxy;
  let server: TestServer;
  before(async () => {
    proxied = await startBehindProxies();
    ({ server, pgProxy, redisProxy } = proxied);
  });
  after(() => proxied.close());

  const spendOf = async (key: string, agent: string) =>
    (await api(server.url, `/v1/agents/${agent}`, { key })).body.spend.month_micros as number;

  it('Redis down: reserve, commit and release are 503 within 2 s; back, retries complete exactly once', async () => {
    const t = await signupAndAdminKey(server.url);
    const held = await reserve(server.url, t.adminKey, { agent: 'redis-out', amount_micros: 5_000 });
    assert.equal(held.status, 201);
    const id = held.body.reservation.id;
    const keyed = newKey();

    redisProxy.cut();
    try {
      const downReserve = await timed(() =>
        reserve(server.url, t.adminKey, { agent: 'redis-out', amount_micros: 1_000 }, keyed),
      );
      assert.equal(downReserve.value.status, 503);
      assert.ok(downReserve.ms < 2_000, `took ${downReserve.ms} ms`);
      const downCommit = await timed(() => commit(server.url, t.adminKey, id, { cost_micros: 4_000 }));
      assert.equal(downCommit.value.status, 503, JSON.stringify(downCommit.value.body));
      assert.ok(downCommit.ms < 2_000, `took ${downCommit.ms} ms`);
      const downRelease = await release(server.url, t.adminKey, id);
      assert.equal(downRelease.status, 503);
    } finally {
      redisProxy.resume();
    }
    const row = (await api(server.url, `/v1/reservations/${id}`, { key: t.adminKey })).body.reservation;
    assert.equal(row.status, 'held', 'nothing changed while Redis was down');

    const committed = await retryUntilSettled(() =>
      commit(server.url, t.adminKey, id, { cost_micros: 4_000 }),
    );
    assert.equal(committed.status, 201, JSON.stringify(committed.body));
    const again = await commit(server.url, t.adminKey, id, { cost_micros: 4_000 });
    assert.equal(again.body.event.id, committed.body.event.id);
    const retried = await retryUntilSettled(() =>
      reserve(server.url, t.adminKey, { agent: 'redis-out', amount_micros: 1_000 }, keyed),
    );
    assert.equal(retried.status, 201);
    assert.equal(await spendOf(t.adminKey, 'redis-out'), 4_000 + 1_000, 'the cost once, plus the new hold');
  });

  it('PostgreSQL down: 503 within 2 s, never a 201 for what is not stored; back, counted once', async () => {
    const t = await signupAndAdminKey(server.url);
    const held = await reserve(server.url, t.adminKey, { agent: 'pg-out', amount_micros: 7_000 });
    assert.equal(held.status, 201);
    const id = held.body.reservation.id;
    const keyed = newKey();

    pgProxy.cut();
    try {
      const downReserve = await timed(() =>
        reserve(server.url, t.adminKey, { agent: 'pg-out', amount_micros: 2_000 }, keyed),
      );
      assert.equal(downReserve.value.status, 503);
      assert.ok(downReserve.ms < 2_500, `took ${downReserve.ms} ms`);
      const downCommit = await timed(() => commit(server.url, t.adminKey, id, { cost_micros: 6_000 }));
      assert.equal(downCommit.value.status, 503);
      assert.ok(downCommit.ms < 2_500, `took ${downCommit.ms} ms`);
    } finally {
      pgProxy.resume();
    }

    const retried = await retryUntilSettled(() =>
      reserve(server.url, t.adminKey, { agent: 'pg-out', amount_micros: 2_000 }, keyed),
    );
    assert.equal(retried.status, 201, JSON.stringify(retried.body));
    const committed = await retryUntilSettled(() =>
      commit(server.url, t.adminKey, id, { cost_micros: 6_000 }),
    );
    assert.equal(committed.status, 201, JSON.stringify(committed.body));
    const released = await release(server.url, t.adminKey, retried.body.reservation.id);
    assert.equal(released.status, 200);
    assert.equal(await spendOf(t.adminKey, 'pg-out'), 6_000, 'the committed cost once; both holds gone');
  });
});
