// Loop detection through the API and PostgreSQL (docs/api.md §7): the agents' `repeats` limit (create, PATCH, null,
// bounds, customer defaults, audit) and the `fingerprint` of events and reservations (validated, stored in the rows,
// part of the idempotent request). The decision itself (403 loop_detected) is the spend engine's, tested there.
// Against a real PostgreSQL server and Redis; the migration's constraints are checked on PGlite too.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Static } from 'typebox';
import { sha256Hex } from '../../src/auth/secrets.js';
import type { AuditPageSchema, CustomerSchema } from '../../src/schemas/agents.js';
import type { ReservationCreatedSchema } from '../../src/schemas/spend.js';
import { canonicalJson, requestHash } from '../../src/spend/event-service.js';
import { startTestServer, type TestServer } from '../harness.js';
import {
  type AgentJson,
  type Auth,
  type CustomerWithKeys,
  createAgent,
  customersWithKeys,
  expectError,
  expectInvalid,
  expectStatus,
  getAgent,
  header,
  idemKey,
  injectJson,
  postEvent,
} from './inject.js';

type AuditPage = Static<typeof AuditPageSchema>;
type CustomerJson = Static<typeof CustomerSchema>;
type ReservationCreated = Static<typeof ReservationCreatedSchema>;

let server: TestServer;
let customers: CustomerWithKeys[];
before(async () => {
  server = await startTestServer();
  customers = await customersWithKeys(server.app, 3);
});
after(async () => {
  await server.close();
});

async function rows<R>(text: string, params: unknown[]): Promise<R[]> {
  return (await server.app.ctx.db.query<R>(text, params)).rows;
}

const agentPath = (name: string) => `/v1/agents/${encodeURIComponent(name)}`;
const patchAgent = (auth: Auth, name: string, body: unknown) =>
  injectJson<AgentJson>(server.app, agentPath(name), { ...auth, method: 'PATCH', body });
const createRaw = (auth: Auth, body: unknown) =>
  injectJson<AgentJson>(server.app, '/v1/agents', { ...auth, body });
const reserve = (auth: Auth, body: Record<string, unknown>, idempotencyKey = idemKey('rsv')) =>
  injectJson<ReservationCreated>(server.app, '/v1/reservations', { ...auth, body, idempotencyKey });

async function storedRepeats(customerId: string, name: string) {
  const [row] = await rows<{ repeats_max: number | null; repeats_window_seconds: number | null; v: number }>(
    `SELECT repeats_max, repeats_window_seconds, limits_version::int AS v FROM agents
      WHERE customer_id = $1 AND name = $2`,
    [customerId, name],
  );
  assert.ok(row, `no agent ${name}`);
  return row;
}

