// Provider credentials of the LLM gateway (docs/api.md §12), on both deployments: PUT stores a key (encrypted, shown
// only as its hint) and a base_url (https to a public address unless SPENDGUARD_ALLOW_PRIVATE_UPSTREAMS), GET lists,
// DELETE removes; every status of the three routes; bad input is 400 and changes nothing; the gateway's read
// (credentialFor) sees every change at once, also on another instance; another customer never sees any of it.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Static } from 'typebox';
import { CredentialUnreadableError } from '../../src/gateway/credentials.js';
import type { InviteSchema } from '../../src/schemas/accounts.js';
import type { AuditPageSchema } from '../../src/schemas/agents.js';
import type { ProviderCredentialListSchema, ProviderCredentialSchema } from '../../src/schemas/providers.js';
import { startSecondInstance, startTestServer, type TestServer } from '../harness.js';
import {
  type Auth,
  type CustomerWithKeys,
  customersWithKeys,
  expectError,
  expectInvalid,
  expectStatus,
  freshAddress,
  header,
  injectJson,
  newEmail,
  newPassword,
  type Session,
  type SessionJson,
  sessionCookieOf,
  unknownKey,
} from './inject.js';

type Credential = Static<typeof ProviderCredentialSchema>;
type CredentialList = Static<typeof ProviderCredentialListSchema>;
type AuditPage = Static<typeof AuditPageSchema>;
type App = TestServer['app'];

const OPENAI_KEY = 'sk-proj-test-0123456789abcdefWXYZ';
const ANTHROPIC_KEY = 'sk-ant-api03-test-0123456789-lmno';

const put = (app: App, auth: Auth, provider: string, body: unknown) =>
  injectJson<Credential>(app, `/v1/providers/${provider}`, { ...auth, method: 'PUT', body });
const list = (app: App, auth: Auth) => injectJson<CredentialList>(app, '/v1/providers', auth);
const remove = (app: App, auth: Auth, provider: string) =>
  injectJson<null>(app, `/v1/providers/${provider}`, { ...auth, method: 'DELETE' });
const stored = async (app: App, key: string) => expectStatus(await list(app, { key }), 200).body.data;

/** Invites a viewer into `owner`'s customer and returns the viewer's session. */
async function viewerOf(app: App, owner: CustomerWithKeys): Promise<Session> {
  const inv = expectStatus(
    await injectJson<Static<typeof InviteSchema>>(app, '/v1/users/invites', {
      session: owner.session,
      body: { email: newEmail(), role: 'viewer' },
    }),
    201,
  ).body;
  const token = new URL(inv.invite_url.replace('/#/', '/')).searchParams.get('token') ?? '';
  const res = expectStatus(
    await injectJson<SessionJson>(app, '/v1/auth/accept-invite', {
      body: { token, password: newPassword() },
      remoteAddress: freshAddress(),
    }),
    201,
  );
  return { cookie: sessionCookieOf(res), csrf: res.body.csrf_token };
}

