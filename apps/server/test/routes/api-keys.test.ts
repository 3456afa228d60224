// API keys (docs/api.md §3, §8): create (the secret shown once), list (never the secret), revoke — app.inject, typed.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Static } from 'typebox';
import type { ApiKeyPageSchema } from '../../src/schemas/accounts.js';
import { startTestServer, type TestServer } from '../harness.js';
import {
  type Auth,
  type CreatedKeyJson,
  type CustomerWithKeys,
  createAgent,
  createKey,
  customersWithKeys,
  expectError,
  expectInvalid,
  expectStatus,
  injectJson,
  unknownKey,
} from './inject.js';

type ApiKeyPage = Static<typeof ApiKeyPageSchema>;

let server: TestServer;
let customers: CustomerWithKeys[];
before(async () => {
  server = await startTestServer({ embedded: true });
  customers = await customersWithKeys(server.app, 4);
});
after(async () => {
  await server.close();
});

const create = (auth: Auth, body: unknown) =>
  injectJson<CreatedKeyJson>(server.app, '/v1/api-keys', { ...auth, body });
const revoke = (auth: Auth, id: string) =>
  injectJson<null>(server.app, `/v1/api-keys/${encodeURIComponent(id)}`, { ...auth, method: 'DELETE' });
async function list(key: string, query = ''): Promise<ApiKeyPage> {
  return expectStatus(await injectJson<ApiKeyPage>(server.app, `/v1/api-keys${query}`, { key }), 200, 'list')
    .body;
}
/** Whether a key is accepted (an admin-only read for admin keys, the event list for ingest keys). */
async function works(key: string): Promise<number> {
  return (await injectJson(server.app, '/v1/events?limit=1', { key })).status;
}