describe('the repeats limit', () => {
  let c: CustomerWithKeys;
  before(() => {
    c = customers[0] as CustomerWithKeys;
  });

  it('is null by default, in the agent object and in the row', async () => {
    const agent = await createAgent(server.app, c.admin.key, 'plain-bot');
    assert.equal(agent.limits.repeats, null);
    assert.deepEqual(await storedRepeats(c.customerId, 'plain-bot'), {
      repeats_max: null,
      repeats_window_seconds: null,
      v: 1,
    });
  });

  it('create with repeats: stored and returned, by GET too; bounds are inclusive', async () => {
    const agent = await createAgent(server.app, c.admin.key, 'loop-bot', {
      month_usd: '5',
      repeats: { max: 3, window_seconds: 60 },
    });
    assert.deepEqual(agent.limits.repeats, { max: 3, window_seconds: 60 });
    assert.equal(agent.limits.month_micros, 5_000_000);
    assert.deepEqual((await getAgent(server.app, c.admin.key, 'loop-bot')).limits, agent.limits);
    const stored = await storedRepeats(c.customerId, 'loop-bot');
    assert.equal(stored.repeats_max, 3);
    assert.equal(stored.repeats_window_seconds, 60);

    const low = await createAgent(server.app, c.admin.key, 'edge-low', {
      repeats: { max: 1, window_seconds: 1 },
    });
    assert.deepEqual(low.limits.repeats, { max: 1, window_seconds: 1 });
    const high = await createAgent(server.app, c.admin.key, 'edge-high', {
      repeats: { max: 100_000, window_seconds: 86_400 },
    });
    assert.deepEqual(high.limits.repeats, { max: 100_000, window_seconds: 86_400 });
  });

  it('PATCH sets, replaces and (null) clears it; other limits leave it alone; each change bumps limits_version', async () => {
    await createAgent(server.app, c.admin.key, 'patch-bot', { day_usd: '1' });
    const set = expectStatus(
      await patchAgent({ key: c.admin.key }, 'patch-bot', {
        limits: { repeats: { max: 10, window_seconds: 300 } },
      }),
      200,
    );
    assert.deepEqual(set.body.limits.repeats, { max: 10, window_seconds: 300 });
    assert.equal(set.body.limits.day_micros, 1_000_000, 'the other limits are kept');
    assert.equal((await storedRepeats(c.customerId, 'patch-bot')).v, 2);

    const other = expectStatus(
      await patchAgent({ key: c.admin.key }, 'patch-bot', { limits: { day_usd: null } }),
      200,
    );
    assert.deepEqual(other.body.limits.repeats, { max: 10, window_seconds: 300 }, 'left out = unchanged');

    const replaced = expectStatus(
      await patchAgent({ key: c.admin.key }, 'patch-bot', {
        limits: { repeats: { max: 2, window_seconds: 5 } },
      }),
      200,
    );
    assert.deepEqual(replaced.body.limits.repeats, { max: 2, window_seconds: 5 });

    const cleared = expectStatus(
      await patchAgent({ key: c.admin.key }, 'patch-bot', { limits: { repeats: null } }),
      200,
    );
    assert.equal(cleared.body.limits.repeats, null);
    assert.deepEqual((await getAgent(server.app, c.admin.key, 'patch-bot')).limits, cleared.body.limits);
    const stored = await storedRepeats(c.customerId, 'patch-bot');
    assert.equal(stored.repeats_max, null);
    assert.equal(stored.repeats_window_seconds, null);
    assert.equal(stored.v, 5);
  });

  it('bad values are 400 naming the field, on create and PATCH, and change nothing', async () => {
    const cases: Array<[unknown, string]> = [
      [{ max: 0, window_seconds: 60 }, 'limits.repeats.max'],
      [{ max: 100_001, window_seconds: 60 }, 'limits.repeats.max'],
      [{ max: 1.5, window_seconds: 60 }, 'limits.repeats.max'],
      [{ max: '5', window_seconds: 60 }, 'limits.repeats.max'],
      [{ max: -1, window_seconds: 60 }, 'limits.repeats.max'],
      [{ max: 5, window_seconds: 0 }, 'limits.repeats.window_seconds'],
      [{ max: 5, window_seconds: 86_401 }, 'limits.repeats.window_seconds'],
      [{ max: 5, window_seconds: 60.5 }, 'limits.repeats.window_seconds'],
      [{ max: 5, window_seconds: true }, 'limits.repeats.window_seconds'],
      [{ window_seconds: 60 }, 'limits.repeats.max'],
      [{ max: 5 }, 'limits.repeats.window_seconds'],
      [{ max: 5, window_seconds: 60, per: 'hour' }, 'limits.repeats.per'],
      ['5', 'limits.repeats'],
      [5, 'limits.repeats'],
      [[5, 60], 'limits.repeats'],
    ];
    await createAgent(server.app, c.admin.key, 'steady-bot', { repeats: { max: 7, window_seconds: 70 } });
    const before = await getAgent(server.app, c.admin.key, 'steady-bot');
    const versionBefore = (await storedRepeats(c.customerId, 'steady-bot')).v;
    for (const [repeats, field] of cases) {
      const what = JSON.stringify(repeats);
      expectInvalid(
        await createRaw({ key: c.admin.key }, { name: 'never-bot', limits: { repeats } }),
        field,
        undefined,
        what,
      );
      expectInvalid(
        await patchAgent({ key: c.admin.key }, 'steady-bot', { limits: { repeats } }),
        field,
        undefined,
        what,
      );
    }
    expectError(await injectJson(server.app, agentPath('never-bot'), { key: c.admin.key }), 404, 'not_found');
    assert.deepEqual(await getAgent(server.app, c.admin.key, 'steady-bot'), before);
    assert.equal((await storedRepeats(c.customerId, 'steady-bot')).v, versionBefore);
  });

  it('the audit log shows repeats before and after, like the other limits', async () => {
    await createAgent(server.app, c.admin.key, 'audited-bot');
    expectStatus(
      await patchAgent({ key: c.admin.key }, 'audited-bot', {
        limits: { repeats: { max: 4, window_seconds: 40 } },
      }),
      200,
    );
    expectStatus(await patchAgent({ key: c.admin.key }, 'audited-bot', { limits: { repeats: null } }), 200);
    const agent = await getAgent(server.app, c.admin.key, 'audited-bot');
    const page = expectStatus(
      await injectJson<AuditPage>(server.app, '/v1/audit-log?limit=100', { key: c.admin.key }),
      200,
    ).body;
    const mine = page.data.filter((e) => e.target_id === agent.id);
    const limitsOf = (v: unknown) => (v as { limits: { repeats: unknown } }).limits.repeats;
    const updates = mine.filter((e) => e.action === 'agent.limits.update');
    assert.equal(updates.length, 2);
    // Newest first: the clearing PATCH, then the one that set it.
    assert.deepEqual(limitsOf(updates[0]?.before), { max: 4, window_seconds: 40 });
    assert.equal(limitsOf(updates[0]?.after), null);
    assert.equal(limitsOf(updates[1]?.before), null);
    assert.deepEqual(limitsOf(updates[1]?.after), { max: 4, window_seconds: 40 });
    const created = mine.find((e) => e.action === 'agent.create');
    assert.ok(created, 'the creation is audited');
    assert.equal(limitsOf(created.after), null);
  });
});

