// Agent lifecycle (docs/api.md §7): DELETE archives an agent — it leaves the list, keeps its history, its events and
// reservations are refused with 404 and it is never created again on the fly — until POST …/restore.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Static } from 'typebox';
import type { AgentPageSchema, AuditPageSchema } from '../../src/schemas/agents.js';
import type { ReservationCreatedSchema } from '../../src/schemas/spend.js';
import { startSecondInstance, startTestServer, type TestServer } from '../harness.js';
import { dbRows } from '../reservations/helpers.js';
import {
  type AgentJson,
  type Auth,
  type CustomerWithKeys,
  createAgent,
  createKey,
  customersWithKeys,
  expectError,
  expectStatus,
  getAgent,
  idemKey,
  injectJson,
  postEvent,
} from './inject.js';

type AgentPage = Static<typeof AgentPageSchema>;
type AuditPage = Static<typeof AuditPageSchema>;
type ReservationCreated = Static<typeof ReservationCreatedSchema>;

let server: TestServer;
let customers: CustomerWithKeys[];
before(async () => {
  server = await startTestServer({ embedded: true });
  customers = await customersWithKeys(server.app, 2);
});
after(() => server.close());

const path = (name: string) => `/v1/agents/${encodeURIComponent(name)}`;
const archive = (auth: Auth, name: string) =>
  injectJson<null>(server.app, path(name), { ...auth, method: 'DELETE' });
const restore = (auth: Auth, name: string) =>
  injectJson<AgentJson>(server.app, `${path(name)}/restore`, { ...auth, method: 'POST' });
const names = async (auth: Auth, query = '') =>
  expectStatus(await injectJson<AgentPage>(server.app, `/v1/agents${query}`, auth), 200).body.data.map(
    (a) => a.name,
  );
const reserve = (auth: Auth, body: Record<string, unknown>) =>
  injectJson<ReservationCreated>(server.app, '/v1/reservations', {
    ...auth,
    body,
    idempotencyKey: idemKey('rsv'),
  });

describe('archive and restore', () => {
  let c: CustomerWithKeys;
  before(() => {
    c = customers[0] as CustomerWithKeys;
  });

  it('DELETE is 204; the agent leaves the list, ?archived=true lists only it, GET still shows it with archived_at', async () => {
    await createAgent(server.app, c.admin.key, 'old-bot');
    await createAgent(server.app, c.admin.key, 'kept-bot');
    expectStatus(
      await postEvent(server.app, { key: c.ingest.key }, { agent: 'old-bot', cost_usd: 0.5 }),
      201,
    );
    const res = await archive({ key: c.admin.key }, 'old-bot');
    expectStatus(res, 204);
    assert.equal(res.text, '');
    assert.deepEqual(await names({ key: c.admin.key }), ['kept-bot']);
    assert.deepEqual(await names({ key: c.admin.key }, '?archived=true'), ['old-bot']);
    assert.deepEqual(await names({ key: c.admin.key }, '?archived=false'), ['kept-bot']);
    const agent = await getAgent(server.app, c.admin.key, 'old-bot');
    assert.ok(agent.archived_at && Date.parse(agent.archived_at) <= Date.now());
    assert.equal(agent.spend.month_micros, 500_000, 'its history stays');
  });

  it('an archived agent’s events and reservations are 404 not_found, nothing is recorded, it is not re-created', async () => {
    const event = await postEvent(server.app, { key: c.ingest.key }, { agent: 'old-bot', cost_usd: 0.1 });
    const error = expectError(event, 404, 'not_found');
    assert.match(error.message, /archived.*restore/);
    expectError(
      await reserve({ key: c.ingest.key }, { agent: 'old-bot', amount_usd: 0.1 }),
      404,
      'not_found',
    );
    const rows = await dbRows<{ n: number; events: number }>(
      server.app,
      `SELECT count(*)::int AS n, (SELECT count(*)::int FROM events e WHERE e.agent_id = min(a.id)) AS events
         FROM agents a WHERE a.customer_id = $1 AND a.name = 'old-bot'`,
      [c.customerId],
    );
    assert.deepEqual(rows, [{ n: 1, events: 1 }], 'one agent, still with its one event');
  });

  it('a key bound to the archived agent is refused the same way', async () => {
    await createAgent(server.app, c.admin.key, 'bound-bot');
    const bound = await createKey(server.app, c.session, { kind: 'ingest', agent: 'bound-bot' });
    expectStatus(await archive({ key: c.admin.key }, 'bound-bot'), 204);
    const res = await postEvent(server.app, { key: bound.key }, { agent: 'bound-bot', cost_usd: 0.1 });
    expectError(res, 404, 'not_found');
  });

  it('POST /v1/agents with an archived agent’s name is 409 conflict', async () => {
    expectError(
      await injectJson(server.app, '/v1/agents', { key: c.admin.key, body: { name: 'old-bot' } }),
      409,
      'conflict',
    );
  });

  it('DELETE again is 204 and changes nothing; restore is 200, listed again, events decided again', async () => {
    const before = await getAgent(server.app, c.admin.key, 'old-bot');
    expectStatus(await archive({ key: c.admin.key }, 'old-bot'), 204);
    assert.equal((await getAgent(server.app, c.admin.key, 'old-bot')).archived_at, before.archived_at);
    const restored = expectStatus(await restore({ key: c.admin.key }, 'old-bot'), 200).body;
    assert.equal(restored.archived_at, null);
    assert.ok((await names({ key: c.admin.key })).includes('old-bot'));
    expectStatus(
      await postEvent(server.app, { key: c.ingest.key }, { agent: 'old-bot', cost_usd: 0.1 }),
      201,
    );
    expectStatus(await restore({ key: c.admin.key }, 'old-bot'), 200, 'restoring a live agent is a no-op');
  });

  it('an open hold of an archived agent can still be committed: the money is spent', async () => {
    await createAgent(server.app, c.admin.key, 'holding-bot');
    const held = expectStatus(
      await reserve({ key: c.ingest.key }, { agent: 'holding-bot', amount_usd: 1 }),
      201,
    );
    expectStatus(await archive({ key: c.admin.key }, 'holding-bot'), 204);
    const committed = await injectJson(server.app, `/v1/reservations/${held.body.reservation.id}/commit`, {
      key: c.ingest.key,
      body: { cost_usd: 0.8 },
    });
    expectStatus(committed, 201);
    assert.equal((await getAgent(server.app, c.admin.key, 'holding-bot')).spend.month_micros, 800_000);
  });

  it('archive and restore are audited with who did them', async () => {
    const page = expectStatus(
      await injectJson<AuditPage>(server.app, '/v1/audit-log?limit=100', { key: c.admin.key }),
      200,
    ).body;
    const actions = page.data.filter((e) => e.action === 'agent.archive' || e.action === 'agent.restore');
    const oldBot = (await getAgent(server.app, c.admin.key, 'old-bot')).id;
    const archived = actions.find((e) => e.action === 'agent.archive' && e.target_id === oldBot);
    assert.equal(archived?.actor_id, c.admin.id, 'archived by the admin key');
    assert.deepEqual(archived?.before, { archived_at: null });
    const restored = actions.find((e) => e.action === 'agent.restore' && e.target_id === oldBot);
    assert.equal(restored?.actor_id, c.admin.id);
    assert.deepEqual(restored?.after, { archived_at: null });
  });
});

