// Acceptance: run caps and runaway (velocity) detection over HTTP (docs/api.md §5 steps 3–4, §7), and a restart that wipes
// the counter cache still counting an open hold (docs/api.md §6 + DESIGN §2) — on both backends.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { api, signupAndAdminKey, type TestServer } from '../harness.js';
import {
  BACKENDS,
  postEvent,
  reserve,
  sleep,
  startEmbeddedOn,
  startTestServer,
  tempDir,
  tenantWithCustomerLimit,
} from './helpers.js';

for (const backend of BACKENDS) {
  describe(`run caps and velocity (${backend.name})`, () => {
    let server: TestServer;
    before(async () => {
      server = await startTestServer(backend.options);
    });
    after(async () => {
      await server.close();
    });

    it('run cap $0.10: the 11th $0.01 event of run r1 is 403 period=run; run r2 goes on; agent stays active', async () => {
      const t = await signupAndAdminKey(server.url);
      const created = await api(server.url, '/v1/agents', {
        key: t.adminKey,
        body: { name: 'runner', limits: { run_usd: 0.1 } },
      });
      assert.equal(created.status, 201);
      for (let i = 0; i < 10; i++) {
        const ok = await postEvent(server.url, t.adminKey, { agent: 'runner', run: 'r1', cost_usd: 0.01 });
        assert.equal(ok.status, 201, `event ${i + 1}: ${JSON.stringify(ok.body)}`);
      }
      const eleventh = await postEvent(server.url, t.adminKey, {
        agent: 'runner',
        run: 'r1',
        cost_usd: 0.01,
      });
      assert.equal(eleventh.status, 403);
      assert.equal(eleventh.body.error.code, 'budget_exceeded');
      assert.equal(eleventh.body.error.period, 'run');
      assert.equal(eleventh.body.error.scope, 'agent');
      assert.equal(eleventh.body.error.limit_micros, 100_000);
      assert.equal(eleventh.body.error.spent_micros, 100_000);
      assert.equal(eleventh.body.error.resets_at, null);

      const holdInRun = await reserve(server.url, t.adminKey, {
        agent: 'runner',
        run: 'r1',
        amount_usd: 0.01,
      });
      assert.equal(holdInRun.status, 403, 'a hold in the capped run is declined too');
      assert.equal(holdInRun.body.error.period, 'run');

      const otherRun = await postEvent(server.url, t.adminKey, {
        agent: 'runner',
        run: 'r2',
        cost_usd: 0.01,
      });
      assert.equal(otherRun.status, 201);
      const noRun = await postEvent(server.url, t.adminKey, { agent: 'runner', cost_usd: 0.01 });
      assert.equal(noRun.status, 201, 'events outside any run are not capped by run limits');
      const agent = await api(server.url, '/v1/agents/runner', { key: t.adminKey });
      assert.equal(agent.body.status, 'active');
      assert.equal(agent.body.suspended_reason, null);
      assert.equal(agent.body.spend.month_micros, 120_000);

      // A hold in run r2 counts toward r2's cap until committed.
      const hold = await reserve(server.url, t.adminKey, { agent: 'runner', run: 'r2', amount_usd: 0.09 });
      assert.equal(hold.status, 201);
      const over = await postEvent(server.url, t.adminKey, { agent: 'runner', run: 'r2', cost_usd: 0.01 });
      assert.equal(over.status, 403);
      assert.equal(over.body.error.period, 'run');
    });

    it('velocity $0.05 per 2 s: the 6th $0.01 event is 403 and suspends (velocity_exceeded) until resume', async () => {
      const t = await signupAndAdminKey(server.url);
      const created = await api(server.url, '/v1/agents', {
        key: t.adminKey,
        body: { name: 'runaway', limits: { velocity: { window_seconds: 2, max_usd: 0.05 } } },
      });
      assert.equal(created.status, 201);
      const started = Date.now();
      for (let i = 0; i < 5; i++) {
        const ok = await postEvent(server.url, t.adminKey, { agent: 'runaway', cost_usd: 0.01 });
        assert.equal(ok.status, 201, `event ${i + 1}`);
      }
      const sixth = await postEvent(server.url, t.adminKey, { agent: 'runaway', cost_usd: 0.01 });
      assert.ok(Date.now() - started < 2_000, 'the six events were inside one window');
      assert.equal(sixth.status, 403);
      assert.equal(sixth.body.error.code, 'budget_exceeded');
      assert.equal(sixth.body.error.period, 'velocity');
      assert.equal(sixth.body.error.limit_micros, 50_000);
      let agent = await api(server.url, '/v1/agents/runaway', { key: t.adminKey });
      assert.equal(agent.body.status, 'suspended');
      assert.equal(agent.body.suspended_reason, 'velocity_exceeded');

      await sleep(3_000); // the window has passed: the spend in it is 0 again, yet the suspension stays
      const stillOff = await postEvent(server.url, t.adminKey, { agent: 'runaway', cost_usd: 0.01 });
      assert.equal(stillOff.status, 403);
      assert.equal(stillOff.body.error.code, 'agent_suspended');
      assert.equal(stillOff.body.error.reason, 'velocity_exceeded');
      const holdOff = await reserve(server.url, t.adminKey, { agent: 'runaway', amount_usd: 0.01 });
      assert.equal(holdOff.status, 403);
      assert.equal(holdOff.body.error.code, 'agent_suspended');
      agent = await api(server.url, '/v1/agents/runaway', { key: t.adminKey });
      assert.equal(agent.body.status, 'suspended');

      const resumed = await api(server.url, '/v1/agents/runaway/resume', { key: t.adminKey, body: {} });
      assert.equal(resumed.status, 200);
      assert.equal(resumed.body.status, 'active');
      const back = await postEvent(server.url, t.adminKey, { agent: 'runaway', cost_usd: 0.01 });
      assert.equal(back.status, 201);
    });

    it('a $0.06 hold is declined by velocity $0.05 per 2 s but does not flip the kill switch (docs/api.md §6)', async () => {
      const t = await signupAndAdminKey(server.url);
      await api(server.url, '/v1/agents', {
        key: t.adminKey,
        body: { name: 'hasty', limits: { velocity: { window_seconds: 2, max_usd: 0.05 } } },
      });
      const hold = await reserve(server.url, t.adminKey, { agent: 'hasty', amount_usd: 0.06 });
      assert.equal(hold.status, 403);
      assert.equal(hold.body.error.period, 'velocity');
      const agent = await api(server.url, '/v1/agents/hasty', { key: t.adminKey });
      assert.equal(agent.body.status, 'active', 'an estimate is not spend');
      const smaller = await reserve(server.url, t.adminKey, { agent: 'hasty', amount_usd: 0.05 });
      assert.equal(smaller.status, 201, 'the agent may retry with a smaller estimate');
      // An event over the limit is spend: it flips the switch.
      const event = await postEvent(server.url, t.adminKey, { agent: 'hasty', cost_usd: 0.06 });
      assert.equal(event.status, 403);
      const after = await api(server.url, '/v1/agents/hasty', { key: t.adminKey });
      assert.equal(after.body.suspended_reason, 'velocity_exceeded');
    });
  });
}