describe("the customer's default agent limits carry repeats too", () => {
  let c: CustomerWithKeys;
  before(() => {
    c = customers[1] as CustomerWithKeys;
  });
  const patchCustomer = (body: unknown) =>
    injectJson<CustomerJson>(server.app, '/v1/customer', { method: 'PATCH', key: c.admin.key, body });

  it('null by default; set, applied to new agents (created and auto-created), kept by other changes, cleared', async () => {
    const initial = expectStatus(
      await injectJson<CustomerJson>(server.app, '/v1/customer', { key: c.admin.key }),
      200,
    );
    assert.equal(initial.body.default_agent_limits.repeats, null);
    await createAgent(server.app, c.admin.key, 'older-bot');

    const set = expectStatus(
      await patchCustomer({ default_agent_limits: { repeats: { max: 20, window_seconds: 600 } } }),
      200,
    );
    assert.deepEqual(set.body.default_agent_limits.repeats, { max: 20, window_seconds: 600 });
    const kept = expectStatus(await patchCustomer({ default_agent_limits: { day_usd: '3' } }), 200);
    assert.deepEqual(kept.body.default_agent_limits.repeats, { max: 20, window_seconds: 600 });

    assert.deepEqual((await createAgent(server.app, c.admin.key, 'newer-bot')).limits.repeats, {
      max: 20,
      window_seconds: 600,
    });
    assert.deepEqual(
      (await createAgent(server.app, c.admin.key, 'own-bot', { repeats: null })).limits.repeats,
      null,
      'a limit given overrides the default',
    );
    expectStatus(
      await postEvent(server.app, { key: c.ingest.key }, { agent: 'auto-bot', cost_micros: 1 }),
      201,
    );
    assert.deepEqual((await getAgent(server.app, c.admin.key, 'auto-bot')).limits.repeats, {
      max: 20,
      window_seconds: 600,
    });
    assert.equal((await storedRepeats(c.customerId, 'auto-bot')).repeats_max, 20);
    assert.equal(
      (await getAgent(server.app, c.admin.key, 'older-bot')).limits.repeats,
      null,
      'existing agents keep theirs',
    );

    const cleared = expectStatus(await patchCustomer({ default_agent_limits: { repeats: null } }), 200);
    assert.equal(cleared.body.default_agent_limits.repeats, null);
  });

  it('a bad default is 400 naming default_agent_limits.repeats.* and changes nothing', async () => {
    const before = expectStatus(
      await injectJson<CustomerJson>(server.app, '/v1/customer', { key: c.admin.key }),
      200,
    ).body;
    expectInvalid(
      await patchCustomer({ default_agent_limits: { repeats: { max: 0, window_seconds: 10 } } }),
      'default_agent_limits.repeats.max',
    );
    expectInvalid(
      await patchCustomer({ default_agent_limits: { repeats: { max: 1, window_seconds: 86_401 } } }),
      'default_agent_limits.repeats.window_seconds',
    );
    const now = expectStatus(
      await injectJson<CustomerJson>(server.app, '/v1/customer', { key: c.admin.key }),
      200,
    ).body;
    assert.deepEqual(now.default_agent_limits, before.default_agent_limits);
  });
});

