// Idempotency keys are the client's own namespace (docs/api.md §5): `rsv:<id>:commit` is an ordinary key and never collides
// with what Spendguard records internally for a reservation's commit — before or after that commit.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type ApiResponse, signupAndAdminKey, startTestServer, type TestServer } from '../../harness.js';
import { BACKENDS, commit, dbRows, type Json, reserve } from '../../reservations/helpers.js';
import { createAgent, postEvent } from '../helpers.js';
import { retryUntilSettled } from '../outage-helpers.js';

for (const backend of BACKENDS) {
  describe(`a client idempotency key shaped like a reservation commit's (${backend.name})`, () => {
    let server: TestServer;
    before(async () => {
      server = await startTestServer(backend.options);
    });
    after(() => server.close());

    const accepted = async (customerId: string) =>
      (
        await dbRows<{ id: string; idempotency_key: string; cost_micros: number }>(
          server.app,
          `SELECT id, idempotency_key, cost_micros FROM events
            WHERE customer_id = $1 AND status = 'accepted' ORDER BY cost_micros`,
          [customerId],
        )
      ).map((r) => ({ ...r, cost_micros: Number(r.cost_micros) }));

    it("an event under an open reservation's commit key is an ordinary event; the commit still works", async () => {
      const t = await signupAndAdminKey(server.url);
      await createAgent(server.url, t.adminKey, 'rk-open', { month_micros: 1_000_000 });
      const held = await reserve(server.url, t.adminKey, { agent: 'rk-open', amount_micros: 1_000 });
      assert.equal(held.status, 201, JSON.stringify(held.body));
      const id = held.body.reservation.id as string;
      const key = `rsv:${id}:commit`;
      const event = await postEvent(server.url, t.adminKey, { agent: 'rk-open', cost_micros: 500 }, key);
      assert.equal(event.status, 201, JSON.stringify(event.body));
      assert.equal(event.headers.get('idempotent-replayed'), null);
      const committed: ApiResponse<Json> = await retryUntilSettled(
        () => commit(server.url, t.adminKey, id, { cost_micros: 800 }),
        5_000,
      );
      assert.equal(committed.status, 201, `the reservation's commit: ${JSON.stringify(committed.body)}`);
      assert.notEqual(committed.body.event.id, event.body.event.id);
      const again = await postEvent(server.url, t.adminKey, { agent: 'rk-open', cost_micros: 500 }, key);
      assert.equal(again.status, 201);
      assert.equal(again.headers.get('idempotent-replayed'), 'true');
      assert.equal(again.body.event.id, event.body.event.id);
      const rows = await accepted(t.customerId);
      assert.deepEqual(
        rows.map((r) => r.cost_micros),
        [500, 800],
        'both recorded, once each',
      );
    });

    it("an event under a committed reservation's commit key is an ordinary event, not its replay", async () => {
      const t = await signupAndAdminKey(server.url);
      await createAgent(server.url, t.adminKey, 'rk-done', { month_micros: 1_000_000 });
      const held = await reserve(server.url, t.adminKey, { agent: 'rk-done', amount_micros: 1_000 });
      assert.equal(held.status, 201, JSON.stringify(held.body));
      const id = held.body.reservation.id as string;
      const committed = await commit(server.url, t.adminKey, id, { cost_micros: 800 });
      assert.equal(committed.status, 201, JSON.stringify(committed.body));
      const event = await postEvent(
        server.url,
        t.adminKey,
        { agent: 'rk-done', cost_micros: 500 },
        `rsv:${id}:commit`,
      );
      assert.equal(
        `${event.status} ${event.headers.get('idempotent-replayed') ?? ''}`.trim(),
        '201',
        `expected a fresh 201: ${JSON.stringify(event.body)}`,
      );
      assert.equal(event.body.event.cost_micros, 500);
      const rows = await accepted(t.customerId);
      assert.deepEqual(
        rows.map((r) => r.cost_micros),
        [500, 800],
        'both recorded, once each',
      );
    });
  });
}