describe('who may archive', () => {
  it('an ingest key is 403, another customer’s agent and an unknown name are 404, no credential is 401', async () => {
    const [c, other] = customers as [CustomerWithKeys, CustomerWithKeys];
    await createAgent(server.app, c.admin.key, 'guarded-bot');
    expectError(await archive({ key: c.ingest.key }, 'guarded-bot'), 403, 'forbidden');
    expectError(await archive({ key: other.admin.key }, 'guarded-bot'), 404, 'not_found');
    expectError(await restore({ key: other.admin.key }, 'guarded-bot'), 404, 'not_found');
    expectError(await archive({ key: c.admin.key }, 'no-such-bot'), 404, 'not_found');
    expectError(await archive({ key: c.admin.key }, 'bad name!'), 404, 'not_found');
    expectError(await archive({}, 'guarded-bot'), 401, 'unauthenticated');
    assert.equal(
      (await getAgent(server.app, c.admin.key, 'guarded-bot')).archived_at,
      null,
      'nothing changed',
    );
  });
});

describe('two instances (PostgreSQL + Redis)', () => {
  it('an agent archived on one instance is refused on the other, with its events racing the DELETE', async () => {
    const a = await startTestServer();
    const b = await startSecondInstance(a);
    try {
      const [c] = (await customersWithKeys(a.app, 1)) as [CustomerWithKeys];
      await createAgent(a.app, c.admin.key, 'racing-bot');
      // B has the agent in its cache before the archive.
      expectStatus(
        await postEvent(b.app, { key: c.ingest.key }, { agent: 'racing-bot', cost_usd: 0.01 }),
        201,
      );
      const racing = Array.from({ length: 200 }, () =>
        postEvent(b.app, { key: c.ingest.key }, { agent: 'racing-bot', cost_usd: 0.01 }),
      );
      const archived = injectJson(a.app, path('racing-bot'), { key: c.admin.key, method: 'DELETE' });
      const results = await Promise.all(racing);
      expectStatus(await archived, 204);
      for (const r of results) assert.ok(r.status === 201 || r.status === 404, `unexpected ${r.status}`);
      // The invalidation reaches B over the bus: within a second every event there is refused.
      const deadline = Date.now() + 2_000;
      let last = 0;
      while (Date.now() < deadline) {
        last = (await postEvent(b.app, { key: c.ingest.key }, { agent: 'racing-bot', cost_usd: 0.01 }))
          .status;
        if (last === 404) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.equal(last, 404, 'B still accepts events of the archived agent');
      const accepted = results.filter((r) => r.status === 201).length + 1;
      const rows = await dbRows<{ n: number }>(
        a.app,
        `SELECT count(*)::int AS n FROM events e JOIN agents g ON g.id = e.agent_id
          WHERE g.customer_id = $1 AND g.name = 'racing-bot' AND e.status = 'accepted'`,
        [c.customerId],
      );
      assert.equal(rows[0]?.n, accepted, 'every 201 is recorded, nothing else');
    } finally {
      await b.close();
      await a.close();
    }
  });
});