describe('fingerprint on events and reservations', () => {
  let c: CustomerWithKeys;
  before(async () => {
    c = customers[2] as CustomerWithKeys;
    await createAgent(server.app, c.admin.key, 'fp-bot');
  });

  async function eventRow(key: string) {
    return rows<{ fingerprint: string | null; status: string }>(
      `SELECT fingerprint, status FROM events WHERE customer_id = $1 AND idempotency_key = $2`,
      [c.customerId, key],
    );
  }
  async function reservationRow(key: string) {
    return rows<{ fingerprint: string | null; status: string }>(
      `SELECT fingerprint, status FROM reservations WHERE customer_id = $1 AND idempotency_key = $2`,
      [c.customerId, key],
    );
  }
  const monthSpend = async () => (await getAgent(server.app, c.admin.key, 'fp-bot')).spend.month_micros;

  it('an event with a fingerprint is accepted and the row keeps it; one without stores null', async () => {
    const key = idemKey('fp');
    const fingerprint =
      'sha256:9f86d081884c7d659a2feaa0c55ad015 model=gpt-4o ~!@#$%^&*()_+{}|:"<>?`-=[]\\;\',./';
    expectStatus(
      await postEvent(
        server.app,
        { key: c.ingest.key },
        { agent: 'fp-bot', cost_micros: 10, fingerprint },
        key,
      ),
      201,
    );
    assert.deepEqual(await eventRow(key), [{ fingerprint, status: 'accepted' }]);

    const plain = idemKey('fp');
    expectStatus(
      await postEvent(server.app, { key: c.ingest.key }, { agent: 'fp-bot', cost_micros: 10 }, plain),
      201,
    );
    assert.deepEqual(await eventRow(plain), [{ fingerprint: null, status: 'accepted' }]);

    const longest = idemKey('fp');
    const f128 = 'x'.repeat(128);
    expectStatus(
      await postEvent(
        server.app,
        { key: c.ingest.key },
        { agent: 'fp-bot', cost_micros: 1, fingerprint: f128 },
        longest,
      ),
      201,
    );
    assert.equal((await eventRow(longest))[0]?.fingerprint, f128);
  });

  it('a reservation with a fingerprint is held and the row keeps it; its commit event has none', async () => {
    const key = idemKey('rsv');
    const held = expectStatus(
      await reserve(
        { key: c.ingest.key },
        { agent: 'fp-bot', amount_micros: 100, fingerprint: 'prompt-42' },
        key,
      ),
      201,
    );
    assert.deepEqual(await reservationRow(key), [{ fingerprint: 'prompt-42', status: 'held' }]);
    const id = held.body.reservation.id;
    expectStatus(
      await injectJson(server.app, `/v1/reservations/${id}/commit`, {
        key: c.ingest.key,
        body: { cost_micros: 50 },
      }),
      201,
    );
    const commitEvents = await rows<{ fingerprint: string | null }>(
      'SELECT fingerprint FROM events WHERE reservation_id = $1',
      [id],
    );
    assert.deepEqual(commitEvents, [{ fingerprint: null }], 'the reservation already counted');
    const got = expectStatus(
      await injectJson<{ reservation: { id: string } }>(server.app, `/v1/reservations/${id}`, {
        key: c.ingest.key,
      }),
      200,
    );
    assert.equal(got.body.reservation.id, id);
  });

  it('a bad fingerprint is 400 naming it; nothing is counted or stored, and the key stays free', async () => {
    const bad: unknown[] = [
      '',
      'y'.repeat(129),
      'tab\there',
      'new\nline',
      'nul\u0000',
      'del\u007f',
      'é-accent',
      42,
      true,
      null,
      ['a'],
      { a: 1 },
    ];
    const spentBefore = await monthSpend();
    for (const fingerprint of bad) {
      const what = JSON.stringify(fingerprint);
      const key = idemKey('bad');
      const event = await postEvent(
        server.app,
        { key: c.ingest.key },
        { agent: 'fp-bot', cost_micros: 5, fingerprint },
        key,
      );
      // A NUL anywhere is refused before the schema (docs/api.md §5): 400 all the same.
      if (fingerprint === 'nul\u0000') expectError(event, 400, 'invalid_request', what);
      else expectInvalid(event, 'fingerprint', undefined, what);
      assert.deepEqual(await eventRow(key), [], `${what}: no event row`);
      const hold = await reserve(
        { key: c.ingest.key },
        { agent: 'fp-bot', amount_micros: 5, fingerprint },
        key,
      );
      if (fingerprint === 'nul\u0000') expectError(hold, 400, 'invalid_request', what);
      else expectInvalid(hold, 'fingerprint', undefined, what);
      assert.deepEqual(await reservationRow(key), [], `${what}: no reservation row`);
      // Nothing was saved under the key: the same key with a good body is processed afresh.
      expectStatus(
        await postEvent(
          server.app,
          { key: c.ingest.key },
          { agent: 'fp-bot', cost_micros: 0, fingerprint: 'ok' },
          key,
        ),
        201,
        what,
      );
    }
    assert.equal(await monthSpend(), spentBefore, 'nothing counted');
  });

  it('events: the same key and fingerprint replays; another fingerprint (or none) with that key is 422', async () => {
    const key = idemKey('rep');
    const body = { agent: 'fp-bot', cost_micros: 7, fingerprint: 'same-call' };
    const first = expectStatus(await postEvent(server.app, { key: c.ingest.key }, body, key), 201);
    const spent = await monthSpend();
    const again = expectStatus(await postEvent(server.app, { key: c.ingest.key }, body, key), 201);
    assert.equal(header(again, 'idempotent-replayed'), 'true');
    assert.deepEqual(again.body, first.body);
    for (const other of [
      { ...body, fingerprint: 'other-call' },
      { agent: 'fp-bot', cost_micros: 7 },
    ]) {
      expectError(
        await postEvent(server.app, { key: c.ingest.key }, other, key),
        422,
        'idempotency_key_reused',
      );
    }
    // The reverse: first without a fingerprint, then with one.
    const bare = idemKey('rep');
    expectStatus(
      await postEvent(server.app, { key: c.ingest.key }, { agent: 'fp-bot', cost_micros: 7 }, bare),
      201,
    );
    expectError(
      await postEvent(server.app, { key: c.ingest.key }, body, bare),
      422,
      'idempotency_key_reused',
    );
    assert.equal(await monthSpend(), spent + 7, 'counted once, for the second key only');
    assert.equal((await eventRow(key)).length, 1);
  });

  it('reservations: the same key and fingerprint replays; another fingerprint with that key is 422', async () => {
    const key = idemKey('rrep');
    const body = { agent: 'fp-bot', amount_micros: 9, fingerprint: 'tool:search q=1' };
    const first = expectStatus(await reserve({ key: c.ingest.key }, body, key), 201);
    const again = expectStatus(await reserve({ key: c.ingest.key }, body, key), 201);
    assert.equal(header(again, 'idempotent-replayed'), 'true');
    assert.deepEqual(again.body, first.body);
    expectError(
      await reserve({ key: c.ingest.key }, { ...body, fingerprint: 'tool:search q=2' }, key),
      422,
      'idempotency_key_reused',
    );
    expectError(
      await reserve({ key: c.ingest.key }, { agent: 'fp-bot', amount_micros: 9 }, key),
      422,
      'idempotency_key_reused',
    );
    assert.equal((await reservationRow(key)).length, 1);
  });

  it('a request without a fingerprint hashes exactly as before fingerprints existed (stored keys still replay)', () => {
    const input = {
      agent: 'a',
      costMicros: 5,
      priced: null,
      run: null,
      occurredAt: null,
      metadata: { m: 1 },
      idempotencyKey: 'k',
      fingerprint: null,
    };
    const before = sha256Hex(canonicalJson({ agent: 'a', cost_micros: 5, run: null, metadata: { m: 1 } }));
    assert.equal(requestHash(input), before);
    assert.notEqual(requestHash({ ...input, fingerprint: 'f' }), before);
  });
});