describe('happy', () => {
  let c: CustomerWithKeys;
  before(() => {
    c = customers[0] as CustomerWithKeys;
  });

  let ingest: CreatedKeyJson;
  it('creating an ingest key is 201 with the secret (sg_ingest_ + 40 base62), its prefix and no use yet', async () => {
    ingest = expectStatus(
      await create({ key: c.admin.key }, { name: 'worker in production', kind: 'ingest' }),
      201,
    ).body;
    assert.match(ingest.id, /^key_[A-Za-z0-9]+$/);
    assert.equal(ingest.name, 'worker in production');
    assert.equal(ingest.kind, 'ingest');
    assert.equal(ingest.agent, null);
    assert.match(ingest.key, /^sg_ingest_[A-Za-z0-9]{40}$/);
    assert.match(ingest.prefix, /^sg_ingest_[A-Za-z0-9]{4}$/);
    assert.ok(ingest.key.startsWith(ingest.prefix));
    assert.equal(ingest.last_used_at, null);
    assert.ok(Math.abs(Date.parse(ingest.created_at) - Date.now()) < 5_000);
    assert.equal(await works(ingest.key), 200);
  });

  it('creating an admin key is 201 with sg_admin_ + 40 base62, and it may use the management API', async () => {
    const admin = expectStatus(
      await create({ session: c.session }, { name: 'ops', kind: 'admin' }),
      201,
    ).body;
    assert.equal(admin.kind, 'admin');
    assert.match(admin.key, /^sg_admin_[A-Za-z0-9]{40}$/);
    assert.match(admin.prefix, /^sg_admin_[A-Za-z0-9]{4}$/);
    assert.ok(admin.key.startsWith(admin.prefix));
    expectStatus(await injectJson(server.app, '/v1/api-keys', { key: admin.key }), 200);
  });

  it('an ingest key created with agent is bound to it: agent is its name', async () => {
    await createAgent(server.app, c.admin.key, 'bound-bot');
    const bound = expectStatus(
      await create({ key: c.admin.key }, { name: 'bound', kind: 'ingest', agent: 'bound-bot' }),
      201,
    ).body;
    assert.equal(bound.agent, 'bound-bot');
    assert.equal(bound.kind, 'ingest');
    const listed = (await list(c.admin.key)).data.find((k) => k.id === bound.id);
    assert.equal(listed?.agent, 'bound-bot');
  });

  it('a name of 100 characters is accepted', async () => {
    const res = expectStatus(
      await create({ key: c.admin.key }, { name: 'n'.repeat(100), kind: 'ingest' }),
      201,
    );
    assert.equal(res.body.name.length, 100);
  });

  it('GET /v1/api-keys lists the active keys newest first, with prefix, agent and last_used_at, never the secret', async () => {
    const page = await list(c.admin.key);
    assert.equal(page.data.length, 6);
    assert.equal(page.next_cursor, null);
    for (let i = 1; i < page.data.length; i++) {
      assert.ok((page.data[i - 1]?.created_at ?? '') >= (page.data[i]?.created_at ?? ''), 'newest first');
    }
    const oldest = page.data.at(-1);
    assert.equal(oldest?.id, c.admin.id, 'the first key made is last');
    assert.equal(page.data.at(-2)?.id, c.ingest.id);
    const listed = page.data.find((k) => k.id === ingest.id);
    assert.ok(listed);
    assert.deepEqual(Object.keys(listed).sort(), [
      'agent',
      'created_at',
      'id',
      'kind',
      'last_used_at',
      'name',
      'prefix',
    ]);
    assert.equal(listed.prefix, ingest.prefix);
    const text = JSON.stringify(page);
    for (const secret of [ingest.key, c.admin.key, c.ingest.key]) assert.ok(!text.includes(secret));
  });

  it('last_used_at is set once the key has been used', async () => {
    assert.equal(await works(ingest.key), 200);
    let lastUsed: string | null = null;
    for (let i = 0; i < 50 && lastUsed === null; i++) {
      lastUsed = (await list(c.admin.key)).data.find((k) => k.id === ingest.id)?.last_used_at ?? null;
      if (lastUsed === null) await sleep(20);
    }
    assert.ok(lastUsed !== null && Math.abs(Date.parse(lastUsed) - Date.now()) < 10_000, String(lastUsed));
  });

  it('the list pages with limit and next_cursor, without gaps or repeats', async () => {
    const all = await list(c.admin.key);
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: ApiKeyPage = await list(
        c.admin.key,
        `?limit=4${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      );
      seen.push(...page.data.map((k) => k.id));
      cursor = page.next_cursor;
      pages += 1;
    } while (cursor !== null && pages < 10);
    assert.equal(pages, 2);
    assert.deepEqual(
      seen,
      all.data.map((k) => k.id),
    );
  });

  it('revoking is 204 with no body; the key is 401 from the next request, leaves the list, and revoking again is 204', async () => {
    const res = expectStatus(await revoke({ key: c.admin.key }, ingest.id), 204);
    assert.equal(res.text, '');
    expectError(await injectJson(server.app, '/v1/events', { key: ingest.key }), 401, 'unauthenticated');
    assert.ok((await list(c.admin.key)).data.every((k) => k.id !== ingest.id));
    expectStatus(await revoke({ session: c.session }, ingest.id), 204);
    expectError(await injectJson(server.app, '/v1/events', { key: ingest.key }), 401, 'unauthenticated');
  });
});

describe('errors', () => {
  let c: CustomerWithKeys;
  let baseline: ApiKeyPage;
  before(async () => {
    c = customers[1] as CustomerWithKeys;
    await createAgent(server.app, c.admin.key, 'real-bot');
    baseline = await list(c.admin.key);
  });

  it('a missing or bad name or kind, or an unknown field, is 400 naming it', async () => {
    const auth = { key: c.admin.key };
    expectInvalid(await create(auth, { kind: 'ingest' }), 'name', /required/);
    expectInvalid(await create(auth, { name: 'x' }), 'kind', /required/);
    expectInvalid(await create(auth, { name: '', kind: 'ingest' }), 'name');
    expectInvalid(await create(auth, { name: 'n'.repeat(101), kind: 'ingest' }), 'name');
    expectInvalid(await create(auth, { name: 42, kind: 'ingest' }), 'name');
    expectInvalid(await create(auth, { name: 'x', kind: 'root' }), 'kind');
    expectInvalid(await create(auth, { name: 'x', kind: 'admin', scopes: ['all'] }), 'scopes', /unknown/);
    expectInvalid(await create(auth, { name: 'x', kind: 'ingest', agent: '' }), 'agent');
  });

  it('an admin key with an agent is 400 naming agent', async () => {
    expectInvalid(
      await create({ key: c.admin.key }, { name: 'x', kind: 'admin', agent: 'real-bot' }),
      'agent',
    );
  });

  it('an ingest key bound to an unknown agent is 404, and no agent is created', async () => {
    expectError(
      await create({ key: c.admin.key }, { name: 'x', kind: 'ingest', agent: 'ghost-bot' }),
      404,
      'not_found',
    );
    expectError(await injectJson(server.app, '/v1/agents/ghost-bot', { key: c.admin.key }), 404, 'not_found');
  });

  it('a bad limit or cursor on the list is 400 naming it', async () => {
    for (const [query, field] of [
      ['?limit=0', 'limit'],
      ['?limit=101', 'limit'],
      ['?cursor=garbage', 'cursor'],
      [`?cursor=${Buffer.from(JSON.stringify('key_nope')).toString('base64url')}`, 'cursor'],
      ['?kind=admin', 'kind'],
    ] as const) {
      expectInvalid(
        await injectJson(server.app, `/v1/api-keys${query}`, { key: c.admin.key }),
        field,
        undefined,
        query,
      );
    }
  });

  it('revoking an id that does not exist is 404', async () => {
    expectError(await revoke({ key: c.admin.key }, 'key_doesnotexist000000000'), 404, 'not_found');
    expectError(await revoke({ key: c.admin.key }, 'not-a-key-id'), 404, 'not_found');
  });

  it('malformed JSON is 400, a body over 64 KiB is 413 and a text/plain body is 415', async () => {
    expectInvalid(
      await injectJson(server.app, '/v1/api-keys', {
        key: c.admin.key,
        raw: '{"name": "x", "kind": ',
        contentType: 'application/json',
      }),
      'body',
    );
    expectError(
      await create({ key: c.admin.key }, { name: 'x', kind: 'ingest', pad: 'x'.repeat(65 * 1024) }),
      413,
      'payload_too_large',
    );
    expectError(
      await injectJson(server.app, '/v1/api-keys', {
        key: c.admin.key,
        raw: JSON.stringify({ name: 'x', kind: 'ingest' }),
        contentType: 'text/plain',
      }),
      415,
      'unsupported_media_type',
    );
  });

  it('a revoke with a text/plain body is 415 and with malformed JSON is 400, as on every route', async () => {
    const id = c.ingest.id;
    expectError(
      await injectJson(server.app, `/v1/api-keys/${id}`, {
        method: 'DELETE',
        key: c.admin.key,
        raw: 'x',
        contentType: 'text/plain',
      }),
      415,
      'unsupported_media_type',
    );
    expectInvalid(
      await injectJson(server.app, `/v1/api-keys/${id}`, {
        method: 'DELETE',
        key: c.admin.key,
        raw: '{bad',
        contentType: 'application/json',
      }),
      'body',
    );
  });

  it('a revoke of an id with a NUL character is 400 naming the path parameter', async () => {
    expectInvalid(await revoke({ key: c.admin.key }, 'key_\u0000'), 'path.id');
  });

  it('none of the refused requests created, revoked or changed a key', async () => {
    assert.deepEqual(await list(c.admin.key), baseline);
    assert.equal(await works(c.ingest.key), 200);
  });
});

describe('security', () => {
  let c: CustomerWithKeys;
  let other: CustomerWithKeys;
  let bound: CreatedKeyJson;
  before(async () => {
    c = customers[2] as CustomerWithKeys;
    other = customers[3] as CustomerWithKeys;
    await createAgent(server.app, c.admin.key, 'own-bot');
    bound = await createKey(server.app, c.session, { kind: 'ingest', agent: 'own-bot' });
  });

  it('create, list and revoke are 401 without a credential, with an unknown or a revoked key', async () => {
    const revoked = await createKey(server.app, c.session, { kind: 'admin' });
    expectStatus(await revoke({ key: c.admin.key }, revoked.id), 204);
    for (const auth of [{}, { key: unknownKey('admin') }, { key: revoked.key }, { key: 'sg_admin_' }]) {
      expectError(await create(auth, { name: 'x', kind: 'admin' }), 401, 'unauthenticated');
      expectError(await injectJson(server.app, '/v1/api-keys', auth), 401, 'unauthenticated');
      expectError(await revoke(auth, c.ingest.id), 401, 'unauthenticated');
    }
    assert.equal(await works(c.ingest.key), 200);
  });

  it('an ingest key (bound or not) is 403 forbidden on create, list and revoke, and revokes nothing', async () => {
    for (const key of [c.ingest.key, bound.key]) {
      expectError(await create({ key }, { name: 'escalate', kind: 'admin' }), 403, 'forbidden');
      expectError(await injectJson(server.app, '/v1/api-keys', { key }), 403, 'forbidden');
      expectError(await revoke({ key }, c.admin.id), 403, 'forbidden');
    }
    assert.equal(await works(c.admin.key), 200);
    assert.ok((await list(c.admin.key)).data.every((k) => k.name !== 'escalate'));
  });

  it("another customer's key id is 404 on revoke, and that key keeps working", async () => {
    for (const auth of [{ key: other.admin.key }, { session: other.session }]) {
      expectError(await revoke(auth, c.ingest.id), 404, 'not_found');
      expectError(await revoke(auth, c.admin.id), 404, 'not_found');
    }
    assert.equal(await works(c.ingest.key), 200);
    assert.equal(await works(c.admin.key), 200);
  });

  it('another customer never lists our keys, and our key id is not a cursor for them (400)', async () => {
    const theirs = await list(other.admin.key);
    const ours = new Set((await list(c.admin.key)).data.map((k) => k.id));
    assert.ok(theirs.data.length > 0 && theirs.data.every((k) => !ours.has(k.id)));
    const cursor = Buffer.from(JSON.stringify(c.ingest.id)).toString('base64url');
    expectInvalid(
      await injectJson(server.app, `/v1/api-keys?cursor=${cursor}`, { key: other.admin.key }),
      'cursor',
    );
  });

  it("a key created for another customer's agent name is 404: bound keys cannot reach across customers", async () => {
    expectError(
      await create({ key: other.admin.key }, { name: 'reach', kind: 'ingest', agent: 'own-bot' }),
      404,
      'not_found',
    );
  });

  it('session writes without a valid X-CSRF-Token are 403 csrf_failed and change nothing; an admin key needs none', async () => {
    const unchanged = await list(c.admin.key);
    for (const csrf of [false as const, other.session.csrf]) {
      expectError(
        await create({ session: c.session, csrf }, { name: 'csrf', kind: 'admin' }),
        403,
        'csrf_failed',
      );
      expectError(await revoke({ session: c.session, csrf }, c.ingest.id), 403, 'csrf_failed');
    }
    assert.deepEqual(await list(c.admin.key), unchanged);
    assert.equal(await works(c.ingest.key), 200);
    expectStatus(await create({ key: c.admin.key }, { name: 'by key', kind: 'ingest' }), 201);
    expectStatus(await injectJson(server.app, '/v1/api-keys', { session: c.session }), 200);
  });
});
