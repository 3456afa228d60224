// Webhooks (docs/api.md §13) against a real HTTP receiver: endpoints and their one-time secret, signed deliveries that
// verify (a tampered body does not), agent.suspended / agent.resumed written with the change itself, a receiver's 500
// retried with the same id and body after backoff, a test ping, a manual retry, and two instances on one database
// never sending one attempt twice. Retry delays are seconds to hours: a test moves a row's next attempt to now instead
// of waiting (the same UPDATE time passing would make).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { verifyWebhook } from '../../../../packages/sdk/src/index.js';
import { createPostgresDb } from '../../src/db/postgres.js';
import { enqueueAlert } from '../../src/webhooks/outbox.js';
import { sql } from '../engine/helpers.js';
import {
  type ApiResponse,
  api,
  signupAndAdminKey,
  startTestServer,
  type Tenant,
  type TestServer,
} from '../harness.js';
import { ALLOW_PRIVATE, type Receiver, startReceiver, twoInstancesAndReceiver } from './receiver.js';

interface Alert {
  id: string;
  type: string;
  created_at: string;
  data: {
    agent: { id: string; name: string; status: string };
    reason?: string;
    actor?: { type: string; id: string };
    [field: string]: unknown;
  };
}
const alertOf = (body: string) => JSON.parse(body) as Alert;

async function createEndpoint(server: TestServer, t: Tenant, url: string, events?: string[]) {
  const res = await api(server.url, '/v1/webhooks', {
    key: t.adminKey,
    body: { url, ...(events ? { events } : {}) },
  });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return res.body as { id: string; secret: string; events: string[]; url: string };
}

