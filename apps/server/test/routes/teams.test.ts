// Teams (docs/api.md §8): invites with roles admin/viewer, accepting them, the users list and removal; a viewer reads
// everything and writes nothing (checked for every write route of the OpenAPI document); closed signup; passwords
// that are too easy to guess.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { Static } from 'typebox';
import type { InviteSchema, SignupStatusSchema, UserPageSchema } from '../../src/schemas/accounts.js';
import { startTestServer, type TestServer } from '../harness.js';
import { dbRows } from '../reservations/helpers.js';
import {
  type CustomerWithKeys,
  createAgent,
  customersWithKeys,
  expectError,
  expectInvalid,
  expectStatus,
  freshAddress,
  getAgent,
  injectJson,
  newEmail,
  newPassword,
  type Session,
  type SessionJson,
  sessionCookieOf,
} from './inject.js';

type InviteJson = Static<typeof InviteSchema>;
type UserPage = Static<typeof UserPageSchema>;
type SignupStatus = Static<typeof SignupStatusSchema>;
type App = TestServer['app'];

const PUBLIC_URL = 'https://spend.example.test';

let server: TestServer;
let customers: CustomerWithKeys[];
before(async () => {
  server = await startTestServer({ embedded: true, env: { SPENDGUARD_PUBLIC_URL: PUBLIC_URL } });
  customers = await customersWithKeys(server.app, 2);
});
after(() => server.close());

const invite = (app: App, auth: { session?: Session; key?: string }, body: Record<string, unknown>) =>
  injectJson<InviteJson>(app, '/v1/users/invites', { ...auth, body });
const tokenOf = (inv: InviteJson) =>
  new URL(inv.invite_url.replace('/#/', '/')).searchParams.get('token') ?? '';
const accept = (app: App, token: string, password = newPassword()) =>
  injectJson<SessionJson>(app, '/v1/auth/accept-invite', {
    body: { token, password },
    remoteAddress: freshAddress(),
  });

/** Invites and accepts; returns the member's session (cookie + CSRF) and body. */
async function join(app: App, owner: CustomerWithKeys, role: 'admin' | 'viewer') {
  const email = newEmail();
  const inv = expectStatus(await invite(app, { session: owner.session }, { email, role }), 201).body;
  const res = expectStatus(await accept(app, tokenOf(inv)), 201, 'accept');
  return { email, body: res.body, session: { cookie: sessionCookieOf(res), csrf: res.body.csrf_token } };
}

describe('invites', () => {
  it('an invite is 201 with a link on SPENDGUARD_PUBLIC_URL (never the Host header) that works once, for 7 days', async () => {
    const owner = customers[0] as CustomerWithKeys;
    const res = await injectJson<InviteJson>(server.app, '/v1/users/invites', {
      session: owner.session,
      body: { email: newEmail(), role: 'viewer' },
      headers: { host: 'attacker.example', 'x-forwarded-host': 'attacker.example' },
    });
    const inv = expectStatus(res, 201).body;
    assert.ok(inv.invite_url.startsWith(`${PUBLIC_URL}/#/accept-invite?token=`), inv.invite_url);
    assert.ok(!inv.invite_url.includes('attacker'));
    const days = (Date.parse(inv.expires_at) - Date.now()) / 86_400_000;
    assert.ok(days > 6.9 && days <= 7, `expires in ${days} days`);
    const joined = expectStatus(await accept(server.app, tokenOf(inv)), 201);
    assert.equal(joined.body.user.role, 'viewer');
    assert.equal(joined.body.customer.id, owner.customerId, 'joins the inviting customer');
    assert.ok(
      joined.cookies.some((c) => c.name === 'sg_session'),
      'a session starts',
    );
    expectError(await accept(server.app, tokenOf(inv)), 404, 'not_found', 'a used link');
  });

  it('an unknown or expired token is 404; an email with an account is 409, at the invite and at the accept', async () => {
    const owner = customers[0] as CustomerWithKeys;
    expectError(await accept(server.app, 'no-such-token'), 404, 'not_found');
    const expiring = expectStatus(
      await invite(server.app, { session: owner.session }, { email: newEmail(), role: 'admin' }),
      201,
    ).body;
    await dbRows(
      server.app,
      `UPDATE invites SET expires_at = now() - interval '1 second' WHERE token_hash = $1`,
      [createHash('sha256').update(tokenOf(expiring)).digest('hex')],
    );
    expectError(await accept(server.app, tokenOf(expiring)), 404, 'not_found', 'an expired link');

    const other = customers[1] as CustomerWithKeys;
    expectError(
      await invite(
        server.app,
        { session: owner.session },
        { email: other.email.toUpperCase(), role: 'viewer' },
      ),
      409,
      'conflict',
    );
    // Invited first, signed up elsewhere before accepting: the accept is 409 and the link stays unused.
    const email = newEmail();
    const inv = expectStatus(
      await invite(server.app, { session: owner.session }, { email, role: 'viewer' }),
      201,
    ).body;
    expectStatus(
      await injectJson(server.app, '/v1/auth/signup', {
        body: { email, password: newPassword(), company: 'Elsewhere' },
        remoteAddress: freshAddress(),
      }),
      201,
    );
    expectError(await accept(server.app, tokenOf(inv)), 409, 'conflict');
    const rows = await dbRows<{ used: boolean }>(
      server.app,
      'SELECT used_at IS NOT NULL AS used FROM invites WHERE email = $1',
      [email],
    );
    assert.deepEqual(rows, [{ used: false }]);
  });

  it('a weak password is 400 naming the field, and the invite stays usable', async () => {
    const owner = customers[0] as CustomerWithKeys;
    const inv = expectStatus(
      await invite(server.app, { session: owner.session }, { email: newEmail(), role: 'viewer' }),
      201,
    ).body;
    expectInvalid(await accept(server.app, tokenOf(inv), 'password1234'), 'password', /too easy to guess/);
    expectStatus(await accept(server.app, tokenOf(inv)), 201);
  });

  it('an admin key and an admin user may invite; an ingest key may not; a bad role or email is 400', async () => {
    const owner = customers[0] as CustomerWithKeys;
    expectStatus(
      await invite(server.app, { key: owner.admin.key }, { email: newEmail(), role: 'admin' }),
      201,
    );
    const admin = await join(server.app, owner, 'admin');
    expectStatus(
      await invite(server.app, { session: admin.session }, { email: newEmail(), role: 'viewer' }),
      201,
    );
    expectError(
      await invite(server.app, { key: owner.ingest.key }, { email: newEmail(), role: 'viewer' }),
      403,
      'forbidden',
    );
    expectInvalid(
      await invite(server.app, { key: owner.admin.key }, { email: newEmail(), role: 'owner' }),
      'role',
    );
    expectInvalid(
      await invite(server.app, { key: owner.admin.key }, { email: 'not-an-email', role: 'viewer' }),
      'email',
    );
  });
});

