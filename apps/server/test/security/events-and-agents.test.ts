// Adversarial: the hot path and the agent routes. Tenant isolation with another customer's names and cursors,
// the 16 KiB events limit, content types, prototype poisoning in metadata, header injection through
// Idempotency-Key, and SQL-injection strings in every string field of an event and its filters.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { api, signupAndAdminKey, startTestServer, type Tenant, type TestServer } from '../harness.js';
import { headersOf, rawHttp, SQL_INJECTIONS, tableCounts } from './helpers.js';

let sequence = 0;
const key = () => `sec-${Date.now()}-${++sequence}`;

describe('events and agents (adversarial)', () => {
  let server: TestServer;
  let alice: Tenant;
  let bob: Tenant;
  let aliceCursor: string;
  before(async () => {
    server = await startTestServer();
    alice = await signupAndAdminKey(server.url);
    bob = await signupAndAdminKey(server.url);
    for (let i = 0; i < 3; i++) {
      const res = await api(server.url, '/v1/events', {
        body: { agent: 'alice-secret-agent', cost_micros: 1000 + i, metadata: { owner: 'alice' } },
        key: alice.adminKey,
        headers: { 'idempotency-key': `alice-${i}` },
      });
      assert.equal(res.status, 201, JSON.stringify(res.body));
    }
    const page = await api(server.url, '/v1/events?limit=1', { key: alice.adminKey });
    assert.equal(page.status, 200);
    aliceCursor = page.body.next_cursor;
    assert.equal(typeof aliceCursor, 'string');
  });
  after(async () => {
    await server.close();
  });

  it("answers 404 for another customer's agent on every agent route, and changes nothing", async () => {
    const name = 'alice-secret-agent';
    const attempts: Array<{ method: string; path: string; body?: unknown }> = [
      { method: 'GET', path: `/v1/agents/${name}` },
      { method: 'GET', path: `/v1/agents/${name}/timeseries?granularity=hour` },
      { method: 'PATCH', path: `/v1/agents/${name}`, body: { limits: { month_micros: 1 } } },
      { method: 'POST', path: `/v1/agents/${name}/suspend`, body: { note: 'bob was here' } },
      { method: 'POST', path: `/v1/agents/${name}/resume`, body: {} },
      { method: 'GET', path: `/v1/events?agent=${name}` },
    ];
    for (const attempt of attempts) {
      for (const auth of [{ key: bob.adminKey }, { cookie: bob.cookie, csrf: bob.csrf }]) {
        const res = await api(server.url, attempt.path, {
          method: attempt.method,
          ...(attempt.body ? { body: attempt.body } : {}),
          ...auth,
        });
        assert.equal(
          res.status,
          404,
          `${attempt.method} ${attempt.path}: ${res.status} ${JSON.stringify(res.body)}`,
        );
        assert.equal(res.body.error.code, 'not_found');
        assert.doesNotMatch(JSON.stringify(res.body), /alice|agt_/);
      }
    }
    const agent = await api(server.url, `/v1/agents/${name}`, { key: alice.adminKey });
    assert.equal(agent.status, 200);
    const a = agent.body.agent ?? agent.body;
    assert.equal(a.status, 'active');
    assert.equal(a.spend.month_micros, 3003);
    assert.notEqual(a.limits.month_micros, 1);
  });

  it("never lists another customer's events, agents or audit entries, whatever the filters or cursor", async () => {
    const events = await api(server.url, '/v1/events?limit=100', { key: bob.adminKey });
    assert.equal(events.status, 200);
    assert.deepEqual(events.body.data, []);
    const agents = await api(server.url, '/v1/agents?limit=100', { key: bob.adminKey });
    assert.equal(agents.status, 200);
    assert.ok(agents.body.data.every((x: { name: string }) => x.name !== 'alice-secret-agent'));
    const audit = await api(server.url, '/v1/audit-log', { key: bob.adminKey });
    assert.equal(audit.status, 200);
    assert.doesNotMatch(JSON.stringify(audit.body), new RegExp(`${alice.customerId}|${alice.email}`));
    // Alice's pagination cursor handed to Bob: nothing of Alice's comes back.
    const withCursor = await api(server.url, `/v1/events?cursor=${encodeURIComponent(aliceCursor)}`, {
      key: bob.adminKey,
    });
    assert.ok(withCursor.status === 400 || withCursor.status === 200, `${withCursor.status}`);
    assert.doesNotMatch(JSON.stringify(withCursor.body), /alice/);
  });

  it("an event with another customer's agent name lands on the caller's own agent, never on theirs", async () => {
    const res = await api(server.url, '/v1/events', {
      body: { agent: 'alice-secret-agent', cost_micros: 5_000_000 },
      key: bob.adminKey,
      headers: { 'idempotency-key': key() },
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    const aliceAgent = await api(server.url, '/v1/agents/alice-secret-agent', { key: alice.adminKey });
    assert.equal((aliceAgent.body.agent ?? aliceAgent.body).spend.month_micros, 3003);
    const bobAgent = await api(server.url, '/v1/agents/alice-secret-agent', { key: bob.adminKey });
    assert.equal((bobAgent.body.agent ?? bobAgent.body).spend.month_micros, 5_000_000);
    // The same idempotency key in two tenants are two different events (scope: the customer).
    const sameKey = await api(server.url, '/v1/events', {
      body: { agent: 'alice-secret-agent', cost_micros: 1000 },
      key: bob.adminKey,
      headers: { 'idempotency-key': 'alice-0' },
    });
    assert.equal(sameKey.status, 201);
    assert.equal(sameKey.headers.get('idempotent-replayed'), null);
  });

  it("streams only the caller's own live events over SSE, never another customer's", async () => {
    const open = async (tenant: Tenant) => {
      const controller = new AbortController();
      const res = await fetch(`${server.url}/v1/stream`, {
        headers: { authorization: `Bearer ${tenant.adminKey}` },
        signal: controller.signal,
      });
      assert.equal(res.status, 200);
      const stream = { text: '', close: () => controller.abort(), done: Promise.resolve() };
      const reader = (res.body as ReadableStream<Uint8Array>).getReader();
      stream.done = (async () => {
        try {
          for (;;) {
            const { value, done } = await reader.read();
            if (done) return;
            stream.text += new TextDecoder().decode(value);
          }
        } catch {
          // aborted
        }
      })();
      return stream;
    };
    const aliceStream = await open(alice);
    const bobStream = await open(bob);
    const posted = await api(server.url, '/v1/events', {
      body: { agent: 'alice-stream-agent', cost_micros: 42, metadata: { owner: 'alice' } },
      key: alice.adminKey,
      headers: { 'idempotency-key': key() },
    });
    assert.equal(posted.status, 201);
    // The owner's stream does carry it (so the check on Bob's stream is not vacuous)...
    const deadline = Date.now() + 5_000;
    while (!aliceStream.text.includes('alice-stream-agent') && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 25));
    }
    assert.match(aliceStream.text, /event: spend\ndata: .*alice-stream-agent/);
    // ...and by then, plus a margin, Bob's has not. (A name Bob has no agent of: his own events may show up.)
    await new Promise((r) => setTimeout(r, 300));
    aliceStream.close();
    bobStream.close();
    await Promise.all([aliceStream.done, bobStream.done]);
    assert.match(bobStream.text, /: connected/);
    assert.doesNotMatch(bobStream.text, /alice-stream-agent/);
  });

  it('an ingest key bound to one agent may not act on or read another (403 forbidden)', async () => {
    const created = await api(server.url, '/v1/api-keys', {
      body: { name: 'bound', kind: 'ingest', agent: 'alice-secret-agent' },
      key: alice.adminKey,
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const other = await api(server.url, '/v1/events', {
      body: { agent: 'some-other-agent', cost_micros: 1 },
      key: created.body.key,
      headers: { 'idempotency-key': key() },
    });
    assert.equal(other.status, 403);
    assert.equal(other.body.error.code, 'forbidden');
    const admin = await api(server.url, '/v1/api-keys', { key: created.body.key });
    assert.equal(admin.status, 403);
  });

  it('refuses an events body over 16 KiB with 413, and a non-JSON body with 415; nothing stored', async () => {
    const before = await tableCounts(server.databaseUrl, ['events']);
    const big = await api(server.url, '/v1/events', {
      body: { agent: 'big', cost_micros: 1, metadata: { blob: 'x'.repeat(17 * 1024) } },
      key: alice.adminKey,
      headers: { 'idempotency-key': key() },
    });
    assert.equal(big.status, 413);
    assert.equal(big.body.error.code, 'payload_too_large');
    for (const type of ['text/plain', 'application/x-www-form-urlencoded']) {
      const res = await api(server.url, '/v1/events', {
        body: '{"agent":"plain","cost_micros":1}',
        key: alice.adminKey,
        headers: { 'content-type': type, 'idempotency-key': key() },
      });
      assert.equal(res.status, 415, `${type}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.error.code, 'unsupported_media_type');
    }
    assert.deepEqual(await tableCounts(server.databaseUrl, ['events']), before);
  });

  it('refuses prototype-poisoned metadata with 400 and pollutes nothing', async () => {
    for (const body of [
      '{"agent":"p","cost_micros":1,"metadata":{"__proto__":{"polluted":"yes"}}}',
      '{"agent":"p","cost_micros":1,"metadata":{"constructor":{"prototype":{"polluted":"yes"}}}}',
    ]) {
      const res = await api(server.url, '/v1/events', {
        body,
        key: alice.adminKey,
        headers: { 'content-type': 'application/json', 'idempotency-key': key() },
      });
      assert.equal(res.status, 400, body);
      assert.equal(res.body.error.code, 'invalid_request');
    }
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  it('refuses CR/LF and non-printable bytes in Idempotency-Key with 400 and never reflects them', async () => {
    const port = new URL(server.url).port;
    const body = '{"agent":"hdr","cost_micros":1}';
    for (const value of [
      'k1\rSet-Cookie: injected=1',
      'k2\nX-Injected: 1',
      'k3\tinjected',
      'k4\u00e9injected',
      ' ',
    ]) {
      const res = await rawHttp(
        server.url,
        `POST /v1/events HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAuthorization: Bearer ${alice.adminKey}\r\n` +
          `Content-Type: application/json\r\nIdempotency-Key: ${value}\r\nContent-Length: ${body.length}\r\n` +
          `Connection: close\r\n\r\n${body}`,
      );
      assert.equal(res.status, 400, `${JSON.stringify(value)}: ${res.head}`);
      assert.doesNotMatch(res.head, /injected/i);
      assert.equal(headersOf(res.head).get('set-cookie'), undefined);
    }
    const stored = await api(server.url, '/v1/events?agent=hdr', { key: alice.adminKey });
    assert.ok(stored.status === 404 || stored.body.data.length === 0, JSON.stringify(stored.body));
  });

  it('treats SQL-injection strings in every event field and filter as data or 400, never 500; tables intact', async () => {
    const tables = ['events', 'agents', 'customers', 'users', 'api_keys'];
    const before = await tableCounts(server.databaseUrl, tables);
    let accepted = 0;
    for (const evil of SQL_INJECTIONS) {
      // Names are pattern-checked: refused before any SQL runs.
      for (const field of ['agent', 'run']) {
        const res = await api(server.url, '/v1/events', {
          body: { agent: 'sqli-agent', cost_micros: 1, [field]: evil },
          key: alice.adminKey,
          headers: { 'idempotency-key': key() },
        });
        assert.equal(res.status, 400, `${field}=${evil}: ${res.status}`);
      }
      // Free text is stored as data and comes back verbatim: metadata values and keys, the idempotency key.
      const res = await api(server.url, '/v1/events', {
        body: { agent: 'sqli-agent', cost_micros: 7, metadata: { note: evil, [evil]: evil } },
        key: alice.adminKey,
        headers: { 'idempotency-key': evil },
      });
      assert.equal(res.status, 201, `${evil}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.event.idempotency_key, evil);
      accepted++;
      const replay = await api(server.url, '/v1/events', {
        body: { agent: 'sqli-agent', cost_micros: 7, metadata: { note: evil, [evil]: evil } },
        key: alice.adminKey,
        headers: { 'idempotency-key': evil },
      });
      assert.equal(replay.status, 201);
      assert.equal(replay.headers.get('idempotent-replayed'), 'true');
      for (const query of ['agent', 'status', 'from', 'to', 'cursor', 'limit']) {
        const list = await api(server.url, `/v1/events?${query}=${encodeURIComponent(evil)}`, {
          key: alice.adminKey,
        });
        assert.equal(list.status, 400, `GET /v1/events?${query}=${evil}: ${list.status}`);
      }
      for (const path of [
        `/v1/agents/${encodeURIComponent(evil)}`,
        `/v1/agents/${encodeURIComponent(evil)}/timeseries`,
      ]) {
        const res2 = await api(server.url, path, { key: alice.adminKey });
        assert.ok([400, 404].includes(res2.status), `${path}: ${res2.status}`);
      }
      for (const path of [
        `/v1/agents?cursor=${encodeURIComponent(evil)}`,
        `/v1/agents?limit=${encodeURIComponent(evil)}`,
        `/v1/audit-log?cursor=${encodeURIComponent(evil)}`,
        `/v1/agents/sqli-agent/timeseries?granularity=${encodeURIComponent(evil)}`,
        `/v1/agents/sqli-agent/timeseries?from=${encodeURIComponent(evil)}`,
      ]) {
        const res3 = await api(server.url, path, { key: alice.adminKey });
        assert.equal(res3.status, 400, `${path}: ${res3.status} ${JSON.stringify(res3.body)}`);
      }
      const create = await api(server.url, '/v1/agents', { body: { name: evil }, key: alice.adminKey });
      assert.equal(create.status, 400, `create agent ${evil}: ${create.status}`);
      const suspend = await api(server.url, '/v1/agents/sqli-agent/suspend', {
        body: { note: evil },
        key: alice.adminKey,
      });
      assert.equal(suspend.status, 200);
      assert.equal(
        (await api(server.url, '/v1/agents/sqli-agent/resume', { key: alice.adminKey, method: 'POST' }))
          .status,
        200,
      );
    }
    const listed = await api(server.url, '/v1/events?agent=sqli-agent&limit=100', { key: alice.adminKey });
    assert.equal(listed.status, 200);
    const notes = listed.body.data.map((e: { metadata: { note: string } }) => e.metadata.note).sort();
    assert.deepEqual(notes, [...SQL_INJECTIONS].sort());
    const afterCounts = await tableCounts(server.databaseUrl, tables);
    assert.equal(afterCounts.events, (before.events ?? 0) + accepted);
    assert.equal(afterCounts.agents, (before.agents ?? 0) + 1);
    assert.equal(afterCounts.customers, before.customers);
    assert.equal(afterCounts.users, before.users);
    assert.equal(afterCounts.api_keys, before.api_keys);
  });
});
