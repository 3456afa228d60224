// Acceptance: reservations (docs/api.md §6) over HTTP, against PostgreSQL + Redis and against the embedded default.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { api, signupAndAdminKey, type Tenant, type TestServer } from '../harness.js';
import {
  BACKENDS,
  commit,
  dbRows,
  type Json,
  newKey,
  postEvent,
  release,
  reserve,
  sleep,
  startTestServer,
  tenantWithCustomerLimit,
} from './helpers.js';

for (const backend of BACKENDS) {
  describe(`reservations (${backend.name})`, () => {
    let server: TestServer;
    // Signups are rate limited per client address: tests that need no customer limit share one tenant
    // (each with its own agent names).
    let shared: Tenant;
    before(async () => {
      server = await startTestServer(backend.options);
      shared = await signupAndAdminKey(server.url);
    });
    after(async () => {
      await server.close();
    });

    it('with $1.00 left: $0.60 hold 201, second $0.60 hold 403, $0.50 event 403; commit $0.70 recorded once', async () => {
      const t = await tenantWithCustomerLimit(server.url, 1);
      const held = await reserve(server.url, t.adminKey, { agent: 'llm-bot', amount_usd: 0.6, run: 'r1' });
      assert.equal(held.status, 201, JSON.stringify(held.body));
      const rsv = held.body.reservation;
      assert.match(rsv.id, /^rsv_[A-Za-z0-9]{22}$/);
      assert.equal(rsv.agent, 'llm-bot');
      assert.equal(rsv.run, 'r1');
      assert.equal(rsv.amount_micros, 600_000);
      assert.equal(rsv.amount_usd, '0.600000');
      assert.equal(rsv.status, 'held');
      const ttl = Date.parse(rsv.expires_at) - Date.parse(rsv.created_at);
      assert.equal(ttl, 300_000, 'default ttl is 300 s');
      assert.equal(held.body.budget.customer.month.spent_micros, 600_000, 'the hold counts in the budget');
      assert.equal(held.body.budget.customer.month.remaining_micros, 400_000);
      const [row] = await dbRows<Json>(
        server.app,
        'SELECT status, amount_micros FROM reservations WHERE id = $1',
        [rsv.id],
      );
      assert.equal(row.status, 'held', 'the hold is in PostgreSQL before the 201');
      assert.equal(Number(row.amount_micros), 600_000);

      const second = await reserve(server.url, t.adminKey, { agent: 'llm-bot', amount_usd: 0.6 });
      assert.equal(second.status, 403);
      assert.equal(second.body.error.code, 'budget_exceeded');
      assert.equal(second.body.error.scope, 'customer');
      assert.equal(second.body.error.period, 'month');
      assert.equal(second.body.error.limit_micros, 1_000_000);
      assert.equal(second.body.error.reservation.status, 'declined');

      const event = await postEvent(server.url, t.adminKey, { agent: 'llm-bot', cost_usd: 0.5 });
      assert.equal(event.status, 403);
      assert.equal(event.body.error.code, 'budget_exceeded');
      assert.equal(event.body.error.spent_micros, 600_000, 'the decline saw the held amount');

      const committed = await commit(server.url, t.adminKey, rsv.id, {
        cost_usd: '0.70',
        metadata: { model: 'gpt-4o', tokens: 1834 },
      });
      assert.equal(committed.status, 201, JSON.stringify(committed.body));
      assert.equal(
        committed.body.event.cost_micros,
        700_000,
        'the real cost is recorded, above the estimate',
      );
      assert.equal(committed.body.event.cost_usd, '0.700000');
      assert.equal(committed.body.event.reservation_id, rsv.id);
      assert.equal(committed.body.event.status, 'accepted');
      assert.equal(committed.body.event.run, 'r1');
      assert.deepEqual(committed.body.event.metadata, { model: 'gpt-4o', tokens: 1834 });
      assert.equal(
        committed.body.budget.customer.month.spent_micros,
        700_000,
        'hold replaced by the real cost',
      );

      const again = await commit(server.url, t.adminKey, rsv.id, {
        cost_usd: '0.70',
        metadata: { tokens: 1834, model: 'gpt-4o' },
      });
      assert.equal(again.status, 201);
      assert.equal(again.headers.get('idempotent-replayed'), 'true');
      assert.equal(again.body.event.id, committed.body.event.id, 'committing twice replays the first result');

      const other = await commit(server.url, t.adminKey, rsv.id, { cost_usd: '0.20' });
      assert.equal(other.status, 422);
      assert.equal(other.body.error.code, 'idempotency_key_reused');

      const releaseCommitted = await release(server.url, t.adminKey, rsv.id);
      assert.equal(releaseCommitted.status, 409);
      assert.equal(releaseCommitted.body.error.code, 'conflict');

      const got = await api(server.url, `/v1/reservations/${rsv.id}`, { key: t.adminKey });
      assert.equal(got.status, 200);
      assert.equal(got.body.reservation.status, 'committed');
      assert.equal(got.body.reservation.event_id, committed.body.event.id);

      const events = await dbRows<Json>(
        server.app,
        `SELECT id, cost_micros, reservation_id FROM events WHERE customer_id = $1 AND status = 'accepted'`,
        [t.customerId],
      );
      assert.equal(events.length, 1, 'one event in PostgreSQL');
      assert.equal(Number(events[0].cost_micros), 700_000);
      assert.equal(events[0].reservation_id, rsv.id);
      const listed = await api(server.url, '/v1/events?status=accepted', { key: t.adminKey });
      assert.equal(listed.body.data[0].reservation_id, rsv.id);
    });

    it('a commit above the agent limit is recorded and flips the kill switch for what comes next', async () => {
      const t = shared;
      await api(server.url, '/v1/agents', {
        key: t.adminKey,
        body: { name: 'big', limits: { month_usd: 1 } },
      });
      const held = await reserve(server.url, t.adminKey, { agent: 'big', amount_micros: 600_000 });
      assert.equal(held.status, 201);
      const committed = await commit(server.url, t.adminKey, held.body.reservation.id, {
        cost_micros: 1_500_000,
      });
      assert.equal(committed.status, 201, JSON.stringify(committed.body));
      assert.equal(committed.body.event.cost_micros, 1_500_000);
      const agent = await api(server.url, '/v1/agents/big', { key: t.adminKey });
      assert.equal(agent.body.status, 'suspended');
      assert.equal(agent.body.suspended_reason, 'budget_exceeded');
      const next = await postEvent(server.url, t.adminKey, { agent: 'big', cost_micros: 1 });
      assert.equal(next.status, 403);
      assert.equal(next.body.error.code, 'agent_suspended');
      const [row] = await dbRows<Json>(
        server.app,
        `SELECT status FROM agents WHERE customer_id = $1 AND name = 'big'`,
        [t.customerId],
      );
      assert.equal(row.status, 'suspended', 'PostgreSQL mirrors the flip');
      const audit = await api(server.url, '/v1/audit-log', { key: t.adminKey });
      assert.ok(
        audit.body.data.some(
          (e: Json) =>
            e.action === 'agent.suspend' &&
            e.actor_type === 'system' &&
            e.target_id === agent.body.id &&
            e.after.cause.reservation_id === held.body.reservation.id,
        ),
        'the flip is in the audit log',
      );
    });

    it('a commit above the velocity limit flips the kill switch (velocity_exceeded), in PostgreSQL too', async () => {
      const t = shared;
      await api(server.url, '/v1/agents', {
        key: t.adminKey,
        body: { name: 'fast', limits: { velocity: { window_seconds: 60, max_micros: 100_000 } } },
      });
      const held = await reserve(server.url, t.adminKey, { agent: 'fast', amount_micros: 50_000 });
      assert.equal(held.status, 201, JSON.stringify(held.body));
      const committed = await commit(server.url, t.adminKey, held.body.reservation.id, {
        cost_micros: 150_000,
      });
      assert.equal(committed.status, 201, JSON.stringify(committed.body));
      const agent = await api(server.url, '/v1/agents/fast', { key: t.adminKey });
      assert.equal(agent.body.status, 'suspended');
      assert.equal(agent.body.suspended_reason, 'velocity_exceeded');
      const next = await postEvent(server.url, t.adminKey, { agent: 'fast', cost_micros: 1 });
      assert.equal(next.status, 403);
      assert.equal(next.body.error.code, 'agent_suspended');
      assert.equal(next.body.error.reason, 'velocity_exceeded');
      const [row] = await dbRows<Json>(
        server.app,
        `SELECT status, suspended_reason FROM agents WHERE customer_id = $1 AND name = 'fast'`,
        [t.customerId],
      );
      assert.deepEqual({ ...row }, { status: 'suspended', suspended_reason: 'velocity_exceeded' });
    });

    it('a commit while the agent is suspended is still recorded (the money is spent)', async () => {
      const t = shared;
      const held = await reserve(server.url, t.adminKey, { agent: 'sus', amount_micros: 100 });
      assert.equal(held.status, 201);
      const suspended = await api(server.url, '/v1/agents/sus/suspend', { key: t.adminKey, body: {} });
      assert.equal(suspended.status, 200);
      const committed = await commit(server.url, t.adminKey, held.body.reservation.id, { cost_micros: 250 });
      assert.equal(committed.status, 201);
      const agent = await api(server.url, '/v1/agents/sus', { key: t.adminKey });
      assert.equal(agent.body.spend.month_micros, 250);
      assert.equal(agent.body.status, 'suspended');
    });

    it('20 concurrent commits of one reservation record it once; a racing release gets 409 or loses', async () => {
      const t = shared;
      const held = await reserve(server.url, t.adminKey, { agent: 'racer', amount_micros: 5_000 });
      const id = held.body.reservation.id;
      const [releasing, ...commits] = await Promise.all([
        release(server.url, t.adminKey, id),
        ...Array.from({ length: 20 }, () => commit(server.url, t.adminKey, id, { cost_micros: 4_000 })),
      ]);
      const won = commits.filter((c) => c.status === 201);
      for (const c of commits)
        assert.ok([201, 409].includes(c.status), `${c.status} ${JSON.stringify(c.body)}`);
      const rows = await dbRows<Json>(
        server.app,
        `SELECT e.id, e.cost_micros FROM events e JOIN agents a ON a.id = e.agent_id
         WHERE e.customer_id = $1 AND a.name = 'racer' AND e.status = 'accepted'`,
        [t.customerId],
      );
      const agent = await api(server.url, '/v1/agents/racer', { key: t.adminKey });
      if (releasing.status === 200) {
        // The release won: nothing may be committed, nothing spent.
        assert.equal(won.length, 0);
        assert.equal(rows.length, 0);
        assert.equal(agent.body.spend.month_micros, 0);
      } else {
        assert.equal(releasing.status, 409);
        assert.ok(won.length >= 1);
        assert.equal(new Set(won.map((c) => c.body.event.id)).size, 1, 'every 201 is the same event');
        assert.equal(rows.length, 1, 'one event in PostgreSQL');
        assert.equal(Number(rows[0].cost_micros), 4_000);
        assert.equal(agent.body.spend.month_micros, 4_000, 'counted once, and the hold is gone');
      }
    });

    it('release and expiry return the held amount; releasing twice is the same 200', async () => {
      const t = await tenantWithCustomerLimit(server.url, 1);
      const a = await reserve(server.url, t.adminKey, { agent: 'rel', amount_usd: 0.6 });
      assert.equal(a.status, 201);
      const released = await release(server.url, t.adminKey, a.body.reservation.id);
      assert.equal(released.status, 200);
      assert.equal(released.body.reservation.status, 'released');
      const twice = await release(server.url, t.adminKey, a.body.reservation.id);
      assert.equal(twice.status, 200);
      assert.equal(twice.body.reservation.status, 'released');
      assert.equal(twice.body.reservation.finished_at, released.body.reservation.finished_at);
      const sdkStyle = await api(server.url, `/v1/reservations/${a.body.reservation.id}/release`, {
        key: t.adminKey,
        body: {},
        headers: { 'idempotency-key': newKey() },
      });
      assert.equal(sdkStyle.status, 200, 'an empty JSON body and an Idempotency-Key are accepted');
      const afterRelease = await commit(server.url, t.adminKey, a.body.reservation.id, { cost_micros: 1 });
      assert.equal(afterRelease.status, 409, 'a released reservation cannot be committed');

      const b = await reserve(server.url, t.adminKey, { agent: 'rel', amount_usd: 0.9, ttl_seconds: 1 });
      assert.equal(b.status, 201, 'the released amount is free again');
      const blocked = await reserve(server.url, t.adminKey, { agent: 'rel', amount_usd: 0.5 });
      assert.equal(blocked.status, 403, 'while held, the 0.90 counts');
      await sleep(2_500);
      const got = await api(server.url, `/v1/reservations/${b.body.reservation.id}`, { key: t.adminKey });
      assert.equal(got.body.reservation.status, 'expired');
      const c = await reserve(server.url, t.adminKey, { agent: 'rel', amount_usd: 0.9 });
      assert.equal(c.status, 201, 'an expired hold is gone by itself');
      const expiredList = await api(server.url, '/v1/reservations?status=expired', { key: t.adminKey });
      assert.deepEqual(
        expiredList.body.data.map((r: Json) => r.id),
        [b.body.reservation.id],
      );
      const heldList = await api(server.url, '/v1/reservations?status=held&agent=rel', { key: t.adminKey });
      assert.deepEqual(
        heldList.body.data.map((r: Json) => r.id),
        [c.body.reservation.id],
      );
      const releaseExpired = await release(server.url, t.adminKey, b.body.reservation.id);
      assert.equal(releaseExpired.status, 200);
      assert.equal(releaseExpired.body.reservation.status, 'expired');

      // The money of an expired hold may still have been spent: a late commit records it.
      const late = await commit(server.url, t.adminKey, b.body.reservation.id, { cost_usd: 0.05 });
      assert.equal(late.status, 201);
      assert.equal(late.body.event.cost_micros, 50_000);
    });

    it('200 concurrent $0.01 holds against $1.00: exactly 100 held', async () => {
      const t = await tenantWithCustomerLimit(server.url, 1);
      const results = await Promise.all(
        Array.from({ length: 200 }, () =>
          reserve(server.url, t.adminKey, { agent: 'burst', amount_usd: 0.01 }),
        ),
      );
      const statuses = results.map((r) => r.status);
      assert.equal(statuses.filter((s) => s === 201).length, 100, JSON.stringify(statuses));
      assert.equal(statuses.filter((s) => s === 403).length, 100);
      const [held] = await dbRows<Json>(
        server.app,
        `SELECT count(*)::int AS n, coalesce(sum(amount_micros), 0)::bigint AS s FROM reservations
         WHERE customer_id = $1 AND status = 'held'`,
        [t.customerId],
      );
      assert.equal(Number(held.n), 100);
      assert.equal(Number(held.s), 1_000_000);
    });

    it('idempotent like events: replay (201 and 403), 422 on another body, key space shared with events', async () => {
      const t = await tenantWithCustomerLimit(server.url, 1);
      const key = newKey();
      const first = await reserve(server.url, t.adminKey, { agent: 'idem', amount_usd: 0.4 }, key);
      assert.equal(first.status, 201);
      const replay = await reserve(server.url, t.adminKey, { agent: 'idem', amount_usd: '0.400000' }, key);
      assert.equal(replay.status, 201);
      assert.equal(replay.headers.get('idempotent-replayed'), 'true');
      assert.deepEqual(replay.body, first.body);
      const reused = await reserve(server.url, t.adminKey, { agent: 'idem', amount_usd: 0.41 }, key);
      assert.equal(reused.status, 422);
      assert.equal(reused.body.error.code, 'idempotency_key_reused');

      const declineKey = newKey();
      const declined = await reserve(server.url, t.adminKey, { agent: 'idem', amount_usd: 0.7 }, declineKey);
      assert.equal(declined.status, 403);
      await release(server.url, t.adminKey, first.body.reservation.id);
      const declinedAgain = await reserve(
        server.url,
        t.adminKey,
        { agent: 'idem', amount_usd: 0.7 },
        declineKey,
      );
      assert.equal(
        declinedAgain.status,
        403,
        'a declined reservation replays its 403 even after room was freed',
      );
      assert.equal(declinedAgain.headers.get('idempotent-replayed'), 'true');
      assert.deepEqual(declinedAgain.body, declined.body);

      const asEvent = await postEvent(server.url, t.adminKey, { agent: 'idem', cost_micros: 1 }, key);
      assert.equal(asEvent.status, 422, "a reservation's key is not reusable for an event");
      const eventKey = newKey();
      assert.equal(
        (await postEvent(server.url, t.adminKey, { agent: 'idem', cost_micros: 1 }, eventKey)).status,
        201,
      );
      const asReservation = await reserve(
        server.url,
        t.adminKey,
        { agent: 'idem', amount_micros: 1 },
        eventKey,
      );
      assert.equal(asReservation.status, 422, "an event's key is not reusable for a reservation");

      const concurrentKey = newKey();
      const copies = await Promise.all(
        Array.from({ length: 20 }, () =>
          reserve(server.url, t.adminKey, { agent: 'idem', amount_micros: 10 }, concurrentKey),
        ),
      );
      const ids = new Set(copies.filter((c) => c.status === 201).map((c) => c.body.reservation.id));
      assert.equal(ids.size, 1, 'concurrent copies of one key hold once');
      for (const c of copies) assert.ok([201, 409].includes(c.status), String(c.status));
    });

    it('validation: ttl 1–3600, exactly one amount, Idempotency-Key required, 16 KiB body, json only', async () => {
      const t = shared;
      for (const body of [
        { agent: 'v', amount_usd: 1, ttl_seconds: 0 },
        { agent: 'v', amount_usd: 1, ttl_seconds: 3601 },
        { agent: 'v', amount_usd: 1, amount_micros: 1 },
        { agent: 'v' },
        { agent: 'v', amount_usd: -1 },
        { agent: 'v', amount_usd: 1, extra: true },
      ]) {
        const res = await reserve(server.url, t.adminKey, body);
        assert.equal(res.status, 400, JSON.stringify(body));
        assert.equal(res.body.error.code, 'invalid_request');
      }
      const noKey = await api(server.url, '/v1/reservations', {
        key: t.adminKey,
        body: { agent: 'v', amount_usd: 1 },
      });
      assert.equal(noKey.status, 400);
      const max = await reserve(server.url, t.adminKey, { agent: 'v', amount_usd: 1, ttl_seconds: 3600 });
      assert.equal(max.status, 201);
      const big = await reserve(server.url, t.adminKey, {
        agent: 'v',
        amount_usd: 1,
        run: 'x'.repeat(17_000),
      });
      assert.equal(big.status, 413);
      const text = await api(server.url, '/v1/reservations', {
        key: t.adminKey,
        body: '{"agent":"v","amount_usd":1}',
        headers: { 'content-type': 'text/plain', 'idempotency-key': newKey() },
      });
      assert.equal(text.status, 415);
      const badCommit = await commit(server.url, t.adminKey, max.body.reservation.id, { cost_usd: 'NaN' });
      assert.equal(badCommit.status, 400);
    });

    it("tenant isolation: another customer's reservation is 404 for get, commit and release", async () => {
      const a = shared;
      const b = await signupAndAdminKey(server.url);
      const held = await reserve(server.url, a.adminKey, { agent: 'secret', amount_micros: 1_000 });
      const id = held.body.reservation.id;
      assert.equal((await api(server.url, `/v1/reservations/${id}`, { key: b.adminKey })).status, 404);
      assert.equal((await commit(server.url, b.adminKey, id, { cost_micros: 1 })).status, 404);
      assert.equal((await release(server.url, b.adminKey, id)).status, 404);
      const list = await api(server.url, '/v1/reservations', { key: b.adminKey });
      assert.deepEqual(list.body.data, []);
      const stillHeld = await api(server.url, `/v1/reservations/${id}`, { key: a.adminKey });
      assert.equal(stillHeld.body.reservation.status, 'held');

      // A key bound to another agent of the same customer may not act on it, and lists only its own agent.
      await api(server.url, '/v1/agents', { key: a.adminKey, body: { name: 'mine' } });
      const bound = await api(server.url, '/v1/api-keys', {
        key: a.adminKey,
        body: { name: 'bound', kind: 'ingest', agent: 'mine' },
      });
      const ingest = bound.body.key;
      assert.equal((await commit(server.url, ingest, id, { cost_micros: 1 })).status, 403);
      assert.equal((await reserve(server.url, ingest, { agent: 'secret', amount_micros: 1 })).status, 403);
      const unknown = await reserve(server.url, ingest, { agent: 'never-created', amount_micros: 1 });
      assert.equal(unknown.status, 403, 'a bound key does not create another agent');
      assert.equal((await api(server.url, '/v1/agents/never-created', { key: a.adminKey })).status, 404);
      const own = await reserve(server.url, ingest, { agent: 'mine', amount_micros: 1 });
      assert.equal(own.status, 201);
      const seen = await api(server.url, '/v1/reservations', { key: ingest });
      assert.deepEqual(
        seen.body.data.map((r: Json) => r.id),
        [own.body.reservation.id],
      );
    });

    it('lists newest first with keyset pagination', async () => {
      const t = shared;
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) {
        ids.push(
          (await reserve(server.url, t.adminKey, { agent: 'pages', amount_micros: i + 1 })).body.reservation
            .id,
        );
      }
      const page1 = await api(server.url, '/v1/reservations?agent=pages&limit=2', { key: t.adminKey });
      const page2 = await api(
        server.url,
        `/v1/reservations?agent=pages&limit=2&cursor=${page1.body.next_cursor}`,
        {
          key: t.adminKey,
        },
      );
      const page3 = await api(
        server.url,
        `/v1/reservations?agent=pages&limit=2&cursor=${page2.body.next_cursor}`,
        {
          key: t.adminKey,
        },
      );
      assert.deepEqual(
        [...page1.body.data, ...page2.body.data, ...page3.body.data].map((r: Json) => r.id),
        ids.reverse(),
      );
      assert.equal(page3.body.next_cursor, null);
    });
  });
}