describe('a restart (cache wiped) still counts the open hold', () => {
  it('PostgreSQL + Redis: a new instance on the same database with a fresh Redis prefix', async () => {
    const first = await startTestServer();
    const t = await tenantWithCustomerLimit(first.url, 1);
    const held = await reserve(first.url, t.adminKey, { agent: 'durable', amount_usd: 0.6 });
    assert.equal(held.status, 201);
    // The first instance owns (and drops on close) the database, so it is closed last; the second shares nothing
    // with it but PostgreSQL — its Redis prefix is new, so every counter and hold must come from PostgreSQL.
    const second = await startTestServer({ databaseUrl: first.databaseUrl as string });
    try {
      assert.notEqual(second.redisPrefix, first.redisPrefix, 'a fresh Redis prefix: nothing cached');
      const blocked = await reserve(second.url, t.adminKey, { agent: 'durable', amount_usd: 0.6 });
      assert.equal(blocked.status, 403, 'the hold was rebuilt from PostgreSQL');
      assert.equal(blocked.body.error.spent_micros, 600_000);
      const event = await postEvent(second.url, t.adminKey, { agent: 'durable', cost_usd: 0.5 });
      assert.equal(event.status, 403);
      const fits = await postEvent(second.url, t.adminKey, { agent: 'durable', cost_usd: 0.4 });
      assert.equal(fits.status, 201, 'exactly the rest of the limit is left');
      const released = await api(second.url, `/v1/reservations/${held.body.reservation.id}/release`, {
        key: t.adminKey,
        method: 'POST',
      });
      assert.equal(released.status, 200);
      const after = await reserve(second.url, t.adminKey, { agent: 'durable', amount_usd: 0.6 });
      assert.equal(after.status, 201, 'released on the new instance: the room is back');
    } finally {
      await second.close();
      await first.close();
    }
  });

  it('embedded: a new process on the same data directory', async () => {
    const dir = tempDir();
    const first = await startEmbeddedOn(dir);
    let customerKey: string;
    let holdId: string;
    try {
      const t = await tenantWithCustomerLimit(first.url, 1);
      customerKey = t.adminKey;
      const held = await reserve(first.url, t.adminKey, { agent: 'durable', amount_usd: 0.6 });
      assert.equal(held.status, 201);
      holdId = held.body.reservation.id;
    } finally {
      await first.close();
    }
    const second = await startEmbeddedOn(dir);
    try {
      const blocked = await reserve(second.url, customerKey, { agent: 'durable', amount_usd: 0.6 });
      assert.equal(blocked.status, 403, 'the in-process store was empty; the hold came back from PGlite');
      const got = await api(second.url, `/v1/reservations/${holdId}`, { key: customerKey });
      assert.equal(got.body.reservation.status, 'held');
      const committed = await api(second.url, `/v1/reservations/${holdId}/commit`, {
        key: customerKey,
        body: { cost_usd: 0.3 },
      });
      assert.equal(committed.status, 201);
      const fits = await reserve(second.url, customerKey, { agent: 'durable', amount_usd: 0.7 });
      assert.equal(fits.status, 201, 'the hold became its real cost: 0.30 spent, 0.70 left');
    } finally {
      await second.close();
    }
  });
});
