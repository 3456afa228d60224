// Webhook deliveries under faults (docs/api.md §13): a URL whose NAME resolves to a loopback, private, link-local or
// metadata address is refused at the attempt (the address connected to is checked, not only the URL as written), and
// an instance killed with -9 right after a suspend still delivers agent.suspended once it is back: the alert was
// committed with the suspension.
import assert from 'node:assert/strict';
import type { LookupFunction } from 'node:net';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { migrate } from '../../src/db/migrate.js';
import { createPostgresDb } from '../../src/db/postgres.js';
import { createUpstreamDispatcher } from '../../src/gateway/upstream-dispatcher.js';
import { newId } from '../../src/ids.js';
import { createMetrics } from '../../src/observability/metrics.js';
import { enqueueAlert } from '../../src/webhooks/outbox.js';
import { type ClaimedAttempt, claimDue } from '../../src/webhooks/repository.js';
import { createWebhookWorker } from '../../src/webhooks/worker.js';
import { sql } from '../engine/helpers.js';
import {
  api,
  createTestDatabase,
  newRedisPrefix,
  openTestDb,
  REDIS_URL,
  type ServerProcess,
  signupAndAdminKey,
  startServerProcess,
  type TestDatabase,
} from '../harness.js';
import { type Receiver, startReceiver } from './receiver.js';

