// GET /v1/audit-log (docs/api.md §7): every change to agents, keys, settings and signups, newest first — app.inject.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Static } from 'typebox';
import type { AuditPageSchema } from '../../src/schemas/agents.js';
import { startTestServer, type TestServer } from '../harness.js';
import {
  type AgentJson,
  type CustomerWithKeys,
  createAgent,
  createKey,
  customersWithKeys,
  expectError,
  expectInvalid,
  expectStatus,
  injectJson,
  postEvent,
  type Session,
  unknownKey,
} from './inject.js';

type AuditPage = Static<typeof AuditPageSchema>;
type AuditEntry = AuditPage['data'][number];

let server: TestServer;
let customers: CustomerWithKeys[];
before(async () => {
  server = await startTestServer({ embedded: true });
  customers = await customersWithKeys(server.app, 4);
});
after(async () => {
  await server.close();
});

async function audit(auth: { key?: string; session?: Session }, query = ''): Promise<AuditPage> {
  return expectStatus(await injectJson<AuditPage>(server.app, `/v1/audit-log${query}`, auth), 200, 'audit')
    .body;
}
/** The newest entries, up to 100. */
async function entries(key: string): Promise<AuditEntry[]> {
  return (await audit({ key }, '?limit=100')).data;
}
/** An object field of an entry's before/after (typed unknown in the schema). */
function field(value: unknown, name: string): unknown {
  assert.ok(value !== null && typeof value === 'object', `not an object: ${JSON.stringify(value)}`);
  return (value as Record<string, unknown>)[name];
}