for (const backend of ['postgres+redis', 'embedded'] as const) {
  describe(`provider credentials (${backend})`, () => {
    let server: TestServer;
    let a: CustomerWithKeys;
    let b: CustomerWithKeys;
    before(async () => {
      server = await startTestServer(backend === 'embedded' ? { embedded: true } : {});
      [a, b] = (await customersWithKeys(server.app, 2)) as [CustomerWithKeys, CustomerWithKeys];
    });
    after(() => server.close());

    it('PUT stores the key (answered with its hint only), GET lists it, the gateway reads it, DELETE removes it', async () => {
      const credentials = server.app.ctx.providers;
      assert.deepEqual(await stored(server.app, a.admin.key), []);
      assert.equal(await credentials.credentialFor(a.customerId, 'openai'), null, 'nothing stored yet');

      const res = expectStatus(
        await put(server.app, { key: a.admin.key }, 'openai', { api_key: OPENAI_KEY }),
        200,
      );
      assert.equal(res.body.provider, 'openai');
      assert.equal(res.body.base_url, 'https://api.openai.com/v1', 'the default when none is given');
      assert.equal(res.body.key_hint, 'sk-…WXYZ');
      assert.equal(res.body.last_used_at, null);
      assert.ok(Date.parse(res.body.updated_at) >= Date.parse(res.body.created_at));
      assert.ok(!res.text.includes(OPENAI_KEY));

      // Right after the PUT (the miss above was cached): the new key, not the cached "none".
      assert.deepEqual(await credentials.credentialFor(a.customerId, 'openai'), {
        apiKey: OPENAI_KEY,
        baseUrl: 'https://api.openai.com/v1',
        keyHint: 'sk-…WXYZ',
      });

      const anthropic = expectStatus(
        await put(server.app, { session: a.session }, 'anthropic', {
          api_key: ANTHROPIC_KEY,
          base_url: 'https://llm-proxy.example.com/anthropic/',
        }),
        200,
      ).body;
      assert.equal(anthropic.base_url, 'https://llm-proxy.example.com/anthropic', 'trailing slash dropped');
      assert.equal(anthropic.key_hint, 'sk-…lmno');
      const listed = await stored(server.app, a.admin.key);
      assert.deepEqual(
        listed.map((c) => [c.provider, c.base_url, c.key_hint]),
        [
          ['anthropic', 'https://llm-proxy.example.com/anthropic', 'sk-…lmno'],
          ['openai', 'https://api.openai.com/v1', 'sk-…WXYZ'],
        ],
      );
      assert.equal((await credentials.credentialFor(a.customerId, 'anthropic'))?.apiKey, ANTHROPIC_KEY);

      // A PUT replaces the whole credential: a new key, and no base_url is the default again.
      const replaced = expectStatus(
        await put(server.app, { key: a.admin.key }, 'anthropic', { api_key: 'short-key1' }),
        200,
      ).body;
      assert.equal(replaced.base_url, 'https://api.anthropic.com');
      assert.equal(replaced.key_hint, '…y1', 'a key under 12 characters shows only its last 2');
      assert.equal(replaced.created_at, anthropic.created_at);
      assert.deepEqual(await credentials.credentialFor(a.customerId, 'anthropic'), {
        apiKey: 'short-key1',
        baseUrl: 'https://api.anthropic.com',
        keyHint: '…y1',
      });

      expectStatus(await remove(server.app, { key: a.admin.key }, 'anthropic'), 204);
      assert.equal(await credentials.credentialFor(a.customerId, 'anthropic'), null);
      assert.deepEqual(
        (await stored(server.app, a.admin.key)).map((c) => c.provider),
        ['openai'],
      );
      // Idempotent: 204 again, nothing to remove.
      expectStatus(await remove(server.app, { key: a.admin.key }, 'anthropic'), 204);
    });

    it('base_url equal to the provider default is stored as the default; an explicit null is the default too', async () => {
      const res = expectStatus(
        await put(server.app, { key: b.admin.key }, 'openai', {
          api_key: OPENAI_KEY,
          base_url: 'https://api.openai.com/v1/',
        }),
        200,
      );
      assert.equal(res.body.base_url, 'https://api.openai.com/v1');
      const nulled = expectStatus(
        await put(server.app, { key: b.admin.key }, 'anthropic', { api_key: ANTHROPIC_KEY, base_url: null }),
        200,
      );
      assert.equal(nulled.body.base_url, 'https://api.anthropic.com');
      const rows = await server.app.ctx.db.query<{ provider: string; base_url: string | null }>(
        'SELECT provider, base_url FROM provider_credentials WHERE customer_id = $1 ORDER BY provider',
        [b.customerId],
      );
      assert.deepEqual(rows.rows, [
        { provider: 'anthropic', base_url: null },
        { provider: 'openai', base_url: null },
      ]);
      expectStatus(await remove(server.app, { key: b.admin.key }, 'openai'), 204);
      expectStatus(await remove(server.app, { key: b.admin.key }, 'anthropic'), 204);
    });

    it('an unknown provider is 404 not_found on PUT and DELETE', async () => {
      for (const name of ['mistral', 'OpenAI', 'openai%20', '..']) {
        expectError(
          await put(server.app, { key: a.admin.key }, name, { api_key: OPENAI_KEY }),
          404,
          'not_found',
          name,
        );
        expectError(await remove(server.app, { key: a.admin.key }, name), 404, 'not_found', name);
      }
    });

    it('bad input is 400 naming the field, and nothing changes', async () => {
      const before = await stored(server.app, a.admin.key);
      const before_ = await server.app.ctx.providers.credentialFor(a.customerId, 'openai');
      const cases: Array<[unknown, string, RegExp?]> = [
        [{ api_key: OPENAI_KEY, base_url: 'http://api.openai.com/v1' }, 'base_url', /https/],
        [{ api_key: OPENAI_KEY, base_url: 'ftp://api.openai.com/v1' }, 'base_url'],
        [{ api_key: OPENAI_KEY, base_url: 'https://user:pw@api.openai.com/v1' }, 'base_url', /password/],
        [{ api_key: OPENAI_KEY, base_url: 'https://key@api.openai.com/v1' }, 'base_url', /username/],
        [{ api_key: OPENAI_KEY, base_url: 'https://api.openai.com/v1?x=1' }, 'base_url', /query/],
        [{ api_key: OPENAI_KEY, base_url: 'https://api.openai.com/v1?' }, 'base_url', /query/],
        [{ api_key: OPENAI_KEY, base_url: 'https://api.openai.com/v1#frag' }, 'base_url', /fragment/],
        [{ api_key: OPENAI_KEY, base_url: 'https://10.0.0.7/v1' }, 'base_url', /private/],
        [{ api_key: OPENAI_KEY, base_url: 'https://127.0.0.1:8443/v1' }, 'base_url', /private/],
        [{ api_key: OPENAI_KEY, base_url: 'https://169.254.169.254/latest' }, 'base_url', /private/],
        [{ api_key: OPENAI_KEY, base_url: 'https://[::1]/v1' }, 'base_url', /private/],
        [{ api_key: OPENAI_KEY, base_url: 'https://[::ffff:192.168.1.1]/v1' }, 'base_url', /private/],
        [{ api_key: OPENAI_KEY, base_url: 'https://0x7f.1/v1' }, 'base_url', /private/],
        [{ api_key: OPENAI_KEY, base_url: 'https://localhost/v1' }, 'base_url', /private/],
        [{ api_key: OPENAI_KEY, base_url: 'api.openai.com/v1' }, 'base_url', /absolute/],
        [{ api_key: OPENAI_KEY, base_url: `https://example.com/${'a'.repeat(2048)}` }, 'base_url'],
        [{ api_key: OPENAI_KEY, base_url: 5 }, 'base_url'],
        [{ api_key: 'k'.repeat(513) }, 'api_key'],
        [{ api_key: '' }, 'api_key'],
        [{ api_key: 'sk-with space-1234567' }, 'api_key'],
        [{ api_key: 'sk-with-newline-123456\n' }, 'api_key'],
        [{ api_key: 'sk-ünicode-123456789' }, 'api_key'],
        [{ api_key: 12345 }, 'api_key'],
        [{ base_url: 'https://api.openai.com/v1' }, 'api_key', /required/],
        [{ api_key: OPENAI_KEY, organization: 'org-1' }, 'organization', /unknown/],
      ];
      for (const [body, field, problem] of cases) {
        const res = await put(server.app, { key: a.admin.key }, 'openai', body);
        expectInvalid(res, field, problem, JSON.stringify(body).slice(0, 120));
        assert.ok(!res.text.includes(OPENAI_KEY), 'a 400 never echoes the key');
      }
      // The longest key is fine.
      const longest = 'k'.repeat(512);
      expectStatus(await put(server.app, { key: b.admin.key }, 'openai', { api_key: longest }), 200);
      assert.equal((await server.app.ctx.providers.credentialFor(b.customerId, 'openai'))?.apiKey, longest);
      expectStatus(await remove(server.app, { key: b.admin.key }, 'openai'), 204);

      assert.deepEqual(await stored(server.app, a.admin.key), before);
      assert.deepEqual(await server.app.ctx.providers.credentialFor(a.customerId, 'openai'), before_);
    });

    it('malformed JSON is 400, a body over 64 KiB is 413, a text/plain body is 415', async () => {
      const path = '/v1/providers/openai';
      expectInvalid(
        await injectJson(server.app, path, {
          method: 'PUT',
          key: a.admin.key,
          raw: `{"api_key": "${OPENAI_KEY}"`,
          contentType: 'application/json',
        }),
        'body',
      );
      expectError(
        await put(server.app, { key: a.admin.key }, 'openai', {
          api_key: OPENAI_KEY,
          pad: 'x'.repeat(65 * 1024),
        }),
        413,
        'payload_too_large',
      );
      expectError(
        await injectJson(server.app, path, {
          method: 'PUT',
          key: a.admin.key,
          raw: 'api_key=x',
          contentType: 'text/plain',
        }),
        415,
        'unsupported_media_type',
      );
    });

    it('401 without a credential or with an unknown key; 403 for an ingest key, a viewer’s writes, a write without CSRF', async () => {
      for (const auth of [{}, { key: unknownKey('admin') }] as Auth[]) {
        expectError(await list(server.app, auth), 401, 'unauthenticated');
        expectError(await put(server.app, auth, 'openai', { api_key: OPENAI_KEY }), 401, 'unauthenticated');
        expectError(await remove(server.app, auth, 'openai'), 401, 'unauthenticated');
      }
      const ingest = { key: a.ingest.key };
      expectError(await list(server.app, ingest), 403, 'forbidden');
      expectError(
        await put(server.app, ingest, 'openai', { api_key: 'sk-evil-0123456789' }),
        403,
        'forbidden',
      );
      expectError(await remove(server.app, ingest, 'openai'), 403, 'forbidden');

      const viewer = await viewerOf(server.app, a);
      const seen = expectStatus(await list(server.app, { session: viewer }), 200, 'a viewer reads').body.data;
      assert.deepEqual(seen, await stored(server.app, a.admin.key));
      expectError(
        await put(server.app, { session: viewer }, 'openai', { api_key: 'sk-evil-0123456789' }),
        403,
        'forbidden',
      );
      expectError(await remove(server.app, { session: viewer }, 'openai'), 403, 'forbidden');

      expectError(
        await put(server.app, { session: a.session, csrf: false }, 'openai', {
          api_key: 'sk-evil-0123456789',
        }),
        403,
        'csrf_failed',
      );
      expectError(
        await remove(server.app, { session: a.session, csrf: false }, 'openai'),
        403,
        'csrf_failed',
      );
      assert.equal(
        (await server.app.ctx.providers.credentialFor(a.customerId, 'openai'))?.apiKey,
        OPENAI_KEY,
      );
    });

    it('another customer never sees, uses or removes the credential', async () => {
      assert.deepEqual(await stored(server.app, b.admin.key), []);
      expectStatus(await remove(server.app, { key: b.admin.key }, 'openai'), 204);
      assert.deepEqual(await stored(server.app, b.admin.key), []);
      assert.equal(
        (await server.app.ctx.providers.credentialFor(a.customerId, 'openai'))?.apiKey,
        OPENAI_KEY,
      );
      // A's ciphertext copied into B's row does not decrypt there (the customer is in the associated data).
      await server.app.ctx.db.query(
        `INSERT INTO provider_credentials (customer_id, provider, key_ciphertext, key_hint)
         SELECT $2, provider, key_ciphertext, key_hint FROM provider_credentials WHERE customer_id = $1 AND provider = 'openai'`,
        [a.customerId, b.customerId],
      );
      await assert.rejects(
        server.app.ctx.providers.credentialFor(b.customerId, 'openai'),
        CredentialUnreadableError,
      );
      expectStatus(await remove(server.app, { key: b.admin.key }, 'openai'), 204);
      assert.equal(await server.app.ctx.providers.credentialFor(b.customerId, 'openai'), null);
    });

    it('every change is audited as provider.put / provider.delete with the hint, never the key', async () => {
      const entries = expectStatus(
        await injectJson<AuditPage>(server.app, '/v1/audit-log?limit=100', { key: a.admin.key }),
        200,
      ).body.data.filter((e) => e.target_type === 'provider');
      assert.deepEqual(
        entries.map((e) => `${e.action} ${e.target_id} ${e.actor_type}`),
        [
          'provider.delete anthropic api_key',
          'provider.put anthropic api_key',
          'provider.put anthropic user',
          'provider.put openai api_key',
        ],
      );
      const [deleted, replaced, first] = entries as [
        AuditPage['data'][number],
        AuditPage['data'][number],
        AuditPage['data'][number],
      ];
      assert.deepEqual(first.before, null);
      assert.deepEqual(first.after, {
        provider: 'anthropic',
        base_url: 'https://llm-proxy.example.com/anthropic',
        key_hint: 'sk-…lmno',
      });
      assert.deepEqual(replaced.before, first.after);
      assert.deepEqual(replaced.after, {
        provider: 'anthropic',
        base_url: 'https://api.anthropic.com',
        key_hint: '…y1',
      });
      assert.deepEqual(deleted.before, replaced.after);
      assert.equal(deleted.after, null);
      const text = JSON.stringify(entries);
      for (const secret of [OPENAI_KEY, ANTHROPIC_KEY, 'short-key1']) assert.ok(!text.includes(secret));
      // B's own changes only (three PUTs, four DELETEs that removed something); its empty delete audited nothing.
      const theirs = expectStatus(
        await injectJson<AuditPage>(server.app, '/v1/audit-log?limit=100', { key: b.admin.key }),
        200,
      ).body.data.filter((e) => e.target_type === 'provider');
      assert.deepEqual(theirs.map((e) => e.action).sort(), [
        'provider.delete',
        'provider.delete',
        'provider.delete',
        'provider.delete',
        'provider.put',
        'provider.put',
        'provider.put',
      ]);
    });

    it('markUsed sets last_used_at, at most once a minute, and never throws', async () => {
      const credentials = server.app.ctx.providers;
      credentials.markUsed(a.customerId, 'openai');
      let first: string | null = null;
      for (let i = 0; i < 100 && first === null; i++) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        first =
          (await stored(server.app, a.admin.key)).find((c) => c.provider === 'openai')?.last_used_at ?? null;
      }
      assert.ok(first, 'last_used_at was not written');
      credentials.markUsed(a.customerId, 'openai');
      await new Promise((resolve) => setTimeout(resolve, 100));
      assert.equal(
        (await stored(server.app, a.admin.key)).find((c) => c.provider === 'openai')?.last_used_at,
        first,
      );
      // Nothing stored for that provider, or no such customer: nothing happens, nothing throws.
      credentials.markUsed(a.customerId, 'anthropic');
      credentials.markUsed('cus_nobody', 'openai');
    });
  });
}

