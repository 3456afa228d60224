// API keys: creation/listing/revocation, permissions, tenant isolation, and revocation that takes effect on the
// very next request on every instance (two servers sharing one database and Redis prefix).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { assertAgentAllowed } from '../../src/auth/agent-access.js';
import type { Principal } from '../../src/auth/types.js';
import { newId } from '../../src/ids.js';
import {
  type ApiResponse,
  api,
  signupAndAdminKey,
  startSecondInstance,
  startTestServer,
  type Tenant,
  type TestServer,
} from '../harness.js';

type KeyPage = { data: Array<{ id: string }>; next_cursor: string | null };

async function insertAgent(server: TestServer, customerId: string, name: string): Promise<string> {
  const id = newId('agt');
  await server.app.ctx.db.query('INSERT INTO agents (id, customer_id, name) VALUES ($1, $2, $3)', [
    id,
    customerId,
    name,
  ]);
  return id;
}

function keyTests(label: string, start: () => Promise<TestServer>) {
  describe(`API keys (${label})`, () => {
    let server: TestServer;
    let tenant: Tenant;
    let other: Tenant;
    before(async () => {
      server = await start();
      tenant = await signupAndAdminKey(server.url);
      other = await signupAndAdminKey(server.url);
    });
    after(async () => {
      await server.close();
    });

    it('creates keys of the documented shape and never lists the secret', async () => {
      const created = await api(server.url, '/v1/api-keys', {
        body: { name: 'ingest one', kind: 'ingest' },
        key: tenant.adminKey,
      });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      assert.match(created.body.id, /^key_/);
      assert.match(created.body.key, /^sg_ingest_[0-9A-Za-z]{40}$/);
      assert.equal(created.body.prefix, created.body.key.slice(0, 'sg_ingest_'.length + 4));
      assert.equal(created.body.kind, 'ingest');
      assert.equal(created.body.agent, null);
      assert.equal(created.body.name, 'ingest one');

      const stored = await server.app.ctx.db.query<{ key_hash: string }>(
        'SELECT key_hash FROM api_keys WHERE id = $1',
        [created.body.id],
      );
      assert.match(stored.rows[0]?.key_hash ?? '', /^[0-9a-f]{64}$/);
      assert.notEqual(stored.rows[0]?.key_hash, created.body.key);

      const list = await api(server.url, '/v1/api-keys', { key: tenant.adminKey });
      assert.equal(list.status, 200);
      const listed = list.body.data.find((k: { id: string }) => k.id === created.body.id);
      assert.ok(listed);
      assert.equal('key' in listed, false);
      assert.equal(JSON.stringify(list.body).includes(created.body.key), false);

      const audit = await server.app.ctx.db.query<{ action: string }>(
        "SELECT action FROM audit_log WHERE target_id = $1 AND action = 'api_key.create'",
        [created.body.id],
      );
      assert.equal(audit.rows.length, 1);
    });

    it('paginates newest first with a cursor, limit 1-100', async () => {
      const fresh = await signupAndAdminKey(server.url);
      const ids = [fresh.adminKeyId];
      for (let i = 0; i < 4; i++) {
        const r = await api(server.url, '/v1/api-keys', {
          body: { name: `k${i}`, kind: 'admin' },
          key: fresh.adminKey,
        });
        ids.push(r.body.id);
      }
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const res: ApiResponse<KeyPage> = await api<KeyPage>(
          server.url,
          `/v1/api-keys?limit=2${cursor ? `&cursor=${cursor}` : ''}`,
          { key: fresh.adminKey },
        );
        assert.equal(res.status, 200, JSON.stringify(res.body));
        assert.ok(res.body.data.length <= 2);
        seen.push(...res.body.data.map((k) => k.id));
        cursor = res.body.next_cursor;
        pages++;
      } while (cursor && pages < 10);
      assert.deepEqual(seen, [...ids].reverse());
      assert.equal((await api(server.url, '/v1/api-keys?limit=0', { key: fresh.adminKey })).status, 400);
      assert.equal((await api(server.url, '/v1/api-keys?limit=101', { key: fresh.adminKey })).status, 400);
      // Another customer's key id is not a cursor here.
      const foreign = await api(server.url, `/v1/api-keys?cursor=${tenant.adminKeyId}`, {
        key: fresh.adminKey,
      });
      assert.equal(foreign.status, 400);
    });

    it('refuses an ingest key on admin routes with 403 forbidden', async () => {
      const ingest = await api(server.url, '/v1/api-keys', {
        body: { name: 'i', kind: 'ingest' },
        key: tenant.adminKey,
      });
      const res = await api(server.url, '/v1/api-keys', {
        body: { name: 'x', kind: 'admin' },
        key: ingest.body.key,
      });
      assert.equal(res.status, 403);
      assert.deepEqual(res.body, {
        error: { code: 'forbidden', message: res.body.error.message },
      });
      assert.equal((await api(server.url, '/v1/api-keys', { key: ingest.body.key })).status, 403);
    });

    it('binds ingest keys to an existing agent only', async () => {
      const agentId = await insertAgent(server, tenant.customerId, 'research-bot');
      await insertAgent(server, other.customerId, 'their-bot');
      const bound = await api(server.url, '/v1/api-keys', {
        body: { name: 'bound', kind: 'ingest', agent: 'research-bot' },
        key: tenant.adminKey,
      });
      assert.equal(bound.status, 201, JSON.stringify(bound.body));
      assert.equal(bound.body.agent, 'research-bot');
      const row = await server.app.ctx.db.query<{ agent_id: string }>(
        'SELECT agent_id FROM api_keys WHERE id = $1',
        [bound.body.id],
      );
      assert.equal(row.rows[0]?.agent_id, agentId);
      const listed = await api(server.url, '/v1/api-keys', { key: tenant.adminKey });
      assert.equal(
        listed.body.data.find((k: { id: string }) => k.id === bound.body.id)?.agent,
        'research-bot',
      );

      const unknown = await api(server.url, '/v1/api-keys', {
        body: { name: 'b', kind: 'ingest', agent: 'their-bot' },
        key: tenant.adminKey,
      });
      assert.equal(unknown.status, 404);
      assert.equal(unknown.body.error.code, 'not_found');
      const adminBound = await api(server.url, '/v1/api-keys', {
        body: { name: 'b', kind: 'admin', agent: 'research-bot' },
        key: tenant.adminKey,
      });
      assert.equal(adminBound.status, 400);
      assert.equal(adminBound.body.error.details[0].field, 'agent');
    });

    it("answers 404 for another customer's key id, and that key keeps working", async () => {
      const res = await api(server.url, `/v1/api-keys/${other.adminKeyId}`, {
        method: 'DELETE',
        key: tenant.adminKey,
      });
      assert.equal(res.status, 404);
      assert.equal(res.body.error.code, 'not_found');
      assert.equal((await api(server.url, '/v1/api-keys', { key: other.adminKey })).status, 200);
      const missing = await api(server.url, '/v1/api-keys/key_doesnotexist', {
        method: 'DELETE',
        key: tenant.adminKey,
      });
      assert.equal(missing.status, 404);
    });

    it('a revoked key is refused on the very next request; revoking again is 204', async () => {
      const created = await api(server.url, '/v1/api-keys', {
        body: { name: 'doomed', kind: 'admin' },
        key: tenant.adminKey,
      });
      assert.equal((await api(server.url, '/v1/api-keys', { key: created.body.key })).status, 200);
      const revoke = await api(server.url, `/v1/api-keys/${created.body.id}`, {
        method: 'DELETE',
        cookie: tenant.cookie,
        csrf: tenant.csrf,
      });
      assert.equal(revoke.status, 204);
      const after = await api(server.url, '/v1/api-keys', { key: created.body.key });
      assert.equal(after.status, 401);
      assert.equal(after.body.error.code, 'unauthenticated');
      const again = await api(server.url, `/v1/api-keys/${created.body.id}`, {
        method: 'DELETE',
        key: tenant.adminKey,
      });
      assert.equal(again.status, 204);
      const list = await api(server.url, '/v1/api-keys', { key: tenant.adminKey });
      assert.equal(
        list.body.data.some((k: { id: string }) => k.id === created.body.id),
        false,
      );
      const audit = await server.app.ctx.db.query(
        "SELECT 1 FROM audit_log WHERE target_id = $1 AND action = 'api_key.revoke'",
        [created.body.id],
      );
      assert.equal(audit.rows.length, 1, 'one audit entry, not one per DELETE');
    });

    it('records last_used_at off the hot path', async () => {
      const created = await api(server.url, '/v1/api-keys', {
        body: { name: 'used', kind: 'admin' },
        key: tenant.adminKey,
      });
      assert.equal(created.body.last_used_at, null);
      await api(server.url, '/v1/api-keys', { key: created.body.key });
      let lastUsed: unknown = null;
      for (let i = 0; i < 50 && lastUsed === null; i++) {
        await new Promise((r) => setTimeout(r, 20));
        const row = await server.app.ctx.db.query<{ last_used_at: Date | null }>(
          'SELECT last_used_at FROM api_keys WHERE id = $1',
          [created.body.id],
        );
        lastUsed = row.rows[0]?.last_used_at ?? null;
      }
      assert.notEqual(lastUsed, null);
    });
  });
}

