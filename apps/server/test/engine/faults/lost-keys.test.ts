// Redis loses its keys (FLUSHALL, a restart without persistence, a failover to an empty replica) while money is in
// flight (issue 11 #4 and the suspected rebuild races): instance A has decided something and its PostgreSQL commit
// is still on the wire; instance B rebuilds the counters from PostgreSQL, which does not have A's decision yet.
// Whatever the interleaving, PostgreSQL must never end up with more accepted than the limit.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type ApiResponse, api, signupAndAdminKey } from '../../harness.js';
import { createAgent, dbSpend, type Json, postEvent } from '../helpers.js';
import {
  agentIdOf,
  type Deployment,
  fillToLimit,
  newKey,
  retrying,
  sleep,
  startDeployment,
  USD,
  within,
} from './fault-helpers.js';
import { dbSpendOf, flushStore, isEventBatch, isReservationInsert, reconcile, storeSpend } from './probe.js';

const reserve = (url: string, key: string, body: Record<string, unknown>, idempotencyKey: string) =>
  api<Json>(url, '/v1/reservations', { key, body, headers: { 'idempotency-key': idempotencyKey } });

describe('Redis keys lost while a commit is in flight', { timeout: 150_000 }, () => {
  let d: Deployment;
  before(async () => {
    d = await startDeployment();
  });
  after(() => d.close());

  /** Resumes A's PostgreSQL once `done` settled or after `maxMs` — before A's own query timeout (6 s) fires. */
  const resumeAfter = async (done: Promise<unknown>, maxMs = 3_000) => {
    await Promise.race([done.catch(() => {}), sleep(maxMs)]);
    d.pgProxy.resume();
  };

  it('4: an event decided on A before the flush still counts for B — PostgreSQL never exceeds the limit', async () => {
    const { a, b } = d;
    const t = await signupAndAdminKey(a.url);
    await createAgent(a.url, t.adminKey, 'flush-bot', { month_usd: 10 });
    const agentId = await agentIdOf(d.databaseUrl, t.customerId, 'flush-bot');
    assert.equal(
      (await postEvent(a.url, t.adminKey, { agent: 'flush-bot', cost_micros: 7 * USD })).status,
      201,
    );

    // A decides E ($3); its batch is held on the wire.
    const eBody = { agent: 'flush-bot', cost_micros: 3 * USD };
    const eKey = newKey('e');
    const atBatch = d.pgProxy.stallBefore(isEventBatch);
    const e = retrying(() => postEvent(a.url, t.adminKey, eBody, eKey), 15_000);
    await within(5_000, "E's batch is on the wire", atBatch);

    // Redis loses everything; B decides F ($3) from a rebuild.
    await flushStore(a);
    const f = retrying(
      () => postEvent(b.url, t.adminKey, { agent: 'flush-bot', cost_micros: 3 * USD }),
      15_000,
    );
    await resumeAfter(f);
    const [eAnswer, fAnswer] = await Promise.all([e, f]);

    const spent = await dbSpend(d.databaseUrl, t.customerId, 'flush-bot');
    assert.ok(
      spent.events <= 10 * USD,
      `PostgreSQL accepted ${spent.events / USD} USD on a 10 USD limit (E: ${eAnswer.status}, F: ${fAnswer.status})`,
    );
    await fillToLimit(b.url, t.adminKey, 'flush-bot', 1 * USD);
    const final = await dbSpend(d.databaseUrl, t.customerId, 'flush-bot');
    assert.ok(final.events <= 10 * USD, `after filling: ${final.events / USD} USD on 10`);
    await reconcile(b);
    assert.deepEqual(
      await storeSpend(b, t.customerId, agentId),
      await dbSpendOf(b, t.customerId, agentId),
      'store counters equal PostgreSQL',
    );
  });

  it("suspected: a rebuild racing a hold's insert keeps the hold — PostgreSQL never exceeds the limit", async () => {
    const { a, b } = d;
    const t = await signupAndAdminKey(a.url);
    await createAgent(a.url, t.adminKey, 'insert-bot', { month_usd: 10 });
    assert.equal(
      (await postEvent(a.url, t.adminKey, { agent: 'insert-bot', cost_micros: 4 * USD })).status,
      201,
    );

    // A holds H ($4); the reservation row is still on its way to PostgreSQL when Redis loses everything.
    const hKey = newKey('h');
    const hBody = { agent: 'insert-bot', amount_micros: 4 * USD };
    const atInsert = d.pgProxy.stallBefore(isReservationInsert);
    const h = retrying(() => reserve(a.url, t.adminKey, hBody, hKey), 15_000);
    await within(5_000, "H's insert is on the wire", atInsert);
    await flushStore(a);
    const f = retrying(
      () => postEvent(b.url, t.adminKey, { agent: 'insert-bot', cost_micros: 4 * USD }),
      15_000,
    );
    await resumeAfter(f);
    const [held, fAnswer] = await Promise.all([h, f]);

    let committed: ApiResponse<Json> | null = null;
    if (held.status === 201) {
      // The hold was granted: its money is spent (at its estimate).
      const id = held.body.reservation.id as string;
      committed = await retrying(() =>
        api(a.url, `/v1/reservations/${id}/commit`, { key: t.adminKey, body: { cost_micros: 4 * USD } }),
      );
    }
    const spent = await dbSpend(d.databaseUrl, t.customerId, 'insert-bot');
    assert.ok(
      spent.events <= 10 * USD,
      `PostgreSQL accepted ${spent.events / USD} USD on a 10 USD limit (hold: ${held.status}, F: ${fAnswer.status}, commit: ${committed?.status})`,
    );
  });

  it("suspected: a rebuild racing a hold's commit neither drops nor doubles it — PostgreSQL never exceeds the limit", async () => {
    const { a, b } = d;
    const t = await signupAndAdminKey(a.url);
    await createAgent(a.url, t.adminKey, 'commit-bot', { month_usd: 10 });
    const agentId = await agentIdOf(d.databaseUrl, t.customerId, 'commit-bot');
    const ttlSeconds = 4;
    const held = await reserve(
      a.url,
      t.adminKey,
      { agent: 'commit-bot', amount_micros: 5 * USD, ttl_seconds: ttlSeconds },
      newKey('h'),
    );
    assert.equal(held.status, 201, JSON.stringify(held.body));
    const id = held.body.reservation.id as string;
    const expiresAt = Date.parse(held.body.reservation.expires_at);

    // A commits H ($5): the store moved it from held to spent; the commit's batch is held on the wire.
    const atBatch = d.pgProxy.stallBefore(isEventBatch);
    // A flush makes the store wait LATE_COMMIT_MS before rebuilding (503 + Retry-After meanwhile): clients that
    // retry for longer than that get through.
    const c = retrying(
      () => api(a.url, `/v1/reservations/${id}/commit`, { key: t.adminKey, body: { cost_micros: 5 * USD } }),
      35_000,
    );
    await within(5_000, "the commit's batch is on the wire", atBatch);
    await flushStore(a);
    // B rebuilds while PostgreSQL still says "held".
    const f = retrying(
      () => postEvent(b.url, t.adminKey, { agent: 'commit-bot', cost_micros: 1 * USD }),
      35_000,
    );
    await resumeAfter(f);
    const [commitAnswer, fAnswer] = await Promise.all([c, f]);
    assert.equal(commitAnswer.status, 201, JSON.stringify(commitAnswer.body));

    // After the hold's expiry has passed, the client spends up to its limit.
    await sleep(Math.max(0, expiresAt - Date.now()) + 500);
    await fillToLimit(b.url, t.adminKey, 'commit-bot', 1 * USD);
    const spent = await dbSpend(d.databaseUrl, t.customerId, 'commit-bot');
    assert.ok(
      spent.events <= 10 * USD,
      `PostgreSQL accepted ${spent.events / USD} USD on a 10 USD limit (F: ${fAnswer.status})`,
    );
    await reconcile(b);
    assert.deepEqual(
      await storeSpend(b, t.customerId, agentId),
      await dbSpendOf(b, t.customerId, agentId),
      'store counters equal PostgreSQL',
    );
  });
});