describe('webhooks: endpoints and signed deliveries', () => {
  let server: TestServer;
  let receiver: Receiver;
  let t: Tenant;

  before(async () => {
    receiver = await startReceiver();
    server = await startTestServer({ env: ALLOW_PRIVATE });
    t = await signupAndAdminKey(server.url);
  });
  after(async () => {
    await server.close();
    await receiver.close();
  });

  it('create shows the secret once; the list never does', async () => {
    const created = await createEndpoint(server, t, receiver.url, ['agent.suspended']);
    assert.match(created.secret, /^whsec_[A-Za-z0-9_-]{43}$/);
    assert.deepEqual(created.events, ['agent.suspended']);
    const list = await api(server.url, '/v1/webhooks', { key: t.adminKey });
    assert.equal(list.status, 200);
    const mine = list.body.data.find((e: { id: string }) => e.id === created.id);
    assert.ok(mine);
    assert.equal('secret' in mine, false);
    assert.doesNotMatch(JSON.stringify(list.body), /whsec_/);
    assert.equal(
      (await api(server.url, `/v1/webhooks/${created.id}`, { key: t.adminKey, method: 'DELETE' })).status,
      204,
    );
    assert.equal(
      (await api(server.url, `/v1/webhooks/${created.id}`, { key: t.adminKey, method: 'DELETE' })).status,
      404,
    );
  });

  it('a suspend and a resume are delivered, signed: the signature verifies and a tampered body does not', async () => {
    const endpoint = await createEndpoint(server, t, receiver.url);
    assert.equal(
      (await api(server.url, '/v1/agents', { key: t.adminKey, body: { name: 'hooked' } })).status,
      201,
    );
    const start = receiver.received.length;
    assert.equal(
      (await api(server.url, '/v1/agents/hooked/suspend', { key: t.adminKey, body: {} })).status,
      200,
    );
    assert.equal(
      (await api(server.url, '/v1/agents/hooked/resume', { key: t.adminKey, body: {} })).status,
      200,
    );
    const got = (await receiver.waitFor(start + 2)).slice(start);
    const alerts = got.map((r) => alertOf(r.body));
    const suspended = alerts.find((a) => a.type === 'agent.suspended');
    const resumed = alerts.find((a) => a.type === 'agent.resumed');
    assert.ok(suspended && resumed, JSON.stringify(alerts));
    assert.equal(suspended.data.agent.name, 'hooked');
    assert.equal(suspended.data.agent.status, 'suspended');
    assert.equal(suspended.data.reason, 'manual');
    assert.deepEqual(suspended.data.actor, { type: 'api_key', id: t.adminKeyId });
    assert.equal(resumed.data.agent.status, 'active');
    for (const r of got) {
      const header = String(r.headers['spendguard-signature']);
      assert.match(header, /^t=\d+,v1=[0-9a-f]{64}$/);
      assert.equal(r.headers['spendguard-event-id'], alertOf(r.body).id);
      // The SDK's verifier, as a receiver runs it.
      assert.equal((await verifyWebhook(r.body, header, endpoint.secret)).id, alertOf(r.body).id);
      await assert.rejects(() => verifyWebhook(r.body.replace('hooked', 'hacked'), header, endpoint.secret));
      await assert.rejects(() => verifyWebhook(r.body, header, `${endpoint.secret}x`));
      await assert.rejects(() =>
        verifyWebhook(r.body, header, endpoint.secret, { now: Math.floor(Date.now() / 1000) + 3600 }),
      );
    }
    await api(server.url, `/v1/webhooks/${endpoint.id}`, { key: t.adminKey, method: 'DELETE' });
  });

  it('a receiver answering 500 gets the same id and byte-identical body again after backoff; the log shows it', async () => {
    const endpoint = await createEndpoint(server, t, receiver.url, ['webhook.test']);
    receiver.answer = 500;
    const start = receiver.received.length;
    const ping = await api(server.url, `/v1/webhooks/${endpoint.id}/test`, {
      key: t.adminKey,
      method: 'POST',
    });
    assert.equal(ping.status, 202);
    const [first] = (await receiver.waitFor(start + 1)).slice(start);
    assert.ok(first);
    const log = async () =>
      (await api(server.url, `/v1/webhooks/${endpoint.id}/deliveries`, { key: t.adminKey })).body.data[0];
    let row = await log();
    for (let i = 0; i < 40 && row.attempt < 1; i++) row = await log();
    // The outcome is recorded right after the answer.
    for (let i = 0; i < 40 && row.response_status === null; i++) {
      await new Promise((r) => setTimeout(r, 50));
      row = await log();
    }
    assert.equal(row.event_id, ping.body.event_id);
    assert.equal(row.status, 'pending');
    assert.equal(row.response_status, 500);
    assert.equal(row.error, 'answered 500');
    const wait = Date.parse(row.next_attempt_at) - Date.now();
    assert.ok(
      wait > 8_000 && wait < 19_000,
      `the first retry comes within 30 s, about 15 s later (${wait} ms)`,
    );
    receiver.answer = 200;
    await sql(
      server.databaseUrl as string,
      'UPDATE webhook_deliveries SET next_attempt_at = now() WHERE id = $1',
      [row.id],
    );
    const [second] = (await receiver.waitFor(start + 2)).slice(start + 1);
    assert.ok(second);
    assert.equal(second.body, first.body, 'byte-identical');
    assert.equal(second.headers['spendguard-event-id'], ping.body.event_id);
    for (let i = 0; i < 40 && row.status !== 'delivered'; i++) {
      await new Promise((r) => setTimeout(r, 50));
      row = await log();
    }
    assert.equal(row.status, 'delivered');
    assert.equal(row.attempt, 2);
    assert.equal(row.next_attempt_at, null);

    // A manual retry of a delivered row sends it once more, the same alert.
    const retried = await api(server.url, `/v1/webhooks/${endpoint.id}/deliveries/${row.id}/retry`, {
      key: t.adminKey,
      method: 'POST',
    });
    assert.equal(retried.status, 202);
    const [third] = (await receiver.waitFor(start + 3)).slice(start + 2);
    assert.equal(third?.body, first.body);
    await api(server.url, `/v1/webhooks/${endpoint.id}`, { key: t.adminKey, method: 'DELETE' });
  });

  it('GET /v1/alerts lists every alert newest first (not test pings); pages by id, also within one transaction', async () => {
    const u = await signupAndAdminKey(server.url);
    const endpoint = await createEndpoint(server, u, receiver.url);
    await api(server.url, '/v1/agents', { key: u.adminKey, body: { name: 'listed' } });
    await api(server.url, '/v1/agents/listed/suspend', { key: u.adminKey, body: {} });
    await api(server.url, `/v1/webhooks/${endpoint.id}/test`, { key: u.adminKey, method: 'POST' });
    // Three alerts in one transaction share created_at to the microsecond: a page boundary must not skip any.
    const db = createPostgresDb({ url: server.databaseUrl as string });
    try {
      await db.transaction(async (tx) => {
        for (const i of [1, 2, 3]) await enqueueAlert(tx, u.customerId, 'agent.resumed', { i });
      });
    } finally {
      await db.close();
    }
    const seen = async (path: string) => {
      const ids: string[] = [];
      let cursor: string | null = null;
      do {
        const res: ApiResponse<{ data: Array<{ id: string }>; next_cursor: string | null }> = await api(
          server.url,
          `${path}?limit=1${cursor ? `&cursor=${cursor}` : ''}`,
          { key: u.adminKey },
        );
        assert.equal(res.status, 200, JSON.stringify(res.body));
        ids.push(...res.body.data.map((x) => x.id));
        cursor = res.body.next_cursor;
      } while (cursor && ids.length < 20);
      return ids;
    };
    const alerts = await seen('/v1/alerts');
    assert.equal(alerts.length, 4, 'three resumes and the suspend; the test ping is not an alert');
    assert.equal(new Set(alerts.map(String)).size, 4);
    const all = (await api(server.url, '/v1/alerts', { key: u.adminKey })).body;
    assert.deepEqual(
      all.data.map((x: Alert) => x.type),
      ['agent.resumed', 'agent.resumed', 'agent.resumed', 'agent.suspended'],
    );
    assert.equal(all.data[3].data.agent.name, 'listed');
    const deliveries = await seen(`/v1/webhooks/${endpoint.id}/deliveries`);
    assert.equal(new Set(deliveries).size, 5, 'the suspend, the ping and three resumes, each once');
    assert.equal(deliveries.length, 5);
    // A cursor naming another customer's alert is not a cursor for this one.
    const other = await signupAndAdminKey(server.url);
    const foreign = Buffer.from(JSON.stringify(alerts[0])).toString('base64url');
    assert.equal(
      (await api(server.url, `/v1/alerts?cursor=${foreign}`, { key: other.adminKey })).status,
      400,
    );
  });

  it('at most 20 endpoints per customer, also when 30 are created at once; deleting one makes room', async () => {
    const u = await signupAndAdminKey(server.url);
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        api(server.url, '/v1/webhooks', { key: u.adminKey, body: { url: `${receiver.url}?n=${i}` } }),
      ),
    );
    const created = results.filter((r) => r.status === 201);
    const refused = results.filter((r) => r.status === 409);
    assert.equal(created.length, 20);
    assert.equal(refused.length, 10);
    assert.equal(refused[0]?.body.error.code, 'conflict');
    assert.match(refused[0]?.body.error.message, /at most 20 webhook endpoints/);
    const listed = await api(server.url, '/v1/webhooks?limit=100', { key: u.adminKey });
    assert.equal(listed.body.data.length, 20);
    const first = created[0]?.body.id as string;
    assert.equal(
      (await api(server.url, `/v1/webhooks/${first}`, { key: u.adminKey, method: 'DELETE' })).status,
      204,
    );
    assert.equal(
      (await api(server.url, '/v1/webhooks', { key: u.adminKey, body: { url: receiver.url } })).status,
      201,
    );
  });

  it('another customer sees none of it: 404 on its endpoints, deliveries and retries', async () => {
    const endpoint = await createEndpoint(server, t, receiver.url);
    const other = await signupAndAdminKey(server.url);
    for (const [method, path] of [
      ['DELETE', `/v1/webhooks/${endpoint.id}`],
      ['POST', `/v1/webhooks/${endpoint.id}/test`],
      ['GET', `/v1/webhooks/${endpoint.id}/deliveries`],
      ['POST', `/v1/webhooks/${endpoint.id}/deliveries/whdel_x/retry`],
    ] as const) {
      const res = await api(server.url, path, { key: other.adminKey, method });
      assert.equal(res.status, 404, `${method} ${path}`);
    }
    const list = await api(server.url, '/v1/webhooks', { key: other.adminKey });
    assert.deepEqual(list.body.data, []);
    await api(server.url, `/v1/webhooks/${endpoint.id}`, { key: t.adminKey, method: 'DELETE' });
  });
});