describe('provider credentials across instances (postgres+redis)', () => {
  let first: TestServer;
  let second: TestServer;
  let a: CustomerWithKeys;
  before(async () => {
    first = await startTestServer();
    second = await startSecondInstance(first);
    [a] = (await customersWithKeys(first.app, 1)) as [CustomerWithKeys];
  });
  after(async () => {
    await second.close();
    await first.close();
  });

  /** What the other instance's gateway reads, polled for at most 1 s (the bus's promise). */
  async function seenOnSecond(apiKey: string | null): Promise<void> {
    let last: string | null = 'unread';
    for (let i = 0; i < 50; i++) {
      last = (await second.app.ctx.providers.credentialFor(a.customerId, 'openai'))?.apiKey ?? null;
      if (last === apiKey) return;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.fail(`the second instance still reads ${last}, not ${apiKey}`);
  }

  it('a PUT or DELETE on one instance reaches the other’s cache at once (not after the 30 s expiry)', async () => {
    await seenOnSecond(null); // cached there as "none"
    expectStatus(await put(first.app, { key: a.admin.key }, 'openai', { api_key: OPENAI_KEY }), 200);
    await seenOnSecond(OPENAI_KEY);
    expectStatus(
      await put(first.app, { key: a.admin.key }, 'openai', { api_key: `${OPENAI_KEY}-rotated` }),
      200,
    );
    await seenOnSecond(`${OPENAI_KEY}-rotated`);
    expectStatus(await remove(first.app, { key: a.admin.key }, 'openai'), 204);
    await seenOnSecond(null);
  });
});

describe('private upstreams (SPENDGUARD_ALLOW_PRIVATE_UPSTREAMS=1)', () => {
  let server: TestServer;
  let a: CustomerWithKeys;
  before(async () => {
    server = await startTestServer({ embedded: true, env: { SPENDGUARD_ALLOW_PRIVATE_UPSTREAMS: '1' } });
    [a] = (await customersWithKeys(server.app, 1)) as [CustomerWithKeys];
  });
  after(() => server.close());

  it('http and private or loopback addresses are accepted; credentials, query, fragment and other schemes are not', async () => {
    for (const url of [
      'http://127.0.0.1:11434/v1',
      'http://localhost:8000/v1/',
      'https://10.1.2.3/openai',
      'http://[::1]:9/v1',
    ]) {
      const res = expectStatus(
        await put(server.app, { key: a.admin.key }, 'openai', { api_key: OPENAI_KEY, base_url: url }),
        200,
        url,
      );
      assert.equal(res.body.base_url, url.replace(/\/$/, ''));
    }
    for (const url of [
      'http://u:p@127.0.0.1/v1',
      'http://127.0.0.1/v1?x',
      'http://127.0.0.1/v1#x',
      'file:///etc/passwd',
    ]) {
      expectInvalid(
        await put(server.app, { key: a.admin.key }, 'openai', { api_key: OPENAI_KEY, base_url: url }),
        'base_url',
        undefined,
        url,
      );
    }
  });
});

describe('production without SPENDGUARD_ENCRYPTION_KEY', () => {
  let server: TestServer;
  let a: CustomerWithKeys;
  before(async () => {
    server = await startTestServer({
      // Empty counts as unset: the harness would otherwise derive a key for the database.
      env: { NODE_ENV: 'production', SPENDGUARD_ENCRYPTION_KEY: '' },
    });
    [a] = (await customersWithKeys(server.app, 1)) as [CustomerWithKeys];
  });
  after(() => server.close());

  it('starts (nothing is stored), lists nothing, and a PUT is 503 unavailable naming the variable, storing nothing', async () => {
    assert.equal(server.app.ctx.config.encryptionKey, null);
    assert.deepEqual(await stored(server.app, a.admin.key), []);
    const res = expectError(
      await put(server.app, { key: a.admin.key }, 'openai', { api_key: OPENAI_KEY }),
      503,
      'unavailable',
    );
    assert.match(res.message, /SPENDGUARD_ENCRYPTION_KEY/);
    assert.ok(
      header(await put(server.app, { key: a.admin.key }, 'openai', { api_key: OPENAI_KEY }), 'retry-after'),
    );
    // Bad input is still a 400 first: the operator's problem does not hide the client's.
    expectInvalid(
      await put(server.app, { key: a.admin.key }, 'openai', {
        api_key: OPENAI_KEY,
        base_url: 'http://x.example',
      }),
      'base_url',
    );
    assert.deepEqual(await stored(server.app, a.admin.key), []);
    const rows = await server.app.ctx.db.query('SELECT 1 FROM provider_credentials');
    assert.equal(rows.rows.length, 0);
  });
});
