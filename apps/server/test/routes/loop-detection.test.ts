// Loop detection (docs/api.md §7 `repeats`), on both stores: the repeat count is decided in the same atomic step as
// the money, so hundreds of concurrent requests with one fingerprint get exactly `max` accepted; the kill switch
// flips with reason loop_detected (confirmed by PostgreSQL from committed requests); held reservations count once;
// a request taken back counts nothing; and the counts survive a rebuild from PostgreSQL.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Static } from 'typebox';
import type { ReservationCreatedSchema } from '../../src/schemas/spend.js';
import { retryUntilSettled } from '../engine/outage-helpers.js';
import { startTestServer, type TestServer } from '../harness.js';
import { dbRows } from '../reservations/helpers.js';
import {
  type AgentJson,
  type CustomerWithKeys,
  createAgent,
  customersWithKeys,
  expectError,
  expectStatus,
  getAgent,
  idemKey,
  injectJson,
  postEvent,
} from './inject.js';

type Created = Static<typeof ReservationCreatedSchema>;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

for (const backend of ['embedded', 'postgres+redis'] as const) {
  describe(`loop detection (${backend})`, () => {
    let server: TestServer;
    let c: CustomerWithKeys;
    before(async () => {
      server = await startTestServer(backend === 'embedded' ? { embedded: true } : {});
      [c] = (await customersWithKeys(server.app, 1)) as [CustomerWithKeys];
    });
    after(() => server.close());

    const event = (agent: string, fingerprint: string | undefined, key = idemKey('loop')) =>
      postEvent(
        server.app,
        { key: c.ingest.key },
        { agent, cost_micros: 10, ...(fingerprint ? { fingerprint } : {}) },
        key,
      );
    const reserve = (agent: string, fingerprint: string) =>
      injectJson<Created>(server.app, '/v1/reservations', {
        key: c.ingest.key,
        body: { agent, amount_micros: 10, fingerprint },
        idempotencyKey: idemKey('loop-rsv'),
      });
    const withRepeats = (name: string, max: number, windowSeconds = 600) =>
      createAgent(server.app, c.admin.key, name, { repeats: { max, window_seconds: windowSeconds } });
    /** The kill switch as PostgreSQL has it (the flip is confirmed in the declined request's transaction). */
    const waitForSuspension = async (name: string): Promise<AgentJson> => {
      for (let i = 0; i < 100; i++) {
        const agent = await getAgent(server.app, c.admin.key, name);
        if (agent.status === 'suspended') return agent;
        await sleep(20);
      }
      return getAgent(server.app, c.admin.key, name);
    };

    it('50 concurrent events with one fingerprint and max 10: exactly 10 accepted, the kill switch flips (loop_detected)', async () => {
      await withRepeats('looper', 10);
      // A fast 503 past the deadline is retried with the same key, as a client does.
      const results = await Promise.all(
        Array.from({ length: 50 }, () => {
          const key = idemKey('looper');
          return retryUntilSettled(() => event('looper', 'same-prompt', key));
        }),
      );
      const accepted = results.filter((r) => r.status === 201);
      assert.equal(accepted.length, 10);
      const codes = new Set<string>();
      for (const r of results.filter((x) => x.status !== 201)) {
        assert.equal(r.status, 403, `unexpected ${r.status}`);
        codes.add((r.body as unknown as { error: { code: string } }).error.code);
      }
      // The 11th is loop_detected; the ones decided after its flip meet the kill switch.
      assert.ok(codes.has('loop_detected'), [...codes].join(','));
      for (const code of codes) assert.ok(code === 'loop_detected' || code === 'agent_suspended', code);

      const agent = await waitForSuspension('looper');
      assert.equal(agent.status, 'suspended');
      assert.equal(agent.suspended_reason, 'loop_detected');
      assert.equal(agent.suspended_period ?? null, null);
      const rows = await dbRows<{ n: number }>(
        server.app,
        `SELECT count(*)::int AS n FROM events e JOIN agents a ON a.id = e.agent_id
          WHERE a.name = 'looper' AND e.status = 'accepted' AND e.fingerprint = 'same-prompt'`,
      );
      assert.equal(rows[0]?.n, 10);
      // Only resume lifts it.
      expectError(await event('looper', 'another-prompt'), 403, 'agent_suspended');
    });

    it('the refusal names the fingerprint, the count (the refused call included) and the window', async () => {
      await withRepeats('explainer', 2, 120);
      expectStatus(await event('explainer', 'fp-x'), 201);
      expectStatus(await event('explainer', 'fp-x'), 201);
      const error = expectError(await event('explainer', 'fp-x'), 403, 'loop_detected');
      assert.equal(error.fingerprint, 'fp-x');
      assert.equal(error.count, 3);
      assert.equal(error.window_seconds, 120);
      assert.match(error.message, /3 times within 120 s/);
    });

    it('other fingerprints, and requests without one, are not counted together', async () => {
      await withRepeats('varied', 2);
      for (const fp of ['a', 'b', 'c', 'a', 'b', 'c']) expectStatus(await event('varied', fp), 201);
      for (let i = 0; i < 5; i++) expectStatus(await event('varied', undefined), 201);
      expectError(await event('varied', 'a'), 403, 'loop_detected');
    });

    it('a replay counts nothing more; held reservations count once and their commits add nothing', async () => {
      await withRepeats('holder', 3);
      const key = idemKey('replayed');
      expectStatus(await event('holder', 'fp-h', key), 201);
      expectStatus(await event('holder', 'fp-h', key), 201); // the same request again: replayed
      const held = expectStatus(await reserve('holder', 'fp-h'), 201).body;
      const commit = await injectJson(server.app, `/v1/reservations/${held.reservation.id}/commit`, {
        key: c.ingest.key,
        body: { cost_micros: 5 },
      });
      expectStatus(commit, 201);
      expectStatus(await reserve('holder', 'fp-h'), 201); // third: event, hold, hold
      const refused = await reserve('holder', 'fp-h');
      const error = expectError(refused, 403, 'loop_detected');
      assert.equal(error.count, 4);
      // A loop flips the kill switch for a reservation too (unlike a budget decline of an estimate).
      assert.equal((await waitForSuspension('holder')).suspended_reason, 'loop_detected');
    });

    it('the counts come back from PostgreSQL when the store rebuilds them (a changed window)', async () => {
      await withRepeats('rebuilt', 3, 600);
      for (let i = 0; i < 3; i++) expectStatus(await event('rebuilt', 'fp-r'), 201);
      // Another window: the store's occurrences are for the old one, so they are rebuilt from PostgreSQL's rows.
      const patched = await injectJson(server.app, '/v1/agents/rebuilt', {
        method: 'PATCH',
        key: c.admin.key,
        body: { limits: { repeats: { max: 3, window_seconds: 900 } } },
      });
      expectStatus(patched, 200);
      expectError(await event('rebuilt', 'fp-r'), 403, 'loop_detected');
    });

    it('occurrences older than the window no longer count', async () => {
      await withRepeats('patient', 1, 1);
      expectStatus(await event('patient', 'fp-p'), 201);
      await sleep(1_100);
      expectStatus(await event('patient', 'fp-p'), 201);
    });
  });
}