describe('a viewer reads everything and changes nothing', () => {
  let owner: CustomerWithKeys;
  let viewer: Awaited<ReturnType<typeof join>>;
  before(async () => {
    owner = customers[1] as CustomerWithKeys;
    viewer = await join(server.app, owner, 'viewer');
    await createAgent(server.app, owner.admin.key, 'watched-bot');
  });

  it('reads: agents, one agent, events, reservations, customer, keys, users, audit log, me', async () => {
    for (const path of [
      '/v1/agents',
      '/v1/agents/watched-bot',
      '/v1/agents/watched-bot/timeseries',
      '/v1/events',
      '/v1/reservations',
      '/v1/customer',
      '/v1/api-keys',
      '/v1/users',
      '/v1/audit-log',
      '/v1/auth/me',
    ]) {
      expectStatus(await injectJson(server.app, path, { session: viewer.session }), 200, path);
    }
    const me = expectStatus(
      await injectJson<SessionJson>(server.app, '/v1/auth/me', { session: viewer.session }),
      200,
    );
    assert.equal(me.body.user.role, 'viewer');
  });

  it('every write route of the OpenAPI document is 403 forbidden for a viewer (logout excepted)', async () => {
    const doc = expectStatus(
      await injectJson<{ paths: Record<string, Record<string, { security?: unknown[] }>> }>(
        server.app,
        '/openapi.json',
      ),
      200,
    ).body;
    const writes: string[] = [];
    for (const [path, operations] of Object.entries(doc.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        if (!['post', 'patch', 'put', 'delete'].includes(method)) continue;
        // Public routes (signup, login, accept-invite) take no session, nor do the gateway's (API keys only: a
        // viewer's cookie is 401 there, docs/api.md §12); logout is the viewer's one write.
        if (Array.isArray(operation.security) && !operation.security.some((s) => 'session' in (s as object)))
          continue;
        if (path === '/v1/auth/logout') continue;
        const url = path.replace('{name}', 'watched-bot').replace('{id}', 'rsv_none');
        const res = await injectJson(server.app, url, {
          session: viewer.session,
          method: method.toUpperCase() as 'POST',
          body: {},
          idempotencyKey: 'viewer-write',
        });
        expectError(res, 403, 'forbidden', `${method.toUpperCase()} ${path}`);
        writes.push(`${method} ${path}`);
      }
    }
    assert.ok(writes.length >= 15, `only ${writes.length} write routes found: ${writes.join(', ')}`);
    // Nothing changed: the agent is active, nothing was spent, no key was made.
    const agent = await getAgent(server.app, owner.admin.key, 'watched-bot');
    assert.equal(agent.status, 'active');
    assert.equal(agent.spend.month_micros, 0);
  });

  it('a viewer may log out', async () => {
    const another = await join(server.app, owner, 'viewer');
    expectStatus(
      await injectJson(server.app, '/v1/auth/logout', { session: another.session, method: 'POST' }),
      204,
    );
  });
});