describe('migration 010 (PostgreSQL server and PGlite)', () => {
  for (const embedded of [false, true]) {
    it(`${embedded ? 'PGlite' : 'PostgreSQL'}: the CHECKs hold repeats to its bounds and pairs, and loop_detected is a reason`, async () => {
      const target = embedded ? await startTestServer({ embedded: true }) : server;
      try {
        const [owner] = await customersWithKeys(target.app, 1);
        assert.ok(owner);
        const agent = await createAgent(target.app, owner.admin.key, 'checked-bot');
        const db = target.app.ctx.db;
        const refused = async (set: string) => {
          await assert.rejects(
            db.query(`UPDATE agents SET ${set} WHERE id = $1`, [agent.id]),
            /check constraint/,
            set,
          );
        };
        await refused('repeats_max = 5');
        await refused('repeats_window_seconds = 5');
        await refused('repeats_max = 0, repeats_window_seconds = 5');
        await refused('repeats_max = 100001, repeats_window_seconds = 5');
        await refused('repeats_max = 5, repeats_window_seconds = 86401');
        await refused("status = 'suspended', suspended_reason = 'looping'");
        // What the kill switch writes when it flips for a loop (flips.ts): reason loop_detected, no period.
        await db.query(
          `UPDATE agents SET repeats_max = 5, repeats_window_seconds = 60, status = 'suspended',
                  suspended_reason = 'loop_detected', suspended_at = now(), status_version = status_version + 1
            WHERE id = $1`,
          [agent.id],
        );
        const shown = await getAgent(target.app, owner.admin.key, 'checked-bot');
        assert.equal(shown.status, 'suspended');
        assert.equal(shown.suspended_reason, 'loop_detected');
        assert.equal(shown.suspended_period, null);
        assert.equal(shown.resumes_at, null, 'only resume lifts it');
        assert.deepEqual(shown.limits.repeats, { max: 5, window_seconds: 60 });
        const indexes = await db.query<{ indexname: string }>(
          `SELECT indexname FROM pg_indexes WHERE indexname IN ('events_agent_fingerprint', 'reservations_agent_fingerprint')
            ORDER BY indexname`,
        );
        assert.deepEqual(
          indexes.rows.map((r) => r.indexname),
          ['events_agent_fingerprint', 'reservations_agent_fingerprint'],
        );
      } finally {
        if (embedded) await target.close();
      }
    });
  }
});