describe('happy', () => {
  let c: CustomerWithKeys;
  before(() => {
    c = customers[0] as CustomerWithKeys;
  });

  it("a new customer's log holds its signup and the keys its session made, newest first", async () => {
    const page = await audit({ key: c.admin.key });
    assert.equal(page.next_cursor, null);
    assert.deepEqual(
      page.data.map((e) => [e.action, e.actor_type, e.actor_id, e.target_type, e.target_id]),
      [
        ['api_key.create', 'user', c.userId, 'api_key', c.ingest.id],
        ['api_key.create', 'user', c.userId, 'api_key', c.admin.id],
        ['user.signup', 'user', c.userId, 'user', c.userId],
      ],
    );
    const [ingest, , signup] = page.data;
    assert.equal(field(ingest?.after, 'kind'), 'ingest');
    assert.equal(field(ingest?.after, 'prefix'), c.ingest.prefix);
    assert.ok(!JSON.stringify(page).includes(c.ingest.key), 'the secret is never logged');
    assert.equal(field(signup?.after, 'email'), c.email.toLowerCase());
    for (const entry of page.data) {
      assert.match(entry.id, /^[0-9]+$/);
      assert.ok(Math.abs(Date.parse(entry.created_at) - Date.now()) < 30_000);
    }
  });

  let agent: AgentJson;
  it('each agent change is one entry with its actor, target, before and after', async () => {
    agent = await createAgent(server.app, c.admin.key, 'audited-bot', { month_micros: 1000 });
    expectStatus(
      await injectJson(server.app, '/v1/agents/audited-bot', {
        method: 'PATCH',
        session: c.session,
        body: { limits: { month_micros: 2000 } },
      }),
      200,
    );
    expectStatus(
      await injectJson(server.app, '/v1/agents/audited-bot/suspend', {
        key: c.admin.key,
        body: { note: 'checking the audit log' },
      }),
      200,
    );
    expectStatus(
      await injectJson(server.app, '/v1/agents/audited-bot/resume', { method: 'POST', session: c.session }),
      200,
    );

    const [resume, suspend, limits, create] = await entries(c.admin.key);
    assert.ok(resume && suspend && limits && create);
    assert.deepEqual(
      [create, limits, suspend, resume].map((e) => [
        e.action,
        e.actor_type,
        e.actor_id,
        e.target_type,
        e.target_id,
      ]),
      [
        ['agent.create', 'api_key', c.admin.id, 'agent', agent.id],
        ['agent.limits.update', 'user', c.userId, 'agent', agent.id],
        ['agent.suspend', 'api_key', c.admin.id, 'agent', agent.id],
        ['agent.resume', 'user', c.userId, 'agent', agent.id],
      ],
    );
    assert.equal(field(field(create.after, 'limits'), 'month_micros'), 1000);
    assert.equal(field(create.after, 'name'), 'audited-bot');
    assert.equal(field(field(limits.before, 'limits'), 'month_micros'), 1000);
    assert.equal(field(field(limits.after, 'limits'), 'month_micros'), 2000);
    assert.equal(field(suspend.after, 'note'), 'checking the audit log');
    assert.equal(field(suspend.after, 'status'), 'suspended');
    assert.equal(field(resume.before, 'status'), 'suspended');
    assert.equal(field(resume.after, 'status'), 'active');
  });

  it('an automatic creation and a kill-switch flip are entries by actor system', async () => {
    expectStatus(
      await postEvent(server.app, { key: c.ingest.key }, { agent: 'auto-bot', cost_micros: 5 }),
      201,
    );
    const [created] = await entries(c.admin.key);
    assert.ok(created);
    assert.deepEqual(
      [created.action, created.actor_type, created.actor_id, created.target_type],
      ['agent.create', 'system', null, 'agent'],
    );
    assert.equal(field(created.after, 'name'), 'auto-bot');
    assert.equal(field(created.after, 'auto_created'), true);

    expectStatus(
      await injectJson(server.app, '/v1/agents/auto-bot', {
        method: 'PATCH',
        key: c.admin.key,
        body: { limits: { month_micros: 10 } },
      }),
      200,
    );
    expectError(
      await postEvent(server.app, { key: c.ingest.key }, { agent: 'auto-bot', cost_micros: 6 }),
      403,
      'budget_exceeded',
    );
    let flip: AuditEntry | undefined;
    for (let i = 0; i < 50 && !flip; i++) {
      flip = (await entries(c.admin.key)).find(
        (e) => e.action === 'agent.suspend' && e.actor_type === 'system',
      );
      if (!flip) await sleep(20);
    }
    assert.ok(flip, 'no system agent.suspend entry');
    assert.equal(flip.target_id, created.target_id);
    assert.equal(flip.actor_id, null);
    assert.equal(field(flip.after, 'suspended_reason'), 'budget_exceeded');
  });

  it('a customer settings change and a key revocation are logged; revoking again adds nothing', async () => {
    expectStatus(
      await injectJson(server.app, '/v1/customer', {
        method: 'PATCH',
        session: c.session,
        body: { limits: { month_usd: '5' } },
      }),
      200,
    );
    const [update] = await entries(c.admin.key);
    assert.equal(update?.action, 'customer.update');
    assert.equal(update?.actor_type, 'user');
    assert.equal(update?.actor_id, c.userId);
    assert.ok(JSON.stringify(update?.after).includes('5000000'), JSON.stringify(update?.after));

    const key = await createKey(server.app, c.session, { kind: 'ingest', name: 'short-lived' });
    expectStatus(
      await injectJson(server.app, `/v1/api-keys/${key.id}`, { method: 'DELETE', key: c.admin.key }),
      204,
    );
    expectStatus(
      await injectJson(server.app, `/v1/api-keys/${key.id}`, { method: 'DELETE', key: c.admin.key }),
      204,
    );
    const [revoke, create] = await entries(c.admin.key);
    assert.deepEqual(
      [revoke?.action, revoke?.actor_type, revoke?.actor_id, revoke?.target_id],
      ['api_key.revoke', 'api_key', c.admin.id, key.id],
    );
    assert.equal(create?.action, 'api_key.create');
    assert.equal(create?.target_id, key.id);
  });

  it('the log pages newest first with limit and next_cursor, without gaps or repeats', async () => {
    const all = await entries(c.admin.key);
    assert.ok(all.length >= 12);
    for (let i = 1; i < all.length; i++)
      assert.ok(Number(all[i - 1]?.id) > Number(all[i]?.id), 'newest first');
    const seen: string[] = [];
    let cursor: string | null = null;
    for (let n = 0; n < 20; n++) {
      const page: AuditPage = await audit(
        { key: c.admin.key },
        `?limit=5${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      );
      assert.ok(page.data.length <= 5);
      seen.push(...page.data.map((e) => e.id));
      cursor = page.next_cursor;
      if (cursor === null) break;
    }
    assert.deepEqual(
      seen,
      all.map((e) => e.id),
    );
  });

  it('reads and refused writes add no entry', async () => {
    const before = await entries(c.admin.key);
    await injectJson(server.app, '/v1/agents', { key: c.admin.key });
    expectInvalid(
      await injectJson(server.app, '/v1/agents/audited-bot', {
        method: 'PATCH',
        key: c.admin.key,
        body: { limits: { month_usd: 'lots' } },
      }),
      'limits.month_usd',
    );
    expectError(
      await injectJson(server.app, '/v1/agents/nobody-bot/suspend', { key: c.admin.key, body: {} }),
      404,
      'not_found',
    );
    expectError(
      await injectJson(server.app, '/v1/agents', { key: c.admin.key, body: { name: 'audited-bot' } }),
      409,
      'conflict',
    );
    assert.deepEqual(await entries(c.admin.key), before);
  });
});

describe('errors', () => {
  let c: CustomerWithKeys;
  before(() => {
    c = customers[1] as CustomerWithKeys;
  });

  it('a bad limit, cursor or query parameter is 400 naming it', async () => {
    const cases: Array<[string, string]> = [
      ['?limit=0', 'limit'],
      ['?limit=101', 'limit'],
      ['?limit=many', 'limit'],
      ['?cursor=not-a-cursor', 'cursor'],
      [`?cursor=${Buffer.from(JSON.stringify('abc')).toString('base64url')}`, 'cursor'],
      [`?cursor=${Buffer.from(JSON.stringify(12)).toString('base64url')}`, 'cursor'],
      ['?action=agent.create', 'action'],
      ['?cursor=%00', 'query.cursor'],
    ];
    for (const [query, name] of cases) {
      expectInvalid(
        await injectJson(server.app, `/v1/audit-log${query}`, { key: c.admin.key }),
        name,
        undefined,
        query,
      );
    }
    assert.equal((await entries(c.admin.key)).length, 3);
  });

  it('the last page has next_cursor null, and a cursor past the oldest entry gives an empty page', async () => {
    const first = await audit({ key: c.admin.key }, '?limit=2');
    assert.equal(first.data.length, 2);
    assert.ok(first.next_cursor);
    const last = await audit(
      { key: c.admin.key },
      `?limit=2&cursor=${encodeURIComponent(first.next_cursor)}`,
    );
    assert.equal(last.data.length, 1);
    assert.equal(last.data[0]?.action, 'user.signup');
    assert.equal(last.next_cursor, null);
    const beyond = Buffer.from(JSON.stringify('1')).toString('base64url');
    assert.deepEqual(await audit({ key: c.admin.key }, `?cursor=${beyond}`), { data: [], next_cursor: null });
  });
});

describe('security', () => {
  let c: CustomerWithKeys;
  let other: CustomerWithKeys;
  before(() => {
    c = customers[2] as CustomerWithKeys;
    other = customers[3] as CustomerWithKeys;
  });

  it('is 401 without a credential, with an unknown key or a forged cookie', async () => {
    expectError(await injectJson(server.app, '/v1/audit-log'), 401, 'unauthenticated');
    expectError(
      await injectJson(server.app, '/v1/audit-log', { key: unknownKey('admin') }),
      401,
      'unauthenticated',
    );
    expectError(
      await injectJson(server.app, '/v1/audit-log', { session: { cookie: 'sg_session=nope', csrf: '' } }),
      401,
      'unauthenticated',
    );
  });

  it('an ingest key, bound or not, is 403 forbidden', async () => {
    await createAgent(server.app, c.admin.key, 'own-bot');
    const bound = await createKey(server.app, c.session, { kind: 'ingest', agent: 'own-bot' });
    for (const key of [c.ingest.key, bound.key]) {
      expectError(await injectJson(server.app, '/v1/audit-log', { key }), 403, 'forbidden');
    }
  });

  it('the session reads the log without a CSRF token and sees what the admin key sees', async () => {
    assert.deepEqual(
      await audit({ session: c.session }, '?limit=100'),
      await audit({ key: c.admin.key }, '?limit=100'),
    );
  });

  it('each customer sees only its own entries, whatever the cursor', async () => {
    const mine = await entries(c.admin.key);
    const theirs = await entries(other.admin.key);
    const mineIds = new Set(mine.map((e) => e.id));
    assert.ok(theirs.length > 0 && theirs.every((e) => !mineIds.has(e.id)));
    assert.ok(theirs.every((e) => e.target_id !== c.userId && e.actor_id !== c.userId));
    const newest = mine[0];
    assert.ok(newest);
    // A cursor just above our newest entry, used by the other customer, still yields only theirs.
    const cursor = Buffer.from(JSON.stringify(String(Number(newest.id) + 1))).toString('base64url');
    const page = await audit({ key: other.admin.key }, `?limit=100&cursor=${cursor}`);
    assert.ok(page.data.every((e) => !mineIds.has(e.id)));
  });
});