describe('the users list and removal', () => {
  it('lists the team by email with roles; the owner removes a member, whose session ends at once', async () => {
    const [owner] = (await customersWithKeys(server.app, 1)) as [CustomerWithKeys];
    const admin = await join(server.app, owner, 'admin');
    const viewer = await join(server.app, owner, 'viewer');
    const page = expectStatus(
      await injectJson<UserPage>(server.app, '/v1/users', { session: viewer.session }),
      200,
    ).body;
    assert.deepEqual(
      page.data.map((u) => [u.email, u.role]).sort(),
      [
        [owner.email, 'owner'],
        [admin.email, 'admin'],
        [viewer.email, 'viewer'],
      ].sort(),
    );
    const small = expectStatus(
      await injectJson<UserPage>(server.app, '/v1/users?limit=2', { key: owner.admin.key }),
      200,
    ).body;
    assert.equal(small.data.length, 2);
    assert.ok(small.next_cursor);

    const viewerId = viewer.body.user.id;
    expectError(
      await injectJson(server.app, `/v1/users/${viewerId}`, { session: viewer.session, method: 'DELETE' }),
      403,
      'forbidden',
      'a viewer removes no one',
    );
    expectStatus(
      await injectJson(server.app, `/v1/users/${viewerId}`, { session: admin.session, method: 'DELETE' }),
      204,
    );
    expectError(
      await injectJson(server.app, '/v1/auth/me', { session: viewer.session }),
      401,
      'unauthenticated',
    );
    expectError(
      await injectJson(server.app, `/v1/users/${owner.userId}`, { session: admin.session, method: 'DELETE' }),
      403,
      'forbidden',
      'the owner cannot be removed',
    );
    const stranger = customers[0] as CustomerWithKeys;
    expectError(
      await injectJson(server.app, `/v1/users/${admin.body.user.id}`, {
        key: stranger.admin.key,
        method: 'DELETE',
      }),
      404,
      'not_found',
      'another customer’s user',
    );
  });
});

describe('passwords', () => {
  it('a signup with a common password or a trivial repetition is 400 and creates nothing', async () => {
    for (const password of ['aaaaaaaaaaaa', 'password1234', 'abcabcabcabc', 'qwertyuiop12']) {
      const email = newEmail();
      const res = await injectJson(server.app, '/v1/auth/signup', {
        body: { email, password, company: 'Weak Inc' },
        remoteAddress: freshAddress(),
      });
      expectInvalid(res, 'password', /too easy to guess/, password);
      const rows = await dbRows(server.app, 'SELECT 1 FROM users WHERE email = $1', [email]);
      assert.equal(rows.length, 0);
    }
  });
});

describe('SPENDGUARD_SIGNUP=closed (PostgreSQL)', () => {
  it('of 20 concurrent first signups exactly one is 201; later ones are 403; invites still work', async () => {
    const closed = await startTestServer({ env: { SPENDGUARD_SIGNUP: 'closed' } });
    try {
      const status = (app: App) => injectJson<SignupStatus>(app, '/v1/auth/signup');
      assert.deepEqual(expectStatus(await status(closed.app), 200).body, { open: true, empty: true });
      const attempts = await Promise.all(
        Array.from({ length: 20 }, () =>
          injectJson<SessionJson>(closed.app, '/v1/auth/signup', {
            body: { email: newEmail(), password: newPassword(), company: 'First' },
            remoteAddress: freshAddress(),
          }),
        ),
      );
      const won = attempts.filter((r) => r.status === 201);
      assert.equal(won.length, 1, attempts.map((r) => r.status).join(','));
      for (const r of attempts.filter((x) => x.status !== 201)) expectError(r, 403, 'forbidden');
      assert.deepEqual(expectStatus(await status(closed.app), 200).body, { open: false, empty: false });
      const users = await dbRows<{ n: number }>(closed.app, 'SELECT count(*)::int AS n FROM users');
      assert.equal(users[0]?.n, 1);

      const first = won[0] as (typeof won)[number];
      const ownerSession = { cookie: sessionCookieOf(first), csrf: first.body.csrf_token };
      const inv = expectStatus(
        await invite(closed.app, { session: ownerSession }, { email: newEmail(), role: 'admin' }),
        201,
      ).body;
      expectStatus(await accept(closed.app, tokenOf(inv)), 201, 'an invite works with signup closed');
    } finally {
      await closed.close();
    }
  });

  it('with SPENDGUARD_OWNER_EMAIL only that email may make the first signup', async () => {
    const owner = newEmail();
    const closed = await startTestServer({
      embedded: true,
      env: { SPENDGUARD_SIGNUP: 'closed', SPENDGUARD_OWNER_EMAIL: owner },
    });
    try {
      const signupAs = (email: string) =>
        injectJson(closed.app, '/v1/auth/signup', {
          body: { email, password: newPassword(), company: 'Owned' },
          remoteAddress: freshAddress(),
        });
      expectError(await signupAs(newEmail()), 403, 'forbidden');
      expectStatus(await signupAs(owner.toUpperCase()), 201);
      expectError(await signupAs(newEmail()), 403, 'forbidden');
    } finally {
      await closed.close();
    }
  });
});