keyTests('PostgreSQL + Redis', () => startTestServer());
keyTests('embedded', () => startTestServer({ embedded: true }));

describe('revocation across two instances sharing PostgreSQL and Redis', () => {
  let a: TestServer;
  let b: TestServer;
  before(async () => {
    a = await startTestServer();
    // Instances of one deployment share the session secret (it signs the cookies).
    b = await startSecondInstance(a, { env: { SPENDGUARD_SESSION_SECRET: a.app.ctx.config.sessionSecret } });
  });
  after(async () => {
    await b.close();
    await a.close();
  });

  it('use the key on B, revoke on A, the next request on B is 401', async () => {
    const tenant = await signupAndAdminKey(a.url);
    const created = await api(a.url, '/v1/api-keys', {
      body: { name: 'shared', kind: 'admin' },
      key: tenant.adminKey,
    });
    assert.equal(created.status, 201);
    // Warm B's cache path with the live key (twice: the second answer comes from the cache).
    assert.equal((await api(b.url, '/v1/api-keys', { key: created.body.key })).status, 200);
    assert.equal((await api(b.url, '/v1/api-keys', { key: created.body.key })).status, 200);
    const revoke = await api(a.url, `/v1/api-keys/${created.body.id}`, {
      method: 'DELETE',
      key: tenant.adminKey,
    });
    assert.equal(revoke.status, 204);
    assert.equal((await api(b.url, '/v1/api-keys', { key: created.body.key })).status, 401);
    assert.equal((await api(a.url, '/v1/api-keys', { key: created.body.key })).status, 401);
    // Sessions are shared too: the cookie from A works on B.
    assert.equal((await api(b.url, '/v1/auth/me', { cookie: tenant.cookie })).status, 200);
  });

  it("money routes take the key from B's memory: revoked on A during 200 events, every event after the 204 is 401 and creates nothing", async () => {
    const tenant = await signupAndAdminKey(a.url);
    const created = await api(a.url, '/v1/api-keys', {
      body: { name: 'remembered', kind: 'ingest' },
      key: tenant.adminKey,
    });
    assert.equal(created.status, 201);
    const ingest = created.body.key as string;
    let n = 0;
    const event = (agent = 'mem-bot') =>
      api(b.url, '/v1/events', {
        body: { agent, cost_micros: 1 },
        key: ingest,
        headers: { 'idempotency-key': `mem-${n++}-${Date.now()}` },
      });
    // B remembers the key (events and reservations resolve it from B's own memory from now on).
    assert.equal((await event()).status, 201);
    assert.equal(
      (
        await api(b.url, '/v1/reservations', {
          body: { agent: 'mem-bot', amount_micros: 1 },
          key: ingest,
          headers: { 'idempotency-key': `mem-rsv-${Date.now()}` },
        })
      ).status,
      201,
    );

    let revokedAt = 0;
    const revoke = (async () => {
      await new Promise((resolve) => setTimeout(resolve, 30));
      const r = await api(a.url, `/v1/api-keys/${created.body.id}`, {
        method: 'DELETE',
        key: tenant.adminKey,
      });
      revokedAt = performance.now();
      return r.status;
    })();
    const during = await Promise.all(
      Array.from({ length: 200 }, async (_, i) => {
        await new Promise((resolve) => setTimeout(resolve, i % 50));
        const sentAt = performance.now();
        const r = await event();
        return { status: r.status, sentAt };
      }),
    );
    assert.equal(await revoke, 204);
    for (const r of during) {
      assert.ok(r.status === 201 || r.status === 401, `unexpected ${r.status}`);
      if (r.sentAt > revokedAt) assert.equal(r.status, 401, 'sent after the revocation answered');
    }
    // After it: events, a new agent, a reservation — all 401 on B, and nothing of them exists.
    assert.equal((await event()).status, 401);
    assert.equal((await event('born-after-revocation')).status, 401);
    const held = await api(b.url, '/v1/reservations', {
      body: { agent: 'mem-bot', amount_micros: 1 },
      key: ingest,
      headers: { 'idempotency-key': `mem-rsv-after-${Date.now()}` },
    });
    assert.equal(held.status, 401);
    const agent = await api(a.url, '/v1/agents/born-after-revocation', { key: tenant.adminKey });
    assert.equal(agent.status, 404, 'no agent created by a revoked key');
    const accepted = during.filter((r) => r.status === 201).length;
    const spent = await api(a.url, '/v1/agents/mem-bot', { key: tenant.adminKey });
    assert.equal(spent.body.spend.month_micros, 1 + accepted + 1, 'the first event, the 201s and the hold');
  });
});

describe('assertAgentAllowed', () => {
  const base = { type: 'api_key' as const, customerId: 'cus_1', keyId: 'key_1' };
  it('lets unbound keys, admin keys and sessions act on any agent', () => {
    const principals: Principal[] = [
      { ...base, kind: 'ingest', agentId: null },
      { ...base, kind: 'admin', agentId: null },
      {
        type: 'user',
        customerId: 'cus_1',
        userId: 'usr_1',
        role: 'owner',
        sessionTokenHash: 'h',
        csrfToken: 'c',
      },
    ];
    for (const p of principals) assert.doesNotThrow(() => assertAgentAllowed(p, 'agt_x'));
  });
  it('refuses a bound key on another agent with 403 forbidden', () => {
    const bound: Principal = { ...base, kind: 'ingest', agentId: 'agt_mine' };
    assert.doesNotThrow(() => assertAgentAllowed(bound, 'agt_mine'));
    assert.throws(
      () => assertAgentAllowed(bound, 'agt_other'),
      (error: unknown) =>
        (error as { status?: number; code?: string }).status === 403 &&
        (error as { code?: string }).code === 'forbidden',
    );
  });
});