describe('webhook attempts check the address a name resolves to', () => {
  it('names resolving to loopback, private, link-local and metadata addresses are refused; nothing is sent', async () => {
    const receiver = await startReceiver();
    const { db, close } = await openTestDb('postgres');
    const port = new URL(receiver.url).port;
    // No DNS server answers made-up names here: the look-up is the one thing replaced; every connection is real.
    const resolved: Record<string, string> = {
      'loop.hooks.test': '127.0.0.1',
      'private.hooks.test': '10.0.0.7',
      'linklocal.hooks.test': '169.254.10.10',
      'metadata.hooks.test': '169.254.169.254',
      'v6.hooks.test': '::1',
    };
    const lookup = ((host: string, options: unknown, callback: unknown) => {
      const address = resolved[host] ?? '127.0.0.1';
      const cb = (typeof options === 'function' ? options : callback) as (...a: unknown[]) => void;
      const family = address.includes(':') ? 6 : 4;
      if (typeof options === 'object' && (options as { all?: boolean })?.all) cb(null, [{ address, family }]);
      else cb(null, address, family);
    }) as LookupFunction;
    const dispatcher = createUpstreamDispatcher({ allowPrivate: false, lookup });
    const worker = createWebhookWorker({
      db,
      metrics: createMetrics(),
      log: pino({ level: 'silent' }),
      allowPrivate: false,
      dispatcher,
      pollMs: 100,
    });
    try {
      const customerId = newId('cus');
      await db.query(`INSERT INTO customers (id, name) VALUES ($1, 'c')`, [customerId]);
      for (const host of Object.keys(resolved)) {
        await db.query(
          `INSERT INTO webhook_endpoints (id, customer_id, url, events, secret) VALUES ($1, $2, $3, $4, 'whsec_x')`,
          [newId('wh'), customerId, `https://${host}:${port}/hook`, ['webhook.test']],
        );
      }
      await db.transaction((tx) => enqueueAlert(tx, customerId, 'webhook.test', {}));
      let rows: Array<{ url: string; attempt: number; error: string | null; status: string }> = [];
      for (let i = 0; i < 100; i++) {
        ({ rows } = await db.query(
          `SELECT e.url, d.attempt, d.error, d.status FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id
            WHERE d.customer_id = $1`,
          [customerId],
        ));
        if (rows.length === 5 && rows.every((r) => r.error !== null)) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.equal(rows.length, 5);
      for (const row of rows) {
        assert.equal(row.attempt, 1, row.url);
        assert.equal(row.status, 'pending', `${row.url}: retried later, as any failure`);
        assert.match(row.error ?? '', /private, loopback or reserved address/, row.url);
      }
      assert.equal(receiver.received.length, 0, 'nothing reached the receiver');
    } finally {
      await worker.close();
      await dispatcher.close();
      await close();
      await receiver.close();
    }
  });
});

describe('two instances claiming at once', () => {
  it('16 claimers on two connection pools take 400 due deliveries: each exactly once, each as attempt 1', async () => {
    const database = await createTestDatabase();
    const a = createPostgresDb({ url: database.url });
    const b = createPostgresDb({ url: database.url });
    try {
      await migrate(a);
      const customerId = newId('cus');
      await a.query(`INSERT INTO customers (id, name) VALUES ($1, 'c')`, [customerId]);
      await a.query(
        `INSERT INTO webhook_endpoints (id, customer_id, url, events, secret) VALUES ($1, $2, 'https://x.test/', $3, 'whsec_x')`,
        [newId('wh'), customerId, ['webhook.test']],
      );
      await a.transaction(async (tx) => {
        for (let i = 0; i < 400; i++) await enqueueAlert(tx, customerId, 'webhook.test', { i });
      });
      const claimed: ClaimedAttempt[] = [];
      const claimer = async (db: typeof a) => {
        for (;;) {
          const batch = await claimDue(db, 5, 60_000);
          if (batch.length === 0) return;
          claimed.push(...batch);
        }
      };
      await Promise.all(Array.from({ length: 16 }, (_, i) => claimer(i % 2 ? a : b)));
      assert.equal(new Set(claimed.map((c) => c.id)).size, 400);
      assert.equal(claimed.length, 400, 'no delivery was claimed twice');
      assert.ok(claimed.every((c) => c.attempt === 1));
    } finally {
      await a.close();
      await b.close();
      await database.drop();
    }
  });
});

describe('kill -9 right after a suspend', () => {
  let database: TestDatabase;
  let receiver: Receiver;
  let running: ServerProcess | undefined;
  const env = () => ({
    SPENDGUARD_DATABASE_URL: database.url,
    SPENDGUARD_REDIS_URL: REDIS_URL,
    SPENDGUARD_REDIS_PREFIX: prefix,
    SPENDGUARD_WEBHOOK_ALLOW_PRIVATE: '1',
    SPENDGUARD_LOG_LEVEL: 'silent',
  });
  const prefix = newRedisPrefix();

  before(async () => {
    database = await createTestDatabase();
    receiver = await startReceiver();
  });
  after(async () => {
    await running?.kill();
    await receiver.close();
    await database.drop();
  });

  it('the alert committed with the suspension is delivered after a restart', async () => {
    running = await startServerProcess(env());
    const t = await signupAndAdminKey(running.url);
    const created = await api(running.url, '/v1/webhooks', { key: t.adminKey, body: { url: receiver.url } });
    assert.equal(created.status, 201);
    assert.equal(
      (await api(running.url, '/v1/agents', { key: t.adminKey, body: { name: 'doomed' } })).status,
      201,
    );
    // The receiver never answers: the instance dies with its attempt in flight.
    receiver.answer = 'hang';
    const suspended = await api(running.url, '/v1/agents/doomed/suspend', { key: t.adminKey, body: {} });
    assert.equal(suspended.status, 200);
    const outbox = await sql<{ type: string }>(database.url, 'SELECT type FROM webhook_events');
    assert.deepEqual(
      outbox.map((r) => r.type),
      ['agent.suspended'],
      'in PostgreSQL as soon as the suspend answered',
    );
    const [first] = await receiver.waitFor(1);
    await running.kill();
    running = undefined;

    running = await startServerProcess(env());
    receiver.answer = 200;
    // The dead instance's claim holds the row for a minute; that minute passing is this UPDATE.
    await sql(database.url, `UPDATE webhook_deliveries SET next_attempt_at = now() WHERE status = 'pending'`);
    const [, second] = await receiver.waitFor(2);
    assert.ok(first && second);
    assert.equal(second.body, first.body);
    const alert = JSON.parse(second.body) as { type: string; data: { agent: { name: string } } };
    assert.equal(alert.type, 'agent.suspended');
    assert.equal(alert.data.agent.name, 'doomed');
    const rows = await sql<{ status: string; attempt: number }>(
      database.url,
      'SELECT status, attempt FROM webhook_deliveries',
    );
    for (let i = 0; i < 40 && rows[0]?.status !== 'delivered'; i++) {
      await new Promise((r) => setTimeout(r, 50));
      rows.splice(
        0,
        rows.length,
        ...(await sql<{ status: string; attempt: number }>(
          database.url,
          'SELECT status, attempt FROM webhook_deliveries',
        )),
      );
    }
    assert.deepEqual(rows, [{ status: 'delivered', attempt: 2 }]);
  });
});