describe('webhooks: URLs without SPENDGUARD_WEBHOOK_ALLOW_PRIVATE', () => {
  let server: TestServer;
  let t: Tenant;
  before(async () => {
    server = await startTestServer();
    t = await signupAndAdminKey(server.url);
  });
  after(async () => server.close());

  it('loopback, private, link-local, metadata, localhost and plain http are 400 and store nothing', async () => {
    for (const url of [
      'https://127.0.0.1/hook',
      'https://10.1.2.3/hook',
      'https://192.168.0.10/hook',
      'https://169.254.169.254/latest/meta-data',
      'https://[::1]/hook',
      'https://[fd00::1]/hook',
      'https://localhost/hook',
      'https://hooks.localhost/hook',
      'http://hooks.example.com/hook',
      'https://user:pw@hooks.example.com/hook',
      'not a url',
    ]) {
      const res = await api(server.url, '/v1/webhooks', { key: t.adminKey, body: { url } });
      assert.equal(res.status, 400, url);
      assert.equal(res.body.error.details?.[0]?.field, 'url', url);
    }
    assert.deepEqual((await api(server.url, '/v1/webhooks', { key: t.adminKey })).body.data, []);
    const ok = await api(server.url, '/v1/webhooks', {
      key: t.adminKey,
      body: { url: 'https://hooks.example.com/x' },
    });
    assert.equal(ok.status, 201);
  });
});

describe('webhooks: two instances on one database', () => {
  const servers = twoInstancesAndReceiver();

  it('120 alerts, both workers claiming at once: every alert delivered exactly once', async () => {
    const { a, b, receiver } = servers;
    const t = await signupAndAdminKey(a.url);
    const endpoint = await createEndpoint(a, t, receiver.url, ['webhook.test']);
    const pings = await Promise.all(
      Array.from({ length: 120 }, (_, i) =>
        api(i % 2 ? a.url : b.url, `/v1/webhooks/${endpoint.id}/test`, { key: t.adminKey, method: 'POST' }),
      ),
    );
    assert.ok(pings.every((p) => p.status === 202));
    await receiver.waitFor(120, 20_000);
    // Anything sent twice would arrive within the next polls of both workers.
    await new Promise((r) => setTimeout(r, 2_500));
    const ids = receiver.received.map((r) => r.headers['spendguard-event-id']);
    assert.equal(ids.length, 120, 'no attempt was sent twice');
    assert.equal(new Set(ids).size, 120);
    const rows = await sql<{ n: number }>(
      a.databaseUrl as string,
      `SELECT count(*)::int AS n FROM webhook_deliveries WHERE endpoint_id = $1 AND status = 'delivered' AND attempt = 1`,
      [endpoint.id],
    );
    assert.equal(rows[0]?.n, 120);
  });
});
